#!/usr/bin/env python3
"""pipeline benchmark: the Python pipeline vs pipeline in PostgreSQL, one run, same data.

`make bench` / `make bench-quick` (scripts/bench.sh) run this inside a
throwaway cluster (pg_virtualenv), after building and installing the
extension. By hand, against a server with the extension installed, reached
through the PG* variables (it creates and drops its own database):

    /usr/bin/python3 bench/run.py --quick [--noop-trigger /path/noop_trigger.so]

Sections (docs/benchmarks.md says what each measures and why):
  per_record  Python jsonschema / fastjsonschema vs pipeline.validate,
              pipeline.process, pipeline.jsonb_matches_schema, beside the
              scan and detoast floors; peers if the server has them
  ingest      end to end through psycopg: the Python pipeline vs COPY into a
              table with the pipeline trigger, a PL/pgSQL trigger, no trigger;
              then server-side COPY FROM a file (bare, no-op C, no-op PL/pgSQL,
              pipeline, PL/pgSQL)
  pgbench     single-row INSERT through the trigger vs without, alternating
  memory      backend RSS before and after many triggered rows; compiled-spec
              memory of large specs
  scaling     cost per record at 10k, 100k (, 1M) rows
  bigdocs     per document on big documents and a giant schema (bench/bigdocs.py):
              a ~2 MB GeoJSON, a ~500 kB catalog, a 2 kB FHIR-like resource
              against a 150-branch discriminated oneOf
  compat      pipeline.jsonb_matches_schema across statements: pgbench INSERTs
              into a table with it in a CHECK vs none; one query per document
              vs one scan
  instructions  instructions per record under callgrind (bench/instructions.py):
              validate and transform + validate against the detoast floor
  migration   the migration's success metrics, before (Python) and after
              (the trigger): per-request latency percentiles with 1 and 2
              clients, client and server CPU, client peak RSS, aggregation
              (bench/migration.py)

Every timing is the best of several runs after a warm-up, the variants of a
measurement interleaved (round robin) so that a noisy neighbour hurts them
alike. Results go to <out>/<name>.json, .md and .png (bench/report.py).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

import psycopg
from psycopg import sql

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import generate as G  # noqa: E402
import reference as R  # noqa: E402
import report  # noqa: E402

SEED = 20240501
# the per-record workloads: bench/specs/<kind>.json on bench/generate.py's records
KINDS = ("orders", "events", "tweets")
AJV = BENCH / "ajv"

# Sizes per mode. Python is slow (~100-250 us a record), so it gets a prefix of
# the records the server works on; per-record figures are comparable because
# the generator's records are a prefix of any longer run of the same seed.
MODES = {
    "quick": dict(
        n_sql=20_000, n_py=4_000, n_events=20_000, n_ingest=8_000, n_server=50_000,
        runs=3, py_runs=2, pgbench_seconds=5, pgbench_runs=2, pgbench_fsync=False,
        mem_batch=50_000, mem_warmup=1, mem_batches=2, scaling=[10_000, 100_000],
        mig_requests=1_000, mig_block=100, mig_rss_n=100_000, mig_agg_n=8_000, instr_n=500,
        big_copies=3, big_fhir_copies=5_000, big_runs=5,
    ),
    "full": dict(
        n_sql=100_000, n_py=10_000, n_events=100_000, n_ingest=40_000, n_server=100_000,
        runs=5, py_runs=3, pgbench_seconds=10, pgbench_runs=5, pgbench_fsync=True,
        mem_batch=100_000, mem_warmup=2, mem_batches=10, scaling=[10_000, 100_000, 1_000_000],
        mig_requests=5_000, mig_block=250, mig_rss_n=1_000_000, mig_agg_n=40_000, instr_n=2_000,
        big_copies=5, big_fhir_copies=20_000, big_runs=11,
    ),
}

# Peers: other validators, measured in this run if the server has them.
# (name in pg_available_extensions, how to call it with a json schema and a jsonb doc)
PEERS = [
    ("pg_jsonschema", "pg_jsonschema", "{s}.jsonb_matches_schema({schema}::json, doc)"),
    ("is_jsonb_valid", "is_jsonb_valid", "{s}.is_jsonb_valid({schema}::jsonb, doc)"),
    ("postgres-json-schema", "postgres-json-schema", "{s}.validate_json_schema({schema}::jsonb, doc)"),
]

def log(msg):
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)


# ------------------------------------------------------------------ timing

def interleaved(variants, runs, warmup=1):
    """Time variants round robin: warmup untimed rounds, then `runs` timed ones.

    variants: {key: (setup or None, fn[, after])}; setup runs untimed before
    each call, after (untimed) right after it and gets fn's result.
    Returns {key: {"best": s, "times": [s, ...], "result": the last result of
    after, or of fn without after}}. The order of the variants rotates every round.
    """
    keys = list(variants)
    out = {k: {"times": [], "result": None} for k in keys}
    for rnd in range(warmup + runs):
        order = keys[rnd % len(keys):] + keys[:rnd % len(keys)]
        for k in order:
            setup, fn, *after = variants[k]
            if setup:
                setup()
            gc.collect()
            t0 = time.perf_counter()
            res = fn()
            dt = time.perf_counter() - t0
            if after and after[0]:
                res = after[0](res)
            out[k]["result"] = res
            if rnd >= warmup:
                out[k]["times"].append(dt)
    for k in keys:
        out[k]["best"] = min(out[k]["times"])
    return out


def paired_floor(pg, copies):
    """The share above the floor from each round's own pair (seconds apart), median over rounds.

    The host's speed drifts over minutes; the two best-of-runs figures can come
    from different moments, a pair from one round cannot.
    """
    pairs = list(zip(pg["pl_validate"]["times"], pg["floor"]["times"]))
    return {"above_floor_us": statistics.median(v - f for v, f in pairs) / copies * 1e6,
            "x_floor": statistics.median(v / f for v, f in pairs)}


def row(key, name, seconds, n, **extra):
    d = {"key": key, "name": name, "seconds": seconds, "n": n, "us": seconds / n * 1e6, "per_s": n / seconds}
    d.update(extra)
    return d


# ------------------------------------------------------------------ data

def copy_escape(text):
    """A value in COPY's text format (the records are JSON: no raw tabs or newlines)."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def write_copy_files(kind, sizes, tmpdir, keep):
    """Stream max(sizes) records of `kind` into COPY files, one per size (prefixes).

    Returns ({size: path}, the first `keep` JSON texts).
    """
    sizes = sorted(set(sizes))
    paths = {n: tmpdir / f"{kind}_{n}.copy" for n in sizes}
    files = {n: open(p, "w", encoding="utf-8") for n, p in paths.items()}
    kept = []
    try:
        for i, text in enumerate(G.records_json(kind, sizes[-1], SEED)):
            if i < keep:
                kept.append(text)
            line = copy_escape(text) + "\n"
            for n, f in files.items():
                if i < n:
                    f.write(line)
    finally:
        for f in files.values():
            f.close()
    for p in paths.values():
        os.chmod(p, 0o644)
    return paths, kept


def big_schema(n=500):
    """A generated 500-property object schema, a mix of the common keywords."""
    props = {}
    for i in range(n):
        m = i % 8
        if m == 0:
            s = {"type": "string", "minLength": 1, "maxLength": 64}
        elif m == 1:
            s = {"type": "integer", "minimum": 0, "maximum": 1000000}
        elif m == 2:
            s = {"type": "string", "pattern": f"^[A-Z]{{2}}-[0-9]{{{1 + i % 6}}}$"}
        elif m == 3:
            s = {"type": "string", "format": "email"}
        elif m == 4:
            s = {"enum": [f"v{i}-{j}" for j in range(6)]}
        elif m == 5:
            s = {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.01}
        elif m == 6:
            s = {"type": "array", "items": {"type": "string", "maxLength": 32}, "maxItems": 10, "uniqueItems": True}
        else:
            s = {"type": "object", "required": ["x"], "additionalProperties": False,
                 "properties": {"x": {"type": "integer"}, "y": {"type": "string", "format": "date-time"},
                                "z": {"type": ["string", "null"]}}}
        props[f"field_{i:03d}"] = s
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "required": [f"field_{i:03d}" for i in range(0, n, 5)],
            "additionalProperties": False, "properties": props}


# ------------------------------------------------------------------ the run

class Bench:
    def __init__(self, args):
        self.args = args
        self.mode = "quick" if args.quick else "full"
        self.cfg = dict(MODES[self.mode])
        self.results = {"mode": self.mode, "config": self.cfg, "errors": {}}
        self.dbname = f"pipeline_bench_{os.getpid()}"
        self.tmpdir = None
        self.admin = None
        self.conn = None
        self.specs = {k: (BENCH / "specs" / f"{k}.json").read_text() for k in KINDS}

    # -- connections
    def connect(self):
        c = psycopg.connect(dbname=self.dbname, autocommit=True)
        c.execute("SET jit = off")
        c.execute("SET max_parallel_workers_per_gather = 0")
        c.execute("SET TimeZone = 'UTC'")  # bench_orders_plpgsql reads local times as UTC, as the spec does
        return c

    def q(self, stmt, params=None):
        return self.conn.execute(stmt, params).fetchone()

    def setup(self):
        self.admin = psycopg.connect(autocommit=True)
        self.admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.dbname)))
        self.admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.dbname)))
        self.conn = self.connect()
        self.conn.execute("CREATE EXTENSION pipeline")
        self.tmpdir = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
        os.chmod(self.tmpdir, 0o755)  # the server reads the COPY files
        for kind, text in self.specs.items():
            spec = json.loads(text)
            self.q("SELECT pipeline.define(%s, %s::jsonb)", (kind, text))
            # the same schema and formats, no transform: for schema-only comparisons
            only = {"schema": spec["schema"], "formats": spec.get("formats", "assert")}
            self.q("SELECT pipeline.define(%s, %s::jsonb)", (f"{kind}_schema", json.dumps(only)))
        self.conn.execute((BENCH / "plpgsql_triggers.sql").read_text())
        self.meta()

    def cleanup(self):
        for c in (self.conn,):
            if c is not None and not c.closed:
                c.close()
        if self.admin is not None:
            try:
                self.admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.dbname)))
            except psycopg.Error as e:
                log(f"could not drop {self.dbname}: {e}")
            self.admin.close()
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def meta(self):
        import importlib.metadata as md
        import fastjsonschema
        cpu = "?"
        try:
            for line in open("/proc/cpuinfo"):
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        ram = "?"
        try:
            for line in open("/proc/meminfo"):
                if line.startswith("MemTotal"):
                    ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
        except OSError:
            pass

        def git(*a):
            try:
                return subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True, text=True,
                                      check=True).stdout.strip()
            except (OSError, subprocess.CalledProcessError):
                return "?"
        commit = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src", "include", "sql", "Makefile")
        settings = {}
        for name in ("server_version", "shared_buffers", "fsync", "synchronous_commit", "wal_level",
                     "max_wal_size", "jit", "max_parallel_workers_per_gather"):
            settings[name] = self.q(sql.SQL("SHOW {}").format(sql.Identifier(name)))[0]
        self.results["meta"] = {
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "nproc": os.cpu_count(), "cpu": cpu, "ram": ram, "kernel": platform.release(),
            "postgres": settings.pop("server_version"),
            "extension": self.q("SELECT extversion FROM pg_extension WHERE extname = 'pipeline'")[0],
            "python": platform.python_version(), "psycopg": psycopg.__version__,
            "jsonschema": md.version("jsonschema"), "fastjsonschema": fastjsonschema.VERSION,
            "commit": commit + (" (+ uncommitted changes in src/)" if dirty and dirty != "?" else ""),
            "settings": settings,
        }

    # -- data
    def load_data(self):
        cfg = self.cfg
        log("generating records")
        sizes = {cfg["n_sql"], cfg["n_server"], cfg["mem_batch"], *cfg["scaling"]}
        keep = max(cfg["n_py"], cfg["n_ingest"])
        self.files = {}
        self.files["orders"], self.texts = write_copy_files("orders", sizes, self.tmpdir, keep)
        self.texts = {"orders": self.texts}
        for kind in KINDS[1:]:
            self.files[kind], self.texts[kind] = write_copy_files(kind, {cfg["n_events"]}, self.tmpdir, cfg["n_py"])
        log("loading tables")
        for kind, paths in self.files.items():
            biggest = paths[max(paths)]
            t = f"{kind}_raw"
            self.conn.execute(f"CREATE TABLE {t} (id bigserial PRIMARY KEY, doc jsonb NOT NULL)")
            self.conn.execute(sql.SQL("COPY {} (doc) FROM {}").format(sql.Identifier(t), sql.Literal(str(biggest))))
        n = {k: cfg["n_sql"] if k == "orders" else cfg["n_events"] for k in KINDS}
        for kind in KINDS:
            # the per-record tables: raw records, transformed ones, the valid raw ones
            self.conn.execute(f"CREATE TABLE {kind}_rec AS SELECT id, doc FROM {kind}_raw WHERE id <= {n[kind]}")
            self.conn.execute(f"CREATE TABLE {kind}_tx AS SELECT id, pipeline.transform(doc, '{kind}') AS doc "
                              f"FROM {kind}_rec")
            self.conn.execute(f"CREATE TABLE {kind}_ok AS SELECT id, doc FROM {kind}_rec "
                              f"WHERE pipeline.validate(doc, '{kind}')")
        for kind in KINDS:
            for t in ("raw", "rec", "tx", "ok"):
                self.conn.execute(f"VACUUM (FREEZE, ANALYZE) {kind}_{t}")

    # -- 1. per record
    def per_record(self):
        import fastjsonschema
        cfg = self.cfg
        out = {}
        for kind in KINDS:
            log(f"per record: {kind}")
            texts = self.texts[kind][:cfg["n_py"]]
            n_py = len(texts)
            pj = R.Pipeline(self.specs[kind], validator="jsonschema")
            pf = R.Pipeline(self.specs[kind], validator="fastjsonschema")
            state = {}

            def fresh(p, key):
                def setup():
                    state[key] = [p.loads(t) for t in texts]
                return setup

            def full(p, key):
                def fn():
                    v = p.validate
                    return sum(1 for d in state[key] if v(d))
                return fn

            tx_j = [pj.transform(pj.loads(t))[0] for t in texts]
            tx_f = [pf.transform(pf.loads(t))[0] for t in texts]
            is_valid = pj._validator.is_valid
            fast = pf._fast
            Exc = fastjsonschema.JsonSchemaValueException

            def fast_schema():
                ok = 0
                for d in tx_f:
                    try:
                        fast(d)
                        ok += 1
                    except Exc:
                        pass
                return ok

            py = interleaved({
                "py_jsonschema_full": (fresh(pj, "j"), full(pj, "j")),
                "py_fast_full": (fresh(pf, "f"), full(pf, "f")),
                "py_jsonschema_schema": (None, lambda: sum(1 for d in tx_j if is_valid(d))),
                "py_fast_schema": (None, fast_schema),
            }, runs=cfg["runs"])  # the same number of runs as the SQL side

            schema_lit = sql.Literal(json.dumps(json.loads(self.specs[kind])["schema"])).as_string(self.conn)
            queries = {
                "scan": f"SELECT count(*) FROM {kind}_rec",
                "floor": f"SELECT count(*) FILTER (WHERE jsonb_typeof(doc) = 'object') FROM {kind}_rec",
                "pl_validate_full": f"SELECT count(*) FILTER (WHERE pipeline.validate(doc, '{kind}')) FROM {kind}_rec",
                "pl_process": f"SELECT count(pipeline.process(doc, '{kind}')) FROM {kind}_ok",
                "pl_validate_schema": f"SELECT count(*) FILTER (WHERE pipeline.validate(doc, '{kind}_schema')) "
                                      f"FROM {kind}_tx",
                "pl_compat": f"SELECT count(*) FILTER (WHERE pipeline.jsonb_matches_schema({schema_lit}::json, doc)) "
                             f"FROM {kind}_tx",
            }
            for key, ext, call in self.peers:
                queries[key] = (f"SELECT count(*) FILTER (WHERE {call.format(s=ext_schema(ext), schema=schema_lit)}) "
                                f"FROM {kind}_tx")
            n_rows = {k: self.q(f"SELECT count(*) FROM {kind}_{'ok' if k == 'pl_process' else 'rec'}")[0]
                      for k in queries}
            pg = interleaved({k: (None, (lambda s=s: self.q(s)[0])) for k, s in queries.items()}, runs=cfg["runs"])

            # sanity: the same verdicts on the records Python saw
            c_valid = self.q(f"SELECT count(*) FILTER (WHERE pipeline.validate(doc, '{kind}')) FROM {kind}_rec "
                             f"WHERE id <= {n_py}")[0]
            names = {
                "py_jsonschema_full": "Python jsonschema: reference pipeline (transform + validate)",
                "py_fast_full": "Python fastjsonschema: reference pipeline (transform + validate)",
                "pl_validate_full": "pipeline.validate(doc, spec)",
                "pl_process": "pipeline.process(doc, spec) (valid records only: it raises on the others)",
                "py_jsonschema_schema": "Python jsonschema: is_valid",
                "py_fast_schema": "Python fastjsonschema: compiled validator",
                "pl_validate_schema": "pipeline.validate(doc, schema-only spec)",
                "pl_compat": "pipeline.jsonb_matches_schema(schema, doc)",
                "scan": "scan only: count(*)",
                "floor": "detoast floor: jsonb_typeof(doc)",
            }
            for key, _, _ in self.peers:
                names[key] = f"peer: {key}"
            rows = []
            for k, v in py.items():
                rows.append(row(k, names[k], v["best"], n_py, valid=v["result"], times=v["times"]))
            for k, v in pg.items():
                rows.append(row(k, names[k], v["best"], n_rows[k], valid=v["result"], times=v["times"]))
            ajv = self.ajv(kind, cfg["runs"])
            if ajv:
                rows.append(row("ajv_schema", "ajv (node): compiled validator, documents parsed beforehand",
                                ajv["best"], ajv["n"], valid=ajv["valid"], times=ajv["times"]))
            out[kind] = {"n_py": n_py, "n_sql": n_rows["pl_validate_full"], "rows": rows,
                         "valid_check": {"python_jsonschema": py["py_jsonschema_full"]["result"],
                                         "python_fastjsonschema": py["py_fast_full"]["result"],
                                         "pipeline": c_valid, "of": n_py}}
        return out

    def ajv(self, kind, runs):
        """ajv on the records the SQL side validates schema-only; None without node/ajv."""
        if not (AJV / "node_modules" / "ajv").is_dir() or not shutil.which("node"):
            log("ajv: not installed (scripts/bench.sh installs it with npm); no ajv column")
            return None
        schema = self.tmpdir / f"{kind}_schema.json"
        schema.write_text(json.dumps(json.loads(self.specs[kind])["schema"]))
        docs = self.tmpdir / f"{kind}_tx.jsonl"
        with open(docs, "w", encoding="utf-8") as f:
            for (d,) in self.conn.execute(f"SELECT doc::text FROM {kind}_tx ORDER BY id"):
                f.write(d + "\n")
        p = subprocess.run(["node", str(AJV / "validate.js"), str(schema), str(docs), str(runs)],
                           capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise RuntimeError(f"ajv failed: {p.stderr.strip()[-500:]}")
        r = json.loads(p.stdout.strip().splitlines()[-1])
        return {"best": min(r["times"]), "times": r["times"], "n": r["n"], "valid": r["valid"]}

    def find_peers(self):
        avail = {r[0] for r in self.conn.execute("SELECT name FROM pg_available_extensions").fetchall()}
        self.peers = []
        for key, ext, call in PEERS:
            if ext in avail:
                try:
                    self.conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(ext_schema(ext))))
                    self.conn.execute(sql.SQL("CREATE EXTENSION {} SCHEMA {}").format(
                        sql.Identifier(ext), sql.Identifier(ext_schema(ext))))
                    self.peers.append((key, ext, call))
                except psycopg.Error as e:
                    log(f"peer {ext} is available but could not be created: {e}")
        self.results["peers"] = {"in_run": [p[0] for p in self.peers], "looked_for": [p[1] for p in PEERS]}

    # -- 2. ingest
    def make_table(self, name, trigger=None):
        self.conn.execute(f"DROP TABLE IF EXISTS {name}")
        self.conn.execute(f"CREATE TABLE {name} (id bigserial PRIMARY KEY, doc jsonb NOT NULL)")
        if trigger == "pipeline":
            self.q("SELECT pipeline.attach(%s, 'orders', 'doc')", (name,))
        elif trigger:
            self.conn.execute(f"CREATE TRIGGER check_doc BEFORE INSERT OR UPDATE ON {name} "
                              f"FOR EACH ROW EXECUTE FUNCTION {trigger}()")

    def reset(self, *tables):
        self.conn.execute("TRUNCATE " + ", ".join(tables + ("pipeline.rejects", "bench_plpgsql_rejects")))
        self.conn.execute("CHECKPOINT")

    def count(self, table, where=""):
        return self.q(f"SELECT count(*) FROM {table} {where}")[0]

    def ingest(self):
        cfg = self.cfg
        texts = self.texts["orders"][:cfg["n_ingest"]]
        n = len(texts)
        log(f"ingest: psycopg COPY of {n} records")
        R.create_tables(self.conn, "ing_python")
        self.make_table("ing_pipeline", "pipeline")
        self.make_table("ing_plpgsql", "bench_orders_plpgsql")
        self.make_table("ing_bare")
        pj = R.Pipeline(self.specs["orders"], validator="jsonschema")
        pf = R.Pipeline(self.specs["orders"], validator="fastjsonschema")

        def copy_into(table):
            def fn():
                with self.conn.cursor() as cur:
                    with cur.copy(sql.SQL("COPY {} (doc) FROM STDIN").format(sql.Identifier(table))) as cp:
                        for t in texts:
                            cp.write_row((t,))
            return fn

        def setup(*tables):
            return lambda: self.reset(*tables)

        def counted(table, rejects):
            return lambda _: (self.count(table), self.count(rejects) if rejects else 0)

        res = interleaved({
            "py_jsonschema": (setup("ing_python", "ing_python_rejects"),
                              lambda: R.ingest(self.conn, "ing_python", texts, pj),
                              counted("ing_python", "ing_python_rejects")),
            "py_fast": (setup("ing_python", "ing_python_rejects"),
                        lambda: R.ingest(self.conn, "ing_python", texts, pf),
                        counted("ing_python", "ing_python_rejects")),
            "copy_pipeline": (setup("ing_pipeline"), copy_into("ing_pipeline"),
                              counted("ing_pipeline", "pipeline.rejects")),
            "copy_plpgsql": (setup("ing_plpgsql"), copy_into("ing_plpgsql"),
                             counted("ing_plpgsql", "bench_plpgsql_rejects")),
            "copy_bare": (setup("ing_bare"), copy_into("ing_bare"), counted("ing_bare", None)),
        }, runs=cfg["py_runs"])
        names = {
            "py_jsonschema": "Python pipeline, jsonschema (parse, transform, validate, COPY good rows, INSERT rejects)",
            "py_fast": "Python pipeline, fastjsonschema (the same)",
            "copy_pipeline": "COPY raw records, pipeline trigger (column mode, quarantine)",
            "copy_plpgsql": "COPY raw records, PL/pgSQL trigger (bench/plpgsql_triggers.sql)",
            "copy_bare": "COPY raw records, no checks",
        }
        rows = []
        for k, v in res.items():
            ins, rej = v["result"]
            rows.append(row(k, names[k], v["best"], n, times=v["times"], inserted=ins, rejected=rej))
        out = {"n": n, "rows": rows}

        log(f"ingest: server-side COPY of {cfg['n_server']} records")
        path = sql.Literal(str(self.files["orders"][cfg["n_server"]]))
        tables = {
            "srv_bare": None, "srv_noop_c": "bench_noop_c" if self.noop_c else None,
            "srv_noop_plpgsql": "bench_noop_plpgsql", "srv_pipeline": "pipeline", "srv_plpgsql": "bench_orders_plpgsql",
        }
        if not self.noop_c:
            del tables["srv_noop_c"]
        for t, trig in tables.items():
            self.make_table(t, trig)
        rejects_of = {"srv_pipeline": "pipeline.rejects", "srv_plpgsql": "bench_plpgsql_rejects"}
        variants = {t: (setup(t),
                        (lambda t=t: self.conn.execute(
                            sql.SQL("COPY {} (doc) FROM {}").format(sql.Identifier(t), path)).rowcount),
                        counted(t, rejects_of.get(t)))
                    for t in tables}
        res = interleaved(variants, runs=cfg["runs"])
        names = {
            "srv_bare": "COPY FROM file, no trigger (multi-insert)",
            "srv_noop_c": "COPY FROM file, no-op C trigger (bench/noop_trigger.c)",
            "srv_noop_plpgsql": "COPY FROM file, no-op PL/pgSQL trigger",
            "srv_pipeline": "COPY FROM file, pipeline trigger (column mode, quarantine)",
            "srv_plpgsql": "COPY FROM file, PL/pgSQL trigger",
        }
        srows = []
        for k, v in res.items():
            ins, rej = v["result"]
            srows.append(row(k, names[k], v["best"], cfg["n_server"], times=v["times"], inserted=ins, rejected=rej))
        out["server"] = {"n": cfg["n_server"], "rows": srows}
        for t in ("ing_python", "ing_python_rejects", "ing_pipeline", "ing_plpgsql", "ing_bare", *tables):
            self.conn.execute(f"DROP TABLE IF EXISTS {t}")
        self.reset()
        return out

    # -- 3. pgbench
    def pgbench(self):
        cfg = self.cfg
        pgbench = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
        self.make_table("pgb_plain")
        self.make_table("pgb_trigger", "pipeline")
        env = dict(os.environ, PGDATABASE=self.dbname)
        fsync = self.q("SHOW fsync")[0]
        settings = [f"cluster settings (fsync = {fsync})"]
        if cfg["pgbench_fsync"] and fsync == "off":
            settings.append("fsync = on")
        out = {"seconds": cfg["pgbench_seconds"], "runs": cfg["pgbench_runs"],
               "args": f"-n -M prepared -c 2 -j 2 -T {cfg['pgbench_seconds']}", "settings": []}
        for label in settings:
            if label == "fsync = on":  # the throwaway cluster's own setting, put back below
                self.conn.execute("ALTER SYSTEM SET fsync = on")
                self.conn.execute("SELECT pg_reload_conf()")
                time.sleep(1)
            try:
                out["settings"].append(self.pgbench_series(label, pgbench, env))
            finally:
                if label == "fsync = on":
                    self.conn.execute("ALTER SYSTEM RESET fsync")
                    self.conn.execute("SELECT pg_reload_conf()")
                    time.sleep(1)
        for t in ("pgb_plain", "pgb_trigger"):
            self.conn.execute(f"DROP TABLE {t}")
        self.reset()
        return out

    def pgbench_series(self, label, pgbench, env, scripts=None, tables=("pgb_plain", "pgb_trigger")):
        """Alternating pgbench runs of two scripts ({"plain": path, "trigger": path}); medians, ratio."""
        cfg = self.cfg
        scripts = scripts or {w: BENCH / f"pgbench_insert_{w}.sql" for w in ("plain", "trigger")}
        with psycopg.connect(dbname=self.dbname, autocommit=True) as c:
            seen = c.execute("SHOW fsync").fetchone()[0]
        runs = {"plain": [], "trigger": []}
        for i in range(cfg["pgbench_runs"]):
            order = ["plain", "trigger"] if i % 2 == 0 else ["trigger", "plain"]
            for which in order:
                self.reset(*tables)
                log(f"pgbench ({label}): {which} run {i + 1}/{cfg['pgbench_runs']}")
                cmd = [pgbench, "-n", "-M", "prepared", "-c", "2", "-j", "2",
                       "-T", str(cfg["pgbench_seconds"]), "-f", str(scripts[which])]
                p = subprocess.run(cmd, env=env, capture_output=True, text=True,
                                   timeout=cfg["pgbench_seconds"] * 4 + 60)
                if p.returncode != 0:
                    raise RuntimeError(f"pgbench failed:\n{p.stdout}\n{p.stderr}")
                tps = float(re.search(r"tps = ([0-9.]+) \(without initial connection time\)", p.stdout).group(1))
                lat = float(re.search(r"latency average = ([0-9.]+) ms", p.stdout).group(1))
                failed = re.search(r"number of failed transactions: (\d+)", p.stdout)
                if failed and int(failed.group(1)):
                    raise RuntimeError(f"pgbench had failed transactions:\n{p.stdout}")
                runs[which].append({"tps": tps, "latency_ms": lat})
        rows = {}
        for which, rs in runs.items():
            rows[which] = {"tps": [r["tps"] for r in rs], "latency_ms": [r["latency_ms"] for r in rs],
                           "tps_median": statistics.median(r["tps"] for r in rs),
                           "latency_median": statistics.median(r["latency_ms"] for r in rs)}
        return {"label": label, "fsync": seen, "plain": rows["plain"], "trigger": rows["trigger"],
                "ratio": rows["trigger"]["tps_median"] / rows["plain"]["tps_median"],
                "rejected_last_run": self.count("pipeline.rejects")}

    # -- 4. memory
    @staticmethod
    def proc_status(pid):
        out = {}
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM"):
                    out[k] = int(v.split()[0])  # kB
        return out

    def memory(self):
        cfg = self.cfg
        out = {}
        c = self.connect()
        try:
            pid = c.execute("SELECT pg_backend_pid()").fetchone()[0]
            c.execute("DROP TABLE IF EXISTS mem_t")
            c.execute("CREATE TABLE mem_t (id bigserial PRIMARY KEY, doc jsonb NOT NULL)")
            c.execute("SELECT pipeline.attach('mem_t', 'orders', 'doc')")
            path = sql.Literal(str(self.files["orders"][cfg["mem_batch"]]))
            copy = sql.SQL("COPY mem_t (doc) FROM {}").format(path)

            def ctx_bytes():
                return c.execute("SELECT sum(total_bytes)::bigint FROM pg_backend_memory_contexts").fetchone()[0]

            def batch():
                c.execute("TRUNCATE mem_t, pipeline.rejects")
                c.execute(copy)
            log(f"memory: warm-up {cfg['mem_warmup']} x {cfg['mem_batch']} rows")
            for _ in range(cfg["mem_warmup"]):
                batch()
            before, ctx_before = self.proc_status(pid), ctx_bytes()
            trail = []
            for i in range(cfg["mem_batches"]):
                batch()
                s = self.proc_status(pid)
                trail.append({"rows": (i + 1) * cfg["mem_batch"], "RssAnon": s["RssAnon"], "VmRSS": s["VmRSS"]})
            after, ctx_after = self.proc_status(pid), ctx_bytes()
            rows = cfg["mem_batch"] * cfg["mem_batches"]
            out["rss"] = {"rows": rows, "warmup_rows": cfg["mem_batch"] * cfg["mem_warmup"],
                          "before": before, "after": after, "trail": trail,
                          "contexts_before": ctx_before, "contexts_after": ctx_after,
                          "anon_growth_kb": after["RssAnon"] - before["RssAnon"],
                          "anon_growth_per_1m_kb": (after["RssAnon"] - before["RssAnon"]) * 1_000_000 / rows}
            c.execute("DROP TABLE mem_t")
            c.execute("TRUNCATE pipeline.rejects")
        finally:
            c.close()

        log("memory: compiled specs")
        import bigdocs as B
        big = {"schema": big_schema(500)}
        meta = {"schema": {"$ref": "https://json-schema.org/draft/2020-12/schema"}}
        self.q("SELECT pipeline.define('big500', %s::jsonb)", (json.dumps(big),))
        self.q("SELECT pipeline.define('metaschema', %s::jsonb)", (json.dumps(meta),))
        self.q("SELECT pipeline.define('fhir', %s::jsonb)", (json.dumps({"schema": B.fhir()}),))
        specs = [("orders", "bench/specs/orders.json"), ("events", "bench/specs/events.json"),
                 ("tweets", "bench/specs/tweets.json"),
                 ("big500", "generated: 500 properties, 8 kinds of property schema, additionalProperties false"),
                 ("metaschema", 'the 2020-12 metaschema: {"$ref": "https://json-schema.org/draft/2020-12/schema"}'),
                 ("fhir", "bench/bigdocs.py fhir(): oneOf over 150 resources told apart by a resourceType const")]
        out["specs"] = []
        for name, what in specs:
            c = self.connect()
            try:
                size = c.execute("SELECT pg_column_size(spec), length(spec::text) FROM pipeline.pipelines "
                                 "WHERE name = %s ORDER BY version DESC LIMIT 1", (name,)).fetchone()
                total0 = c.execute("SELECT sum(total_bytes)::bigint FROM pg_backend_memory_contexts").fetchone()[0]
                t0 = time.perf_counter()
                c.execute("SELECT pipeline.validate('{}'::jsonb, %s)", (name,))
                first = time.perf_counter() - t0
                t0 = time.perf_counter()
                c.execute("SELECT pipeline.validate('{}'::jsonb, %s)", (name,))
                second = time.perf_counter() - t0
                ctx = dict(c.execute(
                    "SELECT name, sum(total_bytes)::bigint FROM pg_backend_memory_contexts "
                    "WHERE name IN ('pipeline spec', 'pipeline compiled schema') GROUP BY name").fetchall())
                total1 = c.execute("SELECT sum(total_bytes)::bigint FROM pg_backend_memory_contexts").fetchone()[0]
                out["specs"].append({"name": name, "what": what, "spec_bytes": size[0], "spec_text_bytes": size[1],
                                     "spec_context": ctx.get("pipeline spec", 0),
                                     "schema_context": ctx.get("pipeline compiled schema", 0),
                                     "backend_growth": total1 - total0,
                                     "compile_ms": max(first - second, 0) * 1000})
            finally:
                c.close()
        for name in ("big500", "metaschema", "fhir"):
            self.q("SELECT pipeline.drop(%s)", (name,))
        return out

    # -- 5. scaling
    def scaling(self):
        cfg = self.cfg
        out = []
        self.make_table("scale_bare")
        self.make_table("scale_pipeline", "pipeline")
        for n in cfg["scaling"]:
            log(f"scaling: {n} rows")
            t = f"orders_s{n}"
            self.conn.execute(f"CREATE TABLE {t} AS SELECT id, doc FROM orders_raw WHERE id <= {n}")
            self.conn.execute(f"VACUUM (FREEZE, ANALYZE) {t}")
            runs = 3 if n <= 100_000 else 2
            warm = 1 if n <= 100_000 else 0
            res = interleaved({
                "floor": (None, lambda: self.q(f"SELECT count(*) FILTER (WHERE jsonb_typeof(doc) = 'object') FROM {t}")),
                "validate": (None, lambda: self.q(f"SELECT count(*) FILTER (WHERE pipeline.validate(doc, 'orders')) "
                                                  f"FROM {t}")),
            }, runs=runs, warmup=1)
            path = sql.Literal(str(self.files["orders"][n]))
            cres = interleaved({
                "copy_bare": (lambda: self.reset("scale_bare"),
                              lambda: self.conn.execute(sql.SQL("COPY scale_bare (doc) FROM {}").format(path))),
                "copy_pipeline": (lambda: self.reset("scale_pipeline"),
                                  lambda: self.conn.execute(sql.SQL("COPY scale_pipeline (doc) FROM {}").format(path))),
            }, runs=runs, warmup=warm)
            out.append({"n": n,
                        "floor_us": res["floor"]["best"] / n * 1e6,
                        "validate_us": res["validate"]["best"] / n * 1e6,
                        "copy_bare_us": cres["copy_bare"]["best"] / n * 1e6,
                        "copy_pipeline_us": cres["copy_pipeline"]["best"] / n * 1e6})
            self.conn.execute(f"DROP TABLE {t}")
        for t in ("scale_bare", "scale_pipeline"):
            self.conn.execute(f"DROP TABLE {t}")
        self.reset()
        return out

    # -- 6. compat functions across statements
    def compat(self):
        """A CHECK (pipeline.jsonb_matches_schema(...)) on single-row INSERTs, and one query per document.

        Each beside its baseline: a CHECK on the same schema constant that does no work (PostgreSQL reads a
        CHECK's expression, constant included, back from the catalog text for every statement), and one
        query per document that sends and parses the same schema and document but calls nothing.
        """
        cfg = self.cfg
        schema = json.dumps(json.loads(self.specs["tweets"])["schema"])
        doc = self.q("SELECT doc::text FROM tweets_tx WHERE pipeline.validate(doc, 'tweets_schema') ORDER BY id LIMIT 1")[0]
        lit = sql.Literal(schema).as_string(self.conn)
        # the schema in an IMMUTABLE PL/pgSQL function, as docs/validation.md advises for big schemas
        self.conn.execute(f"CREATE OR REPLACE FUNCTION bench_compat_schema() RETURNS json LANGUAGE plpgsql "
                          f"IMMUTABLE PARALLEL SAFE AS $f$ BEGIN RETURN {lit}::json; END $f$")
        checks = {"pgb_nocheck": "", "pgb_const": f", CHECK ({lit}::json IS NOT NULL AND doc IS NOT NULL)",
                  "pgb_check": f", CHECK (pipeline.jsonb_matches_schema({lit}::json, doc))",
                  "pgb_fn": ", CHECK (pipeline.jsonb_matches_schema(bench_compat_schema(), doc))"}
        scripts = {}
        for table, check in checks.items():
            self.conn.execute(f"DROP TABLE IF EXISTS {table}")
            self.conn.execute(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, doc jsonb NOT NULL{check})")
            scripts[table] = self.tmpdir / f"compat_{table}.sql"
            scripts[table].write_text(f"INSERT INTO {table} (doc) VALUES ({sql.Literal(doc).as_string(self.conn)}::jsonb);\n")
        pgbench = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
        env = dict(os.environ, PGDATABASE=self.dbname)
        series = self.pgbench_series("CHECK (jsonb_matches_schema) vs none", pgbench, env,
                                     {"plain": scripts["pgb_nocheck"], "trigger": scripts["pgb_check"]},
                                     ("pgb_nocheck", "pgb_check"))
        const = self.pgbench_series("CHECK (jsonb_matches_schema) vs CHECK on the constant alone", pgbench, env,
                                    {"plain": scripts["pgb_const"], "trigger": scripts["pgb_check"]},
                                    ("pgb_const", "pgb_check"))
        function = self.pgbench_series("CHECK (jsonb_matches_schema(immutable function)) vs none", pgbench, env,
                                       {"plain": scripts["pgb_nocheck"], "trigger": scripts["pgb_fn"]},
                                       ("pgb_nocheck", "pgb_fn"))
        # one query per document through psycopg, against the same documents in one scan
        docs = [d for (d,) in self.conn.execute(f"SELECT doc::text FROM tweets_tx ORDER BY id LIMIT {cfg['n_py']}")]
        stmt = "SELECT pipeline.jsonb_matches_schema(%s::json, %s::jsonb)"
        empty = "SELECT %s::json IS NOT NULL AND %s::jsonb IS NOT NULL"
        scan = (f"SELECT count(*) FILTER (WHERE pipeline.jsonb_matches_schema({lit}::json, doc)) FROM "
                f"(SELECT doc FROM tweets_tx ORDER BY id LIMIT {cfg['n_py']}) s")

        def per_query(text):
            return lambda: sum(1 for d in docs if self.conn.execute(text, (schema, d), prepare=True).fetchone()[0])
        res = interleaved({
            "per_query": (None, per_query(stmt)),
            "empty_query": (None, per_query(empty)),
            "one_scan": (None, lambda: self.q(scan)[0]),
        }, runs=cfg["runs"])
        self.conn.execute("DROP TABLE " + ", ".join(checks))
        self.conn.execute("DROP FUNCTION bench_compat_schema()")
        n = len(docs)
        return {"pgbench": series, "pgbench_const": const, "pgbench_function": function, "n": n,
                "per_query_us": res["per_query"]["best"] / n * 1e6,
                "empty_query_us": res["empty_query"]["best"] / n * 1e6,
                "one_scan_us": res["one_scan"]["best"] / n * 1e6,
                "same": res["per_query"]["result"] == res["one_scan"]["result"]}

    # -- 7. big documents and a giant schema
    def bigdocs(self):
        """Per document: pipeline, ajv, fastjsonschema, jsonschema and the floor on bench/bigdocs.py's shapes."""
        import bigdocs as B
        import fastjsonschema
        cfg = self.cfg
        work = {"geojson": (*B.geojson(), cfg["big_copies"]), "catalog": (*B.catalog(), cfg["big_copies"]),
                "fhir": (B.fhir_patient(), B.fhir(), cfg["big_fhir_copies"])}
        out = {}
        for name, (doc, schema, copies) in work.items():
            log(f"big documents: {name}")
            text = json.dumps(doc, separators=(",", ":"))
            self.q("SELECT pipeline.define(%s, %s::jsonb)", (f"big_{name}", json.dumps({"schema": schema})))
            t = f"big_{name}"
            self.conn.execute(f"DROP TABLE IF EXISTS {t}")
            self.conn.execute(f"CREATE TABLE {t} AS SELECT g AS id, %s::jsonb AS doc FROM generate_series(1, {copies}) g",
                              (text,))
            self.conn.execute(f"VACUUM (FREEZE, ANALYZE) {t}")
            pg = interleaved({
                "floor": (None, lambda t=t: self.q(f"SELECT count(*) FILTER (WHERE jsonb_typeof(doc) = 'object') FROM {t}")[0]),
                "pl_validate": (None, lambda t=t, n=name: self.q(
                    f"SELECT count(*) FILTER (WHERE pipeline.validate(doc, 'big_{n}')) FROM {t}")[0]),
            }, runs=cfg["big_runs"])
            # the libraries as a Python team calls them on these schemas (their
            # patterns are Python-compatible; no transform steps here)
            import jsonschema
            dj = df = json.loads(text)
            vj = jsonschema.validators.validator_for(schema)(schema)
            fast, Exc = fastjsonschema.compile(schema), fastjsonschema.JsonSchemaValueException

            def fast_ok(d=df, fast=fast, Exc=Exc):
                try:
                    fast(d)
                    return 1
                except Exc:
                    return 0
            py = interleaved({"py_jsonschema": (None, lambda v=vj, d=dj: int(v.is_valid(d))),
                              "py_fast": (None, fast_ok)}, runs=cfg["runs"])
            row_ = {k: {"us": v["best"] / copies * 1e6, "valid": v["result"] == copies} for k, v in pg.items()}
            row_.update({k: {"us": v["best"] * 1e6, "valid": v["result"] == 1} for k, v in py.items()})
            ajv = self.ajv_docs(name, schema, text, copies)
            if ajv:
                row_["ajv"] = {"us": ajv["best"] / ajv["n"] * 1e6, "valid": ajv["valid"] == ajv["n"]}
            size = self.q(f"SELECT pg_column_size(doc) FROM {t} LIMIT 1")[0]
            out[name] = {"copies": copies, "json_bytes": len(text), "jsonb_bytes": size,
                         "numbers": 2 * 100_000 if name == "geojson" else None, "rows": row_,
                         **paired_floor(pg, copies)}
            self.conn.execute(f"DROP TABLE {t}")
            self.q("SELECT pipeline.drop(%s)", (f"big_{name}",))
        return out

    def ajv_docs(self, name, schema, text, copies):
        """ajv over `copies` parsed copies of one document; None without node/ajv."""
        if not (AJV / "node_modules" / "ajv").is_dir() or not shutil.which("node"):
            return None
        sp, dp = self.tmpdir / f"big_{name}.schema.json", self.tmpdir / f"big_{name}.jsonl"
        sp.write_text(json.dumps(schema))
        dp.write_text((text + "\n") * copies)
        p = subprocess.run(["node", str(AJV / "validate.js"), str(sp), str(dp), str(self.cfg["runs"])],
                           capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise RuntimeError(f"ajv failed: {p.stderr.strip()[-500:]}")
        r = json.loads(p.stdout.strip().splitlines()[-1])
        return {"best": min(r["times"]), "n": r["n"], "valid": r["valid"]}

    # -- 8. instructions per record (callgrind)
    def instructions(self):
        import instructions
        bindir = subprocess.run([os.environ.get("PG_CONFIG", "pg_config"), "--bindir"], capture_output=True,
                                text=True, check=True).stdout.strip()
        n = self.cfg["instr_n"]
        work = {k: (self.specs[k], self.files[k][min(x for x in self.files[k] if x >= n)]) for k in KINDS}
        return instructions.measure(bindir, work, n)

    # -- 8b. dry run: pipeline.test() per record against validate() (callgrind)
    def dry_run(self):
        import instructions
        bindir = subprocess.run([os.environ.get("PG_CONFIG", "pg_config"), "--bindir"], capture_output=True,
                                text=True, check=True).stdout.strip()
        n = self.cfg["instr_n"]
        copy_file = self.files["orders"][min(x for x in self.files["orders"] if x >= n)]
        return instructions.measure_dry_run(bindir, self.specs["orders"], copy_file, n)

    # -- 9. migration metrics
    def migration(self):
        import migration
        return migration.run(self, self.cfg, SEED)

    # -- driver
    def run(self):
        sections = self.args.sections
        try:
            self.setup()
            self.noop_c = None
            if self.args.noop_trigger:
                try:
                    self.conn.execute(sql.SQL(
                        "CREATE FUNCTION bench_noop_c() RETURNS trigger AS {}, 'bench_noop_trigger' LANGUAGE C")
                        .format(sql.Literal(str(Path(self.args.noop_trigger).resolve()))))
                    self.noop_c = self.args.noop_trigger
                except psycopg.Error as e:
                    log(f"no-op C trigger not loaded ({e}); the PL/pgSQL no-op stands in")
            self.find_peers()
            self.load_data()
            for name in ("per_record", "ingest", "pgbench", "compat", "memory", "scaling", "bigdocs", "instructions",
                         "dry_run", "migration"):
                if name not in sections:
                    continue
                t0 = time.perf_counter()
                try:
                    self.results[name] = getattr(self, name)()
                except Exception as e:  # report the rest; the run still fails at the end
                    traceback.print_exc()
                    self.results["errors"][name] = f"{type(e).__name__}: {e}".strip()
                    if self.conn.closed or self.conn.broken:
                        self.conn = self.connect()
                log(f"{name}: {time.perf_counter() - t0:.0f} s")
        finally:
            self.cleanup()
        return self.results


def ext_schema(ext):
    return "peer_" + re.sub(r"[^a-z0-9_]", "_", ext.lower())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes and fewer runs (under 3 minutes)")
    ap.add_argument("--noop-trigger", help="path of the compiled bench/noop_trigger.c (.so)")
    ap.add_argument("--sections", default="per_record,ingest,pgbench,compat,memory,scaling,bigdocs,instructions,"
                                          "dry_run,migration",
                    help="comma-separated subset of: per_record, ingest, pgbench, compat, memory, scaling, bigdocs, "
                         "instructions, dry_run, migration")
    ap.add_argument("--out", help="output directory (default bench/results, quick: bench/results/tmp)")
    ap.add_argument("--name", help="output base name (default latest, quick: quick)")
    a = ap.parse_args(argv)
    a.sections = [s.strip() for s in a.sections.split(",") if s.strip()]
    out = Path(a.out) if a.out else (BENCH / "results" / ("tmp" if a.quick else ""))
    name = a.name or ("quick" if a.quick else "latest")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    b = Bench(a)
    results = b.run()
    results["elapsed_s"] = time.perf_counter() - t0
    (out / f"{name}.json").write_text(json.dumps(results, indent=1) + "\n")
    md = report.write(results, out / f"{name}.md", out / f"{name}.png")
    print()
    print(md)
    log(f"wrote {out / name}.md, .png, .json in {results['elapsed_s']:.0f} s")
    if name == "latest" and not a.quick and results["meta"]["postgres"].startswith("15") and not results["errors"]:
        if report.update_readme(results, ROOT / "README.md"):
            log("README.md: Performance table rewritten from this run")
    failed = [c for c in report.checks(results) if not c[1]]
    for check, _, detail in failed:
        print(f"check failed: {check}: {detail}", file=sys.stderr)
    if results["errors"]:
        print(f"sections that failed: {', '.join(results['errors'])}", file=sys.stderr)
    return 1 if failed or results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
