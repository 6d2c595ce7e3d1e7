"""Instructions per record (callgrind): the repeatable cost figure.

Wall time on a shared machine is noisy; instruction counts are not. This
makes a private cluster in a temporary directory, loads the records with
single-user `postgres --single`, then runs one statement per measurement
under `valgrind --tool=callgrind`, collecting only inside the function named
by `--toggle-collect`. The floor is `jsonb_typeof(doc)` over the same rows.
Instructions per record = collected instructions / records, for the whole
statement (`ExecutorRun`: scan, detoast, the function) and for
`pipeline_validate` alone; a 1-record run is subtracted, so compiling the spec
on the first call is not counted.  The validate statement is measured again
with `pipeline.track_stats = off`: what the statistics cost a call.

Used by bench/run.py's `instructions` section; by hand:
    /usr/bin/python3 bench/instructions.py BINDIR SPEC.json RECORDS.copy N
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def _as_pg(cmd, **kw):
    """Run as the postgres user when root (the server refuses root)."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def _single(bindir, data, stmts, prefix=()):
    """Statements (one per line) through postgres --single, optionally under a tool."""
    cmd = [*prefix, f"{bindir}/postgres", "--single", "-D", data, "-c", "jit=off",
           "-c", "max_parallel_workers_per_gather=0", "postgres"]
    r = _as_pg(cmd, input="\n".join(stmts) + "\n", timeout=1800)
    if r.returncode != 0 or "ERROR:" in r.stdout + r.stderr:
        raise RuntimeError(f"postgres --single failed:\n{(r.stdout + r.stderr)[-2000:]}")
    return r


def _ir(outfile):
    """Total instructions collected, from callgrind's output file."""
    text = Path(outfile).read_text()
    m = re.search(r"^(?:summary|totals):\s+(\d+)", text, re.M)
    return int(m.group(1)) if m else 0


def measure(bindir, workloads, n):
    """workloads: {name: (spec_text, copy_file)} ->
    {name: {floor, validate, validate_fn, validate_spec, validate_nostats, validate_fn_nostats, n}}."""
    if not shutil.which("valgrind"):
        raise RuntimeError("valgrind is not installed")
    work = Path(tempfile.mkdtemp(prefix="pipeline-callgrind-"))
    os.chmod(work, 0o777)
    data = str(work / "data")
    try:
        r = _as_pg([f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"])
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed: {r.stderr[-500:]}")
        setup = ["CREATE EXTENSION pipeline"]
        for name, (spec_text, copy_file) in workloads.items():
            only = {"schema": json.loads(spec_text)["schema"]}
            setup += [f"SELECT pipeline.define('{name}', {_lit(spec_text)}::jsonb)",
                      f"SELECT pipeline.define('{name}_schema', {_lit(json.dumps(only))}::jsonb)",
                      f"CREATE TABLE {name}_raw (doc jsonb)",
                      f"COPY {name}_raw FROM {_lit(str(copy_file))}",
                      f"CREATE TABLE {name}_tx AS SELECT pipeline.transform(doc, '{name}') AS doc "
                      f"FROM (SELECT doc FROM {name}_raw LIMIT {n}) s",
                      f"VACUUM FREEZE {name}_tx"]
        _single(bindir, data, setup)
        out = {}
        for name in workloads:
            out[name] = {"n": n}
            floor = f"SELECT count(*) FILTER (WHERE jsonb_typeof(doc) = 'object') FROM {name}_tx"
            validate = f"SELECT count(*) FILTER (WHERE pipeline.validate(doc, '{name}_schema')) FROM {name}_tx"
            nostats = ("SET pipeline.track_stats = off",)
            for key, fn, stmt, before in (
                    ("floor", "ExecutorRun", floor, ()),
                    ("validate", "ExecutorRun", validate, ()),
                    ("validate_fn", "pipeline_validate", validate, ()),
                    ("validate_nostats", "ExecutorRun", validate, nostats),
                    ("validate_fn_nostats", "pipeline_validate", validate, nostats),
                    ("validate_spec", "ExecutorRun",
                     f"SELECT count(*) FILTER (WHERE pipeline.validate(doc, '{name}')) FROM {name}_raw "
                     f"WHERE ctid IN (SELECT ctid FROM {name}_raw LIMIT {n})", ())):
                # the first call compiles the spec: count a 1-record run and subtract it
                ir = {}
                for rows in (1, n):
                    cg = work / f"cg.{name}.{key}.{rows}"
                    one = stmt.replace(f"LIMIT {n}", f"LIMIT {rows}") if "LIMIT" in stmt else \
                        stmt.replace(f"FROM {name}_tx", f"FROM (SELECT doc FROM {name}_tx LIMIT {rows}) s")
                    _single(bindir, data, [*before, one], prefix=(
                        "valgrind", "--tool=callgrind", f"--callgrind-out-file={cg}", "--collect-atstart=no",
                        f"--toggle-collect={fn}"))
                    ir[rows] = _ir(cg)
                out[name][key] = (ir[n] - ir[1]) / (n - 1)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure_dry_run(bindir, spec_text, copy_file, n):
    """pipeline.test() against validate(), instructions per record (a 1-record run subtracted).

    The same n records (column mode) and spec on both sides: `validate` is the
    whole statement `count(*) FILTER (WHERE pipeline.validate(doc, name))`
    (scan, detoast, the function); `test_new` is `pipeline.test` for a name
    with no pipeline yet (the candidate checks each record once), `test` for
    the defined pipeline (the candidate, then the active version: two checks),
    each collected in `pipeline_test` (its own scan included).
    """
    if not shutil.which("valgrind"):
        raise RuntimeError("valgrind is not installed")
    work = Path(tempfile.mkdtemp(prefix="pipeline-callgrind-dry-"))
    os.chmod(work, 0o777)
    data = str(work / "data")
    spec = _lit(spec_text) + "::jsonb"
    try:
        r = _as_pg([f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"])
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed: {r.stderr[-500:]}")
        setup = ["CREATE EXTENSION pipeline", f"SELECT pipeline.define('dry', {spec})",
                 "CREATE TABLE dry_raw (doc jsonb)", f"COPY dry_raw FROM {_lit(str(copy_file))}"]
        for rows in (1, n):
            setup += [f"CREATE TABLE dry_{rows} AS SELECT doc FROM dry_raw LIMIT {rows}", f"VACUUM FREEZE dry_{rows}"]
        _single(bindir, data, setup)
        out = {"n": n}
        for key, fn, stmt in (
                ("validate", "ExecutorRun", "SELECT count(*) FILTER (WHERE pipeline.validate(doc, 'dry')) FROM dry_{r}"),
                ("test_new", "pipeline_test", f"SELECT checked FROM pipeline.test('dry_new', {spec}, 'dry_{{r}}', 'doc')"),
                ("test", "pipeline_test", f"SELECT checked FROM pipeline.test('dry', {spec}, 'dry_{{r}}', 'doc')")):
            ir = {}
            for rows in (1, n):
                cg = work / f"cg.dry.{key}.{rows}"
                _single(bindir, data, [stmt.replace("{r}", str(rows))], prefix=(
                    "valgrind", "--tool=callgrind", f"--callgrind-out-file={cg}", "--collect-atstart=no",
                    f"--toggle-collect={fn}"))
                ir[rows] = _ir(cg)
            out[key] = (ir[n] - ir[1]) / (n - 1)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _lit(s):
    return "'" + s.replace("'", "''").replace("\n", " ") + "'"


if __name__ == "__main__":
    bindir, spec, records, n = sys.argv[1:5]
    print(json.dumps(measure(bindir, {"w": (Path(spec).read_text(), Path(records))}, int(n)), indent=1))
