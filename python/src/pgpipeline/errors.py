"""Exceptions: what went wrong, in terms of pipelines, tables and files."""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional

from psycopg import errors as pgerrors

from ._types import IngestResult, Violation


class PipelineError(Exception):
    """Base class of everything pgpipeline raises on purpose."""


class UnknownPipeline(PipelineError, LookupError):
    """No pipeline of that name (SQLSTATE 42704 from the server)."""

    def __init__(self, name: str, message: Optional[str] = None) -> None:
        super().__init__(message or f'pipeline "{name}" does not exist')
        self.name = name


class ExtensionMissing(PipelineError):
    """The database has no pipeline extension (CREATE EXTENSION pipeline)."""


class SourceError(PipelineError, ValueError):
    """A record file that cannot be read: the file, the line, the reason."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}" if line else f"{path}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


_VIOLATES = re.compile(r'violates pipeline "((?:[^"]|"")*)"')
_RELATION = re.compile(r'new row for relation "((?:[^"]|"")*)"')


class PipelineViolation(PipelineError):
    """A record failed a pipeline whose on_error is "raise" (SQLSTATE 23514).

    pipeline: the pipeline's name (the error's constraint name);
    table: the table the row was for (None for pipeline.process());
    schema: that table's schema;
    violations: one Violation per DETAIL line (keyword_path is "": the
    DETAIL does not carry it; pipeline.errors() of the record does).
    The psycopg CheckViolation is the __cause__.  Raised by ingest(), also:
    record, the failing record's position in the source (line number of a
    file), and partial, the counts of the batches stored before it.
    """

    record: Any = None
    partial: Optional[IngestResult] = None

    def __init__(self, message: str, pipeline: str, table: Optional[str],
                 schema: Optional[str], violations: List[Violation]) -> None:
        super().__init__(message)
        self.pipeline = pipeline
        self.table = table
        self.schema = schema
        self.violations = violations

    @classmethod
    def from_check_violation(cls, e: pgerrors.CheckViolation) -> Optional["PipelineViolation"]:
        """The pipeline's view of a CheckViolation; None if a plain CHECK raised it."""
        d = e.diag
        primary = d.message_primary or ""
        if not _VIOLATES.search(primary):
            return None
        pipeline = d.constraint_name or _VIOLATES.search(primary).group(1)  # type: ignore[union-attr]
        rel = _RELATION.search(primary)
        table = d.table_name or (rel.group(1) if rel else None)
        return cls(primary, pipeline, table, d.schema_name, parse_detail(d.message_detail))

    def __str__(self) -> str:
        lines = [str(self.args[0])] + [f"  {v}" for v in self.violations]
        return "\n".join(lines)


def parse_detail(detail: Optional[str]) -> List[Violation]:
    """DETAIL lines "location: message" as Violations ("/" is the record)."""
    out = []
    for line in (detail or "").splitlines():
        where, sep, msg = line.partition(": ")
        if not sep:
            where, msg = "", line
        out.append(Violation("" if where == "/" else where, "", msg))
    return out


@contextmanager
def translated(name: Optional[str] = None) -> Iterator[None]:
    """Raise pgpipeline's exceptions for the server errors they stand for.

    Wrap your own INSERT/COPY/UPDATE in it to get PipelineViolation instead of
    a bare CheckViolation:

        with pgpipeline.translated():
            conn.execute("INSERT INTO orders_in (doc) VALUES (%s)", [Jsonb(doc)])
    """
    try:
        yield
    except pgerrors.CheckViolation as e:
        pv = PipelineViolation.from_check_violation(e)
        if pv is None:
            raise
        raise pv from e
    except pgerrors.UndefinedObject as e:
        m = re.match(r'pipeline "((?:[^"]|"")*)" does not exist', e.diag.message_primary or "")
        if m is None:
            raise
        raise UnknownPipeline(m.group(1)) from e
    except (pgerrors.InvalidSchemaName, pgerrors.UndefinedFunction) as e:
        if "pipeline" not in (e.diag.message_primary or ""):
            raise
        raise ExtensionMissing(
            f"{e.diag.message_primary}: is the pipeline extension installed in this "
            "database? (CREATE EXTENSION pipeline, as a superuser)") from e


__all__ = ["PipelineError", "UnknownPipeline", "ExtensionMissing", "SourceError",
           "PipelineViolation", "parse_detail", "translated"]
