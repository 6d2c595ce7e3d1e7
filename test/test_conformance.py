"""JSON Schema Test Suite conformance, run through the SQL functions.

For each draft (2020-12, draft-07):
  * every file under remotes/ is registered with pipeline.register_schema at
    http://localhost:1234/<relative path> (the suite's convention);
  * every test group becomes a pipeline {"schema": ..., "formats": "annotate"}
    ("assert" for optional/format and optional/content) and all its tests run in one query;
  * required and optional results (formats included) are compared with
    conformance_known_failures.KNOWN_FAILURES: a failure not listed is a
    regression, a listed test that passes is stale (remove it from the list),
    and the required pass rate must stay >= 90% per draft.

The per-file table is printed at the end of the pytest run and written to
test/conformance-report.md (or $CONFORMANCE_REPORT).

The suite is $JSON_SCHEMA_TEST_SUITE (or the team's shared copy beside the
repository).  Without it these tests are skipped, with where to get it;
with CI=true they fail.
"""

import json
import os
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from conformance_known_failures import KNOWN_FAILURES, SUITE_COMMIT, SUITE_URL

ROOT = Path(__file__).resolve().parent.parent
SUITE = Path(os.environ.get("JSON_SCHEMA_TEST_SUITE")
             or ROOT.parent / "shared" / "jsonschema-test-suite")
REPORT = Path(os.environ.get("CONFORMANCE_REPORT")
              or ROOT / "test" / "conformance-report.md")
REMOTE_BASE = "http://localhost:1234/"

DRAFTS = {
    "draft2020-12": "https://json-schema.org/draft/2020-12/schema",
    "draft7": "http://json-schema.org/draft-07/schema#",
}
MIN_PASS_RATE = 0.90
STATEMENT_TIMEOUT = "60s"   # a hang is a failure, not a stuck CI run
LOST = "backend lost"


# -- JSON text that keeps the suite's numbers exactly (1.0 stays 1.0,
#    big decimals keep every digit), unlike a round trip through float.

def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_float=Decimal)


def to_json(v):
    if isinstance(v, bool) or v is None or isinstance(v, (int, float, str)):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, list):
        return "[" + ",".join(to_json(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + to_json(x)
                              for k, x in v.items()) + "}"
    raise TypeError(f"not JSON: {v!r}")


def short(s, n=200):
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 3] + "..."


@dataclass
class Result:
    key: str            # "draft/file::group::test"
    draft: str
    file: str           # relative to tests/<draft>/, e.g. "ref.json", "optional/format/email.json"
    optional: bool
    expected: bool
    got: object = None  # True/False, or None when an error prevented an answer
    error: str = ""

    @property
    def ok(self):
        return self.got is self.expected


@dataclass
class DraftRun:
    draft: str
    results: list = field(default_factory=list)
    remote_errors: list = field(default_factory=list)
    seconds: float = 0.0

    def select(self, optional):
        return [r for r in self.results if r.optional == optional]


class Runner:
    """Owns one connection and gets a new one if a backend dies."""

    def __init__(self, connect):
        self._connect = connect
        self.conn = None
        self.crashes = 0
        self.seq = 0
        self._reconnect()

    def _reconnect(self):
        if self.conn is not None and not self.conn.closed:
            self.conn.close()
        # After a backend crash the server kills every session and restarts:
        # a connection made in between can die at once, so retry the lot.
        deadline = time.monotonic() + 60
        while True:
            self.conn = self._connect()
            try:
                self.conn.execute("CREATE EXTENSION IF NOT EXISTS pipeline")
                self.conn.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
                return
            except psycopg.OperationalError:
                broken = self.conn.broken or self.conn.closed
                self.conn.close()
                if not broken or time.monotonic() > deadline:
                    raise   # a real error, not a restarting server
                time.sleep(0.5)

    def run(self, sql, params=()):
        """Execute; return (rows, None) or (None, error text)."""
        try:
            return self.conn.execute(sql, params).fetchall(), None
        except psycopg.OperationalError as e:
            if self.conn.closed or self.conn.broken:
                self.crashes += 1
                self._reconnect()
                return None, f"{LOST}: {short(e)}"
            return None, short(e)
        except psycopg.Error as e:
            return None, short(e)

    def register_remotes(self):
        errors = []
        base = SUITE / "remotes"
        for path in sorted(base.rglob("*.json")):
            uri = REMOTE_BASE + path.relative_to(base).as_posix()
            _, err = self.run("SELECT pipeline.register_schema(%s, %s::jsonb)",
                              (uri, to_json(load_json(path))))
            if err:
                errors.append(f"{uri}: {err}")
        return errors

    def run_group(self, draft, schema, formats, tests):
        """Define one pipeline for the group and run its tests in one query.
        Returns a list of (got, error) per test."""
        if isinstance(schema, dict) and "$schema" not in schema:
            schema = {"$schema": DRAFTS[draft], **schema}
        self.seq += 1
        name = f"ct_{draft}_{self.seq}"
        spec = {"schema": schema, "formats": formats}
        _, err = self.run("SELECT pipeline.define(%s, %s::jsonb)", (name, to_json(spec)))
        if err:
            return [(None, f"define: {err}")] * len(tests)
        docs = [to_json(t["data"]) for t in tests]
        rows, err = self.run(
            "SELECT pipeline.validate(d, %s) FROM unnest(%s::jsonb[]) WITH ORDINALITY AS t(d, i) ORDER BY i",
            (name, docs))
        if rows is not None and len(rows) == len(tests):
            return [(r[0], "") for r in rows]
        if err and err.startswith(LOST):
            # a crash: running the tests one by one would crash once per test
            return [(None, f"validate: {err}")] * len(tests)
        # one bad document (or a validator error) spoils the batch: go one by one
        out = []
        for d in docs:
            rows, err = self.run("SELECT pipeline.validate(%s::jsonb, %s)", (d, name))
            out.append((rows[0][0], "") if rows else (None, f"validate: {err}"))
        return out


def iter_files(draft):
    base = SUITE / "tests" / draft
    for path in sorted(base.rglob("*.json")):
        rel = path.relative_to(base).as_posix()
        yield rel, rel.startswith("optional/"), path


def run_draft(runner, draft):
    run = DraftRun(draft)
    t0 = time.monotonic()
    seen = set()
    for rel, optional, path in iter_files(draft):
        # format and content are assertions only when the spec asserts formats
        # (docs/validation.md); their optional tests expect assertion
        formats = "assert" if rel.startswith(("optional/format/", "optional/content")) else "annotate"
        for group in load_json(path):
            tests = group["tests"]
            answers = runner.run_group(draft, group["schema"], formats, tests)
            for t, (got, err) in zip(tests, answers):
                key = f"{draft}/{rel}::{group['description']}::{t['description']}"
                n = 2
                while key in seen:   # the suite has no duplicates today; stay unique anyway
                    key = f"{draft}/{rel}::{group['description']}::{t['description']} [#{n}]"
                    n += 1
                seen.add(key)
                if got is not None and not isinstance(got, bool):
                    got, err = None, f"validate returned {got!r}"
                run.results.append(Result(key, draft, rel, optional, bool(t["valid"]), got, err))
    run.seconds = time.monotonic() - t0
    return run


# -- reporting

def per_file(results):
    table = {}
    for r in results:
        p, t = table.get(r.file, (0, 0))
        table[r.file] = (p + r.ok, t + 1)
    return table


def totals(results):
    passed = sum(r.ok for r in results)
    return passed, len(results)


def pct(p, t):
    return f"{100.0 * p / t:.1f}%" if t else "n/a"


def describe_failure(r):
    if r.got is None:
        return r.error
    return f"expected {'valid' if r.expected else 'invalid'}, got {'valid' if r.got else 'invalid'}"


def markdown_report(runs):
    out = ["# JSON Schema Test Suite conformance", "",
           "Generated by `test/test_conformance.py` (`make test`). Required and optional",
           "tests are asserted against `test/conformance_known_failures.py` (formats",
           "asserted for optional/format).", "",
           "| draft | required | optional |", "|---|---|---|"]
    for run in runs:
        rp, rt = totals(run.select(False))
        op, ot = totals(run.select(True))
        out.append(f"| {run.draft} | {rp}/{rt} ({pct(rp, rt)}) | {op}/{ot} ({pct(op, ot)}) |")
    for run in runs:
        for optional in (False, True):
            kind = "optional" if optional else "required"
            out += ["", f"## {run.draft}: {kind}", "", "| file | passed | total |", "|---|---|---|"]
            for f, (p, t) in sorted(per_file(run.select(optional)).items()):
                mark = "" if p == t else " **"
                out.append(f"| {f} | {p}{mark} | {t} |")
        if run.remote_errors:
            out += ["", f"### {run.draft}: remotes not registered", ""]
            out += [f"- {e}" for e in run.remote_errors]
        fails = [r for r in run.results if not r.ok]
        if fails:
            out += ["", f"### {run.draft}: failing tests", ""]
            for r in fails:
                known = KNOWN_FAILURES.get(r.key)
                why = f" (known: {known})" if known else " (NOT in the known-failure list)"
                out.append(f"- `{r.key}`: {short(describe_failure(r), 160)}{why}")
    return "\n".join(out) + "\n"


def label(file):
    """"optional/format/email.json" -> "format/email" (the section says optional)."""
    file = file.removeprefix("optional/")
    return file[:-5] if file.endswith(".json") else file


def terminal_table(run):
    """Compact: required and optional per file, three files to a line."""
    lines = []
    for optional in (False, True):
        res = run.select(optional)
        p, t = totals(res)
        kind = "optional" if optional else "required"
        lines.append(f"{run.draft} {kind}: {p}/{t} passed ({pct(p, t)})"
                     + ("" if optional else f" in {run.seconds:.1f}s"))
        cells = [f"{'*' if fp != ft else ' '}{label(f):<26.26} {fp:>4}/{ft:<4}"
                 for f, (fp, ft) in sorted(per_file(res).items())]
        for i in range(0, len(cells), 3):
            lines.append("  " + "  ".join(cells[i:i + 3]))
    return "\n".join(lines)


# -- the tests

@pytest.fixture(scope="module")
def runs(connect, terminal_report):
    if not SUITE.is_dir():
        msg = (f"JSON Schema Test Suite not found at {SUITE}: get {SUITE_URL} "
               f"(commit {SUITE_COMMIT}) and set JSON_SCHEMA_TEST_SUITE")
        if os.environ.get("CI") == "true":
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    runner = Runner(connect)
    remote_errors = runner.register_remotes()
    done = {}
    for draft in DRAFTS:
        done[draft] = run_draft(runner, draft)
        done[draft].remote_errors = remote_errors
    try:
        REPORT.write_text(markdown_report(list(done.values())), encoding="utf-8")
    except OSError as e:
        print(f"could not write {REPORT}: {e}")
    text = "\n".join(terminal_table(r) for r in done.values())
    text += f"\n(* = not all passed; details in {REPORT.relative_to(ROOT) if REPORT.is_relative_to(ROOT) else REPORT})"
    if runner.crashes:
        text += f"\nWARNING: {runner.crashes} backend(s) lost during the run"
    terminal_report.append(("JSON Schema conformance", text))
    return done


def known_failure_problems(run, optional):
    """What is wrong with one draft's required or optional results against
    the known-failure list (an empty list when nothing is)."""
    results = run.select(optional)
    kind = "optional" if optional else "required"
    prefix = f"{run.draft}/optional/" if optional else f"{run.draft}/"
    keys = {r.key for r in results}
    regressions = [r for r in results if not r.ok and r.key not in KNOWN_FAILURES]
    now_passing = [r.key for r in results if r.ok and r.key in KNOWN_FAILURES]
    vanished = [k for k in KNOWN_FAILURES if k.startswith(prefix) and k not in keys
                and (optional or not k.startswith(f"{run.draft}/optional/"))]
    problems = []
    if regressions:
        problems.append(f"{len(regressions)} {kind} test(s) fail that are not known failures:")
        problems += [f"  {short(r.key, 150)}: {short(describe_failure(r), 150)}" for r in regressions[:60]]
        if len(regressions) > 60:
            problems.append(f"  ... and {len(regressions) - 60} more (see {REPORT.name})")
    if now_passing:
        problems.append(f"{len(now_passing)} known failure(s) now pass: remove them from "
                        "test/conformance_known_failures.py:")
        problems += [f"  {short(k, 180)}" for k in now_passing]
    if vanished:
        problems.append(f"{len(vanished)} known failure(s) name no test of the suite:")
        problems += [f"  {short(k, 180)}" for k in vanished]
    return problems


@pytest.mark.parametrize("draft", list(DRAFTS))
def test_required(runs, draft):
    run = runs[draft]
    required = run.select(False)
    assert required, f"no required tests found for {draft} under {SUITE}"
    passed, total = totals(required)
    problems = known_failure_problems(run, optional=False)
    if run.remote_errors:
        problems.append("remotes that could not be registered:")
        problems += [f"  {short(e, 180)}" for e in run.remote_errors]
    if total == 0 or passed / total < MIN_PASS_RATE:
        problems.append(f"pass rate {pct(passed, total)} ({passed}/{total}) is below "
                        f"{MIN_PASS_RATE:.0%}")
    if problems:
        pytest.fail(f"{draft}: " + "\n".join(problems), pytrace=False)


@pytest.mark.parametrize("draft", list(DRAFTS))
def test_optional(runs, draft):
    """Optional tests (formats included) are held to the known-failure list
    like the required ones: README's optional figures cannot drop unseen."""
    assert runs[draft].select(True), f"no optional tests found for {draft} under {SUITE}"
    problems = known_failure_problems(runs[draft], optional=True)
    if problems:
        pytest.fail(f"{draft} optional: " + "\n".join(problems), pytrace=False)
