"""The values the client returns: violations, failures, counts, rejects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence


@dataclass(frozen=True)
class Violation:
    """One failing leaf of a check, in the shape jsonschema users know.

    instance_path: JSON Pointer into the record ("" is the whole record);
    keyword_path: JSON Pointer into the spec ("/schema/properties/id/type"),
    "" when the server did not say (a violation parsed from an error DETAIL);
    message: the server's explanation.
    """

    instance_path: str
    keyword_path: str
    message: str

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Violation":
        """From one element of pipeline.errors() or pipeline.rejects.errors."""
        return cls(str(obj.get("instanceLocation", "")),
                   str(obj.get("keywordLocation", "")),
                   str(obj.get("error", "")))

    def __str__(self) -> str:
        where = self.instance_path or "/"
        if self.keyword_path:
            return f"{where}: {self.message} [{self.keyword_path}]"
        return f"{where}: {self.message}"


def violations_from_json(items: Any) -> List[Violation]:
    """A jsonb array of {instanceLocation, keywordLocation, error} as Violations."""
    return [Violation.from_json(e) for e in (items or [])]


@dataclass(frozen=True)
class Failure:
    """A record that failed validate_many: its 0-based index in the input."""

    index: int
    violations: List[Violation]


@dataclass
class IngestResult:
    """What ingest() did.  sent == stored + quarantined + skipped, always.

    stored: rows the table received (COPY's own count);
    quarantined: rows a pipeline trigger moved to pipeline.rejects;
    skipped: rows a trigger dropped (on_error "skip") or another BEFORE
    trigger suppressed.
    """

    sent: int = 0
    stored: int = 0
    quarantined: int = 0
    skipped: int = 0
    batches: int = 0

    def add(self, other: "IngestResult") -> None:
        """Accumulate one batch's counts."""
        self.sent += other.sent
        self.stored += other.stored
        self.quarantined += other.quarantined
        self.skipped += other.skipped
        self.batches += other.batches

    def __str__(self) -> str:
        return (f"sent {self.sent}, stored {self.stored}, quarantined {self.quarantined}, "
                f"skipped {self.skipped}")


@dataclass(frozen=True)
class Reject:
    """A row of pipeline.rejects with its errors as Violations."""

    id: int
    rejected_at: datetime
    pipeline: str
    version: int
    relation: str
    operation: str
    record: Any
    violations: List[Violation]
    record_column: Optional[str] = None
    other_columns: Optional[Dict[str, Any]] = None


@dataclass(frozen=True)
class KeywordCount:
    """Rejects summary line: how often a keyword of the spec failed."""

    keyword_path: str
    violations: int
    records: int
    example: str


@dataclass(frozen=True)
class ReplayResult:
    """pipeline.replay(): rows stored now, rows a pipeline kept out again,
    rows whose insert raised an error (kept, with it), and rows left alone
    because their table was dropped or lost the pipeline's trigger."""

    replayed: int
    rejected: int
    failed: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class PipelineStats:
    """One row of pipeline.stats: what a pipeline version did.

    checked == passed + failed + quarantined + skipped + raised; time_ms is an
    estimate (1 call in 64 is timed); scope is "cluster" (the library is in
    shared_preload_libraries) or "session" (this connection's calls only).
    """

    pipeline: str
    version: int
    checked: int
    passed: int
    failed: int
    transformed: int
    quarantined: int
    skipped: int
    raised: int
    time_ms: float
    scope: str


@dataclass(frozen=True)
class PipelineVersion:
    """One row of pipeline.pipelines."""

    name: str
    version: int
    spec: Dict[str, Any]
    defined_at: datetime


_COLUMNS: Sequence[str] = ("count", "nulls", "types", "distinct", "min", "max", "mean")


class Profile(Dict[str, Any]):
    """pipeline.profile()'s result: {"documents": n, "fields": {path: stats}}.

    str(profile) (or .text()) is a table, one line per field path.
    """

    @property
    def documents(self) -> int:
        """How many documents (rows) were profiled."""
        return int(self.get("documents") or 0)

    @property
    def fields(self) -> Dict[str, Dict[str, Any]]:
        """Per JSON Pointer ("/items/*/price"): count, nulls, types, ..."""
        f: Dict[str, Dict[str, Any]] = self.get("fields") or {}
        return f

    def text(self) -> str:
        """A readable table: one line per field path."""
        rows = [["field", *_COLUMNS]]
        for path, st in sorted(self.fields.items()):
            types = ",".join(f"{t}:{n}" for t, n in sorted((st.get("types") or {}).items()))
            rows.append([path or "(record)", *(_cell(st.get(c)) if c != "types" else types
                                               for c in _COLUMNS)])
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [f"{self.documents} documents"]
        for r in rows:
            lines.append("  ".join(c.ljust(w) if i in (0, 3) else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(r, widths))).rstrip())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


def _cell(v: Any) -> str:
    """A profile value for the text table (mean rounded, strings cut short)."""
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    s = str(v)
    return s if len(s) <= 24 else s[:21] + "..."
