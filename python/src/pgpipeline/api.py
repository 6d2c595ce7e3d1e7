"""The pipeline extension from Python: one function per job, psycopg 3 only.

Every function takes a psycopg connection and runs in its current
transaction; with an autocommit connection each call (each batch of
ingest()) commits on its own.  Names of pipelines and tables are passed as
parameters or quoted by the server, never pasted into SQL.
"""

from __future__ import annotations

import importlib

import os
import re
from contextlib import nullcontext
from typing import (Any, Callable, ContextManager, Dict, Iterable, Iterator, List, Mapping, Optional,
                    Sequence, Tuple, Union)

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from ._types import (Failure, IngestResult, KeywordCount, PipelineStats, PipelineVersion, Profile, Reject,
                     ReplayResult, Violation, violations_from_json)
from .errors import PipelineError, PipelineViolation, SourceError, UnknownPipeline, translated
from .sources import Source, numbered, parse_json

Conn = psycopg.Connection[Any]
SpecLike = Union[Mapping[str, Any], str, "os.PathLike[str]", type]

SPEC_KEYS = frozenset({"schema", "transform", "on_error", "formats"})


# -- pipelines

def _named(name: str) -> None:
    """TypeError when a pipeline name is not a str.

    The SQL functions are STRICT: a None name would make validate() NULL and
    every record pass, and an int would find no function at all.
    """
    if not isinstance(name, str):
        raise TypeError(f"pipeline name must be a str, not {type(name).__name__}")


def _model_schema(model: type) -> Dict[str, Any]:
    """The JSON Schema of a pydantic model class (v2, else v1)."""
    for method in ("model_json_schema", "schema"):
        fn = getattr(model, method, None)
        if callable(fn):
            schema = fn()
            if isinstance(schema, dict):
                return schema
    raise TypeError(f"{model.__name__} is not a pydantic model class "
                    "(no model_json_schema() or schema())")


def _load_json_file(path: "Union[str, os.PathLike[str]]") -> Any:
    """A JSON document from a file; SourceError with the line when malformed."""
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise SourceError(name, 0, e.strerror or str(e)) from None
    except UnicodeDecodeError as e:
        raise SourceError(name, 0, f"not UTF-8: {e.reason}") from None
    return parse_json(text, name, 0)


def spec_from(spec: SpecLike, **members: Any) -> Dict[str, Any]:
    """A spec dict from a dict, a JSON file's path or a pydantic model class.

    A dict (or file) with none of the members "schema", "transform",
    "on_error" and "formats" is taken as a bare JSON Schema and becomes
    {"schema": it}; any other dict is sent as the spec (the server refuses
    unknown members).  Keyword arguments add members:
    spec_from(Order, on_error="quarantine").
    """
    if isinstance(spec, type):
        d: Dict[str, Any] = {"schema": _model_schema(spec)}
    elif isinstance(spec, (str, os.PathLike)):
        loaded = _load_json_file(spec)
        if not isinstance(loaded, dict):
            raise SourceError(os.fspath(spec), 1, "a spec must be a JSON object")
        d = loaded
    elif isinstance(spec, Mapping):
        d = dict(spec)
    else:
        raise TypeError(f"spec must be a dict, a path or a pydantic model class, "
                        f"not {type(spec).__name__}")
    if not set(d) & SPEC_KEYS:
        d = {"schema": d}
    d.update({k: v for k, v in members.items() if v is not None})
    return d


def define(conn: Conn, name: str, spec: SpecLike, **members: Any) -> int:
    """Create pipeline `name` or add a version; returns the new version.

    spec: see spec_from().  Needs pipeline_admin (or the extension's owner).
    """
    _named(name)
    with translated(name):
        row = conn.execute("SELECT pipeline.define(%s, %s)",
                           (name, Jsonb(spec_from(spec, **members)))).fetchone()
    assert row is not None
    return int(row[0])


def drop(conn: Conn, name: str) -> None:
    """Remove pipeline `name` and all its versions (refused while attached)."""
    _named(name)
    with translated(name):
        conn.execute("SELECT pipeline.drop(%s)", (name,))


def versions(conn: Conn, name: Optional[str] = None) -> List[PipelineVersion]:
    """Every version of pipeline `name` (of all pipelines when None), oldest first.

    Raises UnknownPipeline when `name` has no version.
    """
    with translated(name):
        rows = conn.execute(
            """SELECT name, version, spec, defined_at FROM pipeline.pipelines
                WHERE %(name)s::text IS NULL OR name = %(name)s ORDER BY name, version""",
            {"name": name}).fetchall()
    if name is not None and not rows:
        raise UnknownPipeline(name)
    return [PipelineVersion(r[0], r[1], r[2], r[3]) for r in rows]


# -- checking records

_CHECK_SQL = """
    SELECT t.i, pipeline.errors(t.d, %(name)s)
      FROM unnest(%(docs)s::jsonb[]) WITH ORDINALITY AS t(d, i)
     WHERE NOT pipeline.validate(t.d, %(name)s)
     ORDER BY t.i"""


def check_batches(conn: Conn, name: str, pairs: Iterable[Tuple[Any, Any]],
                  batch: int = 1000) -> Iterator[Tuple[Any, List[Violation]]]:
    """(key, violations) for each failing (key, record), one round trip per batch.

    Records are transformed, then validated, by the current version of the
    pipeline, exactly as its trigger would; keys are returned untouched.
    """
    _named(name)
    if batch < 1:
        raise ValueError("batch must be at least 1")
    keys: List[Any] = []
    docs: List[Jsonb] = []

    def flush() -> Iterator[Tuple[Any, List[Violation]]]:
        with translated(name):
            rows = conn.execute(_CHECK_SQL, {"name": name, "docs": docs}).fetchall()
        for i, errs in rows:
            yield keys[i - 1], violations_from_json(errs)
        keys.clear()
        docs.clear()

    for key, rec in pairs:
        keys.append(key)
        docs.append(Jsonb(rec))
        if len(docs) == batch:
            yield from flush()
    if docs:
        yield from flush()


def validate_many(conn: Conn, name: str, records: Iterable[Any],
                  batch: int = 1000) -> List[Failure]:
    """The failing records, each with its 0-based index and its violations.

    One round trip per `batch` records (unnest ... WITH ORDINALITY); an empty
    list means every record passed.
    """
    if isinstance(records, (str, bytes, Mapping)):
        # a path or one record would be checked character by character or key by key
        raise TypeError(f"records must be an iterable of records, not {type(records).__name__} "
                        "(for one record, give [record])")
    return [Failure(i, v) for i, v in check_batches(conn, name, enumerate(records), batch)]


def process(conn: Conn, name: str, record: Any) -> Any:
    """The record transformed by pipeline `name`; PipelineViolation if it fails."""
    _named(name)
    with translated(name):
        row = conn.execute("SELECT pipeline.process(%s, %s)", (Jsonb(record), name)).fetchone()
    assert row is not None
    return row[0]


# -- tables

def relation(conn: Conn, table: str) -> str:
    """The table's name as the server quotes it; PipelineError if there is none."""
    row = conn.execute("SELECT pg_catalog.to_regclass(%s)::text", (table,)).fetchone()
    if row is None or row[0] is None:
        raise PipelineError(f'table "{table}" does not exist')
    return str(row[0])


def _columns(conn: Conn, rel: str) -> List[str]:
    """Columns COPY can fill, in table order (no dropped or generated ones)."""
    rows = conn.execute(
        """SELECT attname FROM pg_catalog.pg_attribute
            WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped
              AND attgenerated = '' ORDER BY attnum""", (rel,)).fetchall()
    return [r[0] for r in rows]


def _column_of(rel: str, cols: Sequence[str], column: str) -> str:
    """`column` if the table has it, else PipelineError."""
    if column not in cols:
        raise PipelineError(f'column "{column}" of table {rel} does not exist')
    return column


# -- ingest

_TRIGGERS_QUARANTINE = """
    SELECT coalesce(bool_and(coalesce(p.spec->>'on_error', 'raise') = 'quarantine'), false)
      FROM pg_catalog.pg_trigger t
      JOIN LATERAL (SELECT v.spec FROM pipeline.pipelines v
                     WHERE v.name = pg_catalog.split_part(
                               pg_catalog.encode(t.tgargs, 'escape'), '\\000', 1)
                     ORDER BY v.version DESC LIMIT 1) p ON true
     WHERE t.tgrelid = %s::regclass AND t.tgenabled <> 'D'
       AND t.tgfoid = 'pipeline.trigger()'::pg_catalog.regprocedure"""

_OURS = "relation = %s::regclass AND xmin = pg_catalog.pg_current_xact_id()::xid"


class _Counter:
    """How one COPY batch splits into stored, quarantined and skipped rows.

    stored is COPY's own row count.  quarantined is read from
    pipeline.rejects: the rows this transaction added for the table (xmin),
    above the highest id visible before the COPY (so the primary key index
    bounds the scan).  Without SELECT on pipeline.rejects, rows not stored
    count as quarantined when every pipeline trigger on the table
    quarantines, else as skipped.
    """

    def __init__(self, conn: Conn, rel: str) -> None:
        self.conn = conn
        self.rel = rel
        row = conn.execute("SELECT pg_catalog.has_table_privilege('pipeline.rejects', 'SELECT')"
                           ).fetchone()
        self.readable = bool(row and row[0])
        self.all_quarantine = False
        if not self.readable:
            row = conn.execute(_TRIGGERS_QUARANTINE, (rel,)).fetchone()
            self.all_quarantine = bool(row and row[0])

    def before(self) -> int:
        """The highest reject id visible now (0 when unreadable or empty)."""
        if not self.readable:
            return 0
        row = self.conn.execute("SELECT coalesce(max(id), 0) FROM pipeline.rejects").fetchone()
        return int(row[0]) if row else 0

    def split(self, sent: int, stored: int, top: int) -> IngestResult:
        """The batch's counts, adding up to `sent`."""
        missing = sent - stored
        if self.readable:
            row = self.conn.execute(f"SELECT count(*) FROM pipeline.rejects WHERE id > %s AND {_OURS}",
                                    (top, self.rel)).fetchone()
            quarantined = min(int(row[0]) if row else 0, missing)
        else:
            quarantined = missing if self.all_quarantine else 0
        return IngestResult(sent, stored, quarantined, missing - quarantined, 1)


def _row_values(rec: Any, cols: Sequence[str], where: Any, rel: str) -> Tuple[Any, ...]:
    """A record's values for COPY in row mode (objects and arrays as jsonb)."""
    if not isinstance(rec, Mapping):
        raise PipelineError(f"record {where}: row mode needs a JSON object, "
                            f"got {type(rec).__name__} (give column= for a jsonb column)")
    unknown = [k for k in rec if k not in cols]
    if unknown:
        raise PipelineError(f'record {where}: table {rel} has no column "{unknown[0]}"')
    return tuple(Jsonb(v) if isinstance(v, (dict, list)) else v
                 for v in (rec.get(c) for c in cols))


def _copy_batch(conn: Conn, rel: str, cols: Sequence[str], rows: Sequence[Tuple[Any, ...]]) -> int:
    """COPY rows into the table; returns how many it stored.

    A KeyboardInterrupt (or SystemExit) while sending rows aborts the COPY
    and is raised again as itself: psycopg would turn it into the server's
    QueryCanceled, an Exception that callers' handlers would swallow.
    """
    stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.SQL(rel), sql.SQL(", ").join(sql.Identifier(c) for c in cols))
    interrupt: Optional[BaseException] = None
    with conn.cursor() as cur:
        try:
            with cur.copy(stmt) as cp:
                try:
                    for r in rows:
                        cp.write_row(r)
                except Exception:
                    raise
                except BaseException as e:
                    interrupt = e
                    raise
        except psycopg.Error:
            if interrupt is not None:
                raise interrupt from None
            raise
        return max(cur.rowcount, 0)


def _progress_bar(enabled: bool, desc: str, total: Optional[int]) -> Any:
    """A tqdm bar, or None; PipelineError when asked for and tqdm is missing."""
    if not enabled:
        return None
    try:
        # by name: tqdm ships no type hints, and mypy versions name that differently
        tqdm = importlib.import_module("tqdm").tqdm
    except ImportError:
        raise PipelineError("progress bars need tqdm: pip install tqdm") from None
    return tqdm(total=total, desc=desc, unit="rec")


_COPY_LINE = re.compile(r"\bCOPY [^,]+, line (\d+)")


def ingest(conn: Conn, table: str, source: Source, column: Optional[str] = None, *,
           batch: int = 10000, progress: bool = False, format: Optional[str] = None,
           on_batch: Optional[Callable[[IngestResult], None]] = None) -> IngestResult:
    """COPY records into `table`, through whatever pipeline triggers it has.

    source: an iterable of dicts, or the path of a JSON Lines or CSV file
    (format "jsonl" or "csv", else by extension; "-" is stdin).  column: the
    jsonb column that receives each record whole (column mode); without it
    each record's keys are the table's columns (row mode).  One COPY per
    `batch` records; with an autocommit connection each batch commits on its
    own.  progress: a tqdm bar.  Returns sent/stored/quarantined/skipped
    (they add up).  A record failing a pipeline whose on_error is "raise"
    raises PipelineViolation: its .record is the record's position in the
    source (line number for a file, 1-based for an iterable) and .partial the
    counts of the batches stored before.
    An interrupt (KeyboardInterrupt) is raised as itself, the batch it
    stopped rolled back, with .partial set the same way.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    rel = relation(conn, table)
    cols = _columns(conn, rel)
    if column is not None:
        cols = [_column_of(rel, cols, column)]
    counter = _Counter(conn, rel)
    total = len(source) if isinstance(source, Sequence) and not isinstance(source, str) else None
    bar = _progress_bar(progress, rel, total)
    result = IngestResult()
    keys: List[Any] = []
    recs: List[Any] = []

    def flush() -> None:
        rows: List[Tuple[Any, ...]]
        if column is not None:
            use, rows = cols, [(Jsonb(r),) for r in recs]
        else:
            seen = {k for r in recs if isinstance(r, Mapping) for k in r}
            use = [c for c in cols if c in seen] or cols[:1]
            rows = [_row_values(r, use, k, rel) for k, r in zip(keys, recs)]
        try:
            tx: ContextManager[Any] = conn.transaction() if conn.autocommit else nullcontext()
            with translated(), tx:
                top = counter.before()
                stored = _copy_batch(conn, rel, use, rows)
                part = counter.split(len(rows), stored, top)
        except PipelineViolation as e:
            m = _COPY_LINE.search(getattr(e.__cause__, "diag").context or "")
            e.record = keys[int(m.group(1)) - 1] if m else None
            e.partial = result
            raise
        result.add(part)
        if on_batch is not None:
            on_batch(part)
        if bar is not None:
            bar.update(len(rows))
        keys.clear()
        recs.clear()

    try:
        for key, rec in numbered(source, format):
            keys.append(key)
            recs.append(rec)
            if len(recs) == batch:
                flush()
        if recs:
            flush()
    except Exception:
        raise
    except BaseException as e:
        # interrupted (Ctrl-C): say what the batches before it stored
        setattr(e, "partial", result)
        raise
    finally:
        if bar is not None:
            bar.close()
    return result


# -- quarantine

_REJECT_COLS = """id, rejected_at, pipeline, version, relation::text, operation, record, errors,
                  record_column::text, other_columns"""


def rejects(conn: Conn, name: str, *, table: Optional[str] = None,
            limit: Optional[int] = None, page: int = 1000) -> Iterator[Reject]:
    """The quarantined records of pipeline `name`, oldest first, with Violations.

    Read `page` rows at a time by id, so a large quarantine streams.  Needs
    SELECT on pipeline.rejects (pipeline_admin).
    """
    _named(name)
    rel = relation(conn, table) if table is not None else None
    last, seen = 0, 0
    while limit is None or seen < limit:
        n = page if limit is None else min(page, limit - seen)
        with translated(name):
            rows = conn.execute(
                f"""SELECT {_REJECT_COLS} FROM pipeline.rejects
                     WHERE pipeline = %(name)s AND id > %(last)s
                       AND (%(rel)s::text IS NULL OR relation = %(rel)s::text::regclass)
                     ORDER BY id LIMIT %(n)s""",
                {"name": name, "last": last, "rel": rel, "n": n}).fetchall()
        for r in rows:
            yield Reject(r[0], r[1], r[2], r[3], r[4], r[5], r[6], violations_from_json(r[7]),
                         r[8], r[9])
        if len(rows) < n:
            return
        last, seen = rows[-1][0], seen + len(rows)


def rejects_summary(conn: Conn, name: str) -> List[KeywordCount]:
    """Violations of the quarantined records grouped by keyword path, most first."""
    _named(name)
    with translated(name):
        rows = conn.execute(
            """SELECT e->>'keywordLocation', count(*), count(DISTINCT r.id), min(e->>'error')
                 FROM pipeline.rejects r, jsonb_array_elements(r.errors) e
                WHERE r.pipeline = %s
                GROUP BY 1 ORDER BY 2 DESC, 1""", (name,)).fetchall()
    return [KeywordCount(r[0] or "", r[1], r[2], r[3] or "") for r in rows]


def replay(conn: Conn, name: str) -> ReplayResult:
    """Send pipeline `name`'s quarantined INSERTs through their tables again."""
    _named(name)
    with translated(name):
        row = conn.execute("SELECT replayed, rejected, failed, skipped FROM pipeline.replay(%s)",
                           (name,)).fetchone()
    return ReplayResult(*map(int, row)) if row else ReplayResult(0, 0)


# -- statistics

def stats(conn: Conn, name: Optional[str] = None) -> List[PipelineStats]:
    """pipeline.stats: per pipeline version (of `name`, or all), what its calls did."""
    with translated(name):
        rows = conn.execute(
            """SELECT pipeline, version, checked, passed, failed, transformed, quarantined, skipped,
                      raised, time_ms, scope
                 FROM pipeline.stats WHERE %s::text IS NULL OR pipeline = %s
                ORDER BY pipeline, version""", (name, name)).fetchall()
    return [PipelineStats(pipeline=str(r[0]), version=int(r[1]), checked=int(r[2]), passed=int(r[3]),
                          failed=int(r[4]), transformed=int(r[5]), quarantined=int(r[6]),
                          skipped=int(r[7]), raised=int(r[8]), time_ms=float(r[9]), scope=str(r[10]))
            for r in rows]


def reset_stats(conn: Conn, name: Optional[str] = None) -> None:
    """pipeline.reset_stats(): forget the counts of pipeline `name`, or of all (pipeline_admin)."""
    with translated(name):
        conn.execute("SELECT pipeline.reset_stats(%s)", (name,))


# -- profile

def profile(conn: Conn, table: str, column: Optional[str] = None) -> Profile:
    """pipeline.profile() of a table's rows (to_jsonb of each) or of a column."""
    rel = relation(conn, table)
    arg: sql.Composable
    if column is None:
        arg = sql.SQL("pg_catalog.to_jsonb(t)")
    else:
        arg = sql.SQL("t.{}::jsonb").format(sql.Identifier(_column_of(rel, _columns(conn, rel),
                                                                       column)))
    stmt = sql.SQL("SELECT pipeline.profile({}) FROM {} t").format(arg, sql.SQL(rel))
    with translated():
        row = conn.execute(stmt).fetchone()
    return Profile((row[0] if row else None) or {"documents": 0, "fields": {}})
