"""pgpipeline: the command-line tool (also `python -m pgpipeline`).

Connects with the libpq environment (PGHOST, PGDATABASE, ...) or --dsn.
Exit codes: 0 done; 1 records failed (check found failing records, or a
record failed a pipeline that raises during ingest); 2 a usage or input
error (arguments, a malformed file, an unknown pipeline or table, a spec the
server refused); 3 the server cannot be reached; 4 the server refused for
another reason (a privilege, the extension missing, ...).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from typing import Any, Callable, List, Optional, Sequence

import psycopg

from . import __version__, api
from .errors import (ExtensionMissing, PipelineError, PipelineViolation, SourceError,
                     UnknownPipeline)
from .sources import FORMATS, numbered

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONNECT, EXIT_SERVER = 0, 1, 2, 3, 4

Conn = api.Conn


def _out(*a: Any) -> None:
    print(*a, flush=True)


def _err(msg: str) -> None:
    print(f"pgpipeline: {msg}", file=sys.stderr, flush=True)


def cmd_define(conn: Conn, a: argparse.Namespace) -> int:
    """define NAME SPEC.json"""
    v = api.define(conn, a.name, a.spec)
    _out(f'defined pipeline "{a.name}", version {v}')
    return EXIT_OK


def cmd_drop(conn: Conn, a: argparse.Namespace) -> int:
    """drop NAME"""
    api.drop(conn, a.name)
    _out(f'dropped pipeline "{a.name}"')
    return EXIT_OK


def cmd_versions(conn: Conn, a: argparse.Namespace) -> int:
    """versions [NAME]"""
    for v in api.versions(conn, a.name):
        members = ", ".join(sorted(v.spec)) or "(empty)"
        _out(f"{v.name}  version {v.version}  defined {v.defined_at:%Y-%m-%d %H:%M:%S}  "
             f"spec: {members}")
    return EXIT_OK


def cmd_check(conn: Conn, a: argparse.Namespace) -> int:
    """check FILE --pipeline NAME: print each failing record's violations."""
    where = "<stdin>" if a.file == "-" else a.file
    total = failed = 0

    def counted() -> Any:
        nonlocal total
        for key, rec in numbered(a.file, a.format):
            total += 1
            yield key, rec

    for line, violations in api.check_batches(conn, a.pipeline, counted(), a.batch):
        failed += 1
        for v in violations:
            _out(f"{where}:{line}: {v}")
    _out(f"checked {total} records against pipeline \"{a.pipeline}\": "
         f"{total - failed} passed, {failed} failed")
    return EXIT_FAILED if failed else EXIT_OK


def cmd_ingest(conn: Conn, a: argparse.Namespace) -> int:
    """ingest FILE --table T [--column C]: COPY through the table's triggers."""
    progress = a.progress
    if progress:
        # by name: tqdm ships no type hints, and mypy versions name that differently
        if importlib.util.find_spec("tqdm") is None:
            _err("--progress needs tqdm (pip install tqdm); going on without a progress bar")
            progress = False
    try:
        r = api.ingest(conn, a.table, a.file, a.column, batch=a.batch, progress=progress,
                       format=a.format)
    except PipelineViolation as e:
        where = "<stdin>" if a.file == "-" else a.file
        at = f"{where}:{e.record}: " if e.record is not None else ""
        _err(f"{at}{e}")
        if e.partial is not None and e.partial.sent:
            _err(f"stored before the failing batch: {e.partial}")
        return EXIT_FAILED
    _out(str(r))
    return EXIT_OK


def cmd_rejects(conn: Conn, a: argparse.Namespace) -> int:
    """rejects NAME [--summary]"""
    if a.summary:
        rows = api.rejects_summary(conn, a.name)
        _require_pipeline(conn, a.name, bool(rows))
        _out(f"{'violations':>10}  {'records':>7}  keyword path: example")
        for k in rows:
            _out(f"{k.violations:>10}  {k.records:>7}  {k.keyword_path or '/'}: {k.example}")
        return EXIT_OK
    n = 0
    for r in api.rejects(conn, a.name, table=a.table, limit=a.limit):
        n += 1
        if a.json:
            _out(json.dumps({"id": r.id, "relation": r.relation, "version": r.version,
                             "record": r.record,
                             "errors": [v.__dict__ for v in r.violations]}))
            continue
        _out(f"reject {r.id}: {r.operation} into {r.relation}, version {r.version}, "
             f"{r.rejected_at:%Y-%m-%d %H:%M:%S}")
        _out(f"  record: {json.dumps(r.record)[:200]}")
        for v in r.violations:
            _out(f"  {v}")
    _require_pipeline(conn, a.name, n > 0)
    if not a.json:
        _out(f"{n} quarantined record(s)")
    return EXIT_OK


def _require_pipeline(conn: Conn, name: str, found: bool) -> None:
    """Nothing found for an unknown name: say so rather than print nothing."""
    if not found:
        api.versions(conn, name)


def cmd_replay(conn: Conn, a: argparse.Namespace) -> int:
    """replay NAME"""
    r = api.replay(conn, a.name)
    left = "".join(f", {what} {n}" for what, n in (("failed", r.failed), ("skipped", r.skipped)) if n)
    _out(f"replayed {r.replayed}, rejected again {r.rejected}{left}")
    if left:
        _out(f'(still in the quarantine with their errors: pgpipeline rejects "{a.name}")')
    return EXIT_OK


def cmd_profile(conn: Conn, a: argparse.Namespace) -> int:
    """profile TABLE [--column C]"""
    p = api.profile(conn, a.table, a.column)
    _out(json.dumps(p, indent=2, sort_keys=True) if a.json else p.text())
    return EXIT_OK


def _positive(s: str) -> int:
    n = int(s)
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def parser() -> argparse.ArgumentParser:
    """The argument parser, one subcommand per job."""
    p = argparse.ArgumentParser(
        prog="pgpipeline",
        description="Define pipelines, check and ingest records, read the quarantine. "
                    "Connects with the libpq environment (PGHOST, PGDATABASE, ...) or --dsn.",
        epilog="exit status: 0 done, 1 records failed, 2 usage or input error, "
               "3 server unreachable, 4 refused by the server")
    p.add_argument("--dsn", default="", help='libpq connection string, e.g. "dbname=app"')
    p.add_argument("--version", action="version", version=f"pgpipeline {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, fn: Callable[[Conn, argparse.Namespace], int],
            help: str) -> argparse.ArgumentParser:
        s = sub.add_parser(name, help=help, description=help)
        s.set_defaults(func=fn)
        return s

    s = add("define", cmd_define, "create a pipeline, or add a version, from a JSON spec file")
    s.add_argument("name")
    s.add_argument("spec", metavar="SPEC.json",
                   help="a spec ({schema, transform, on_error, ...}) or a bare JSON Schema")
    s = add("drop", cmd_drop, "remove a pipeline and all its versions")
    s.add_argument("name")
    s = add("versions", cmd_versions, "list the versions of a pipeline (of all without NAME)")
    s.add_argument("name", nargs="?")
    for name, fn, help in (
            ("check", cmd_check, "check the records of a file; exit 1 if any fails"),
            ("ingest", cmd_ingest, "COPY the records of a file into a table, through its triggers")):
        s = add(name, fn, help)
        s.add_argument("file", metavar="FILE", help="JSON Lines (one object a line) or CSV; - for stdin")
        s.add_argument("--format", choices=FORMATS, help="default: csv for *.csv, else jsonl")
        s.add_argument("--batch", type=_positive, default=1000 if name == "check" else 10000,
                       help="records per round trip (default %(default)s)")
        if name == "check":
            s.add_argument("--pipeline", required=True, metavar="NAME")
        else:
            s.add_argument("--table", required=True, metavar="T")
            s.add_argument("--column", metavar="C", help="jsonb column that receives each record")
            s.add_argument("--progress", action="store_true", help="a progress bar (needs tqdm)")
    s = add("rejects", cmd_rejects, "list a pipeline's quarantined records")
    s.add_argument("name")
    s.add_argument("--summary", action="store_true", help="violations grouped by keyword path")
    s.add_argument("--table", metavar="T", help="only those for this table")
    s.add_argument("--limit", type=_positive, metavar="N")
    s.add_argument("--json", action="store_true", help="one JSON object a line")
    s = add("replay", cmd_replay, "insert a pipeline's quarantined records again")
    s.add_argument("name")
    s = add("profile", cmd_profile, "describe every field of a table's rows (or a jsonb column)")
    s.add_argument("table")
    s.add_argument("--column", metavar="C")
    s.add_argument("--json", action="store_true", help="the profile as JSON")
    return p


def _server_message(e: psycopg.Error) -> str:
    """The server's error as psql would show it, in a few lines."""
    d = e.diag
    msg = d.message_primary or str(e).strip()
    for label, extra in (("DETAIL", d.message_detail), ("HINT", d.message_hint)):
        if extra:
            msg += f"\n{label}: {extra}"
    return msg + (f" (SQLSTATE {d.sqlstate})" if d.sqlstate else "")


# errors the user can fix by changing the command or the input
_USER_SQLSTATES = ("22", "42P01", "42703", "42704", "23")


def run(a: argparse.Namespace) -> int:
    """Connect, run the command, turn every expected failure into a message."""
    try:
        conn = psycopg.connect(a.dsn, autocommit=True)
    except psycopg.OperationalError as e:
        reason = "; ".join(ln.strip() for ln in str(e).strip().splitlines() if ln.strip())
        _err(f"cannot connect to the server: {reason}\n"
             "(set PGHOST, PGPORT, PGDATABASE, PGUSER, or give --dsn)")
        return EXIT_CONNECT
    with conn:
        try:
            code: int = a.func(conn, a)
            return code
        except (SourceError, UnknownPipeline) as e:
            _err(str(e))
            return EXIT_USAGE
        except PipelineViolation as e:
            _err(str(e))
            return EXIT_FAILED
        except ExtensionMissing as e:
            _err(str(e))
            return EXIT_SERVER
        except PipelineError as e:
            _err(str(e))
            return EXIT_USAGE
        except psycopg.OperationalError as e:
            _err(f"lost the connection: {str(e).strip()}")
            return EXIT_CONNECT
        except psycopg.Error as e:
            _err(_server_message(e))
            state = e.diag.sqlstate or ""
            return EXIT_USAGE if state.startswith(_USER_SQLSTATES) else EXIT_SERVER


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the `pgpipeline` script."""
    a = parser().parse_args(argv)
    try:
        return run(a)
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK


__all__: List[str] = ["main", "parser", "run"]
