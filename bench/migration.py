"""Migration success metrics: the Python pipeline ("before") against the
pipeline trigger ("after"), per request, per batch, in CPU, memory and
aggregation. The `migration` section of bench/run.py; docs/benchmarks.md
says what bounds each figure.

- latency: one raw record handled to completion per request. Before: parse,
  transform and validate in Python (jsonschema, and fastjsonschema), then
  INSERT the good record or the reject, autocommit. After: one INSERT of the
  raw record into a table with the pipeline trigger (quarantine). Each
  variant on its own connection, blocks of requests interleaved; sorted-sample
  percentiles. Then the same with 2 client processes at once.
- cpu: client CPU (this process) and server CPU (/proc/<backend pid>/stat of
  the variant's connection) per 1,000 records, for the requests above and for
  a bulk ingest (the Python pipeline's COPY against a COPY of raw records).
- memory: peak RSS of a fresh Python process ingesting the records (before:
  with its pipeline; after: only sending them).
- aggregation: per customer and day, count, sum and average amount, distinct
  currencies (the orders have no product field): in Python over the cleaned
  records, and in SQL over the stored table; the same numbers, asserted.

Every record is counted: stored + rejected = sent, on both sides.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import psycopg

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import generate as G  # noqa: E402
import reference as R  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
PCTS = (("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9))


def percentiles(ns):
    """Sorted-sample percentiles (nearest rank) and max, in microseconds."""
    s = sorted(ns)
    out = {k: s[min(len(s) - 1, max(0, math.ceil(len(s) * p / 100) - 1))] / 1000 for k, p in PCTS}
    out["max"] = s[-1] / 1000
    return out


def backend_cpu(pid):
    """Seconds of CPU (user + system) a backend has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Side:
    """A way to handle one request, on its own connection."""

    def __init__(self, dbname, kind, spec_text):
        self.kind = kind
        self.conn = psycopg.connect(dbname=dbname, autocommit=True)
        self.conn.execute("SET jit = off")
        self.pid = self.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        self.pipe = None
        if kind != "after":
            self.pipe = R.Pipeline(spec_text, validator="jsonschema" if kind == "before_jsonschema"
                                   else "fastjsonschema")

    def request(self, text):
        if self.pipe is None:
            self.conn.execute("INSERT INTO mig_after (doc) VALUES (%s::jsonb)", (text,), prepare=True)
            return
        doc, errors = self.pipe.run(self.pipe.loads(text))
        if errors:
            self.conn.execute("INSERT INTO mig_before_rejects (record, errors) VALUES (%s::jsonb, %s::jsonb)",
                              (text, json.dumps(errors, ensure_ascii=False)), prepare=True)
        else:
            self.conn.execute("INSERT INTO mig_before (doc) VALUES (%s::jsonb)", (self.pipe.dumps(doc),),
                              prepare=True)


def make_tables(conn):
    conn.execute("DROP TABLE IF EXISTS mig_before, mig_before_rejects, mig_after")
    R.create_tables(conn, "mig_before", "mig_before_rejects")
    conn.execute("CREATE TABLE mig_after (id bigserial PRIMARY KEY, doc jsonb NOT NULL)")
    conn.execute("SELECT pipeline.attach('mig_after', 'orders', 'doc')")


def reset(conn):
    conn.execute("TRUNCATE mig_before, mig_before_rejects, mig_after, pipeline.rejects")


def counts(conn):
    q = lambda s: conn.execute(s).fetchone()[0]  # noqa: E731
    return {"before": (q("SELECT count(*) FROM mig_before"), q("SELECT count(*) FROM mig_before_rejects")),
            "after": (q("SELECT count(*) FROM mig_after"),
                      q("SELECT count(*) FROM pipeline.rejects WHERE relation = 'mig_after'::regclass"))}


def latency_one_client(dbname, spec_text, texts, block):
    """Every variant handles every text once, blocks interleaved; ns per request, CPU."""
    sides = {k: Side(dbname, k, spec_text) for k in ("before_jsonschema", "before_fast", "after")}
    lat = {k: [] for k in sides}
    client = {k: 0.0 for k in sides}
    server0 = {k: backend_cpu(s.pid) for k, s in sides.items()}
    for start in range(0, len(texts), block):
        chunk = texts[start:start + block]
        for k, s in sides.items():
            c0 = time.process_time()
            for t in chunk:
                t0 = time.perf_counter_ns()
                s.request(t)
                lat[k].append(time.perf_counter_ns() - t0)
            client[k] += time.process_time() - c0
    server = {k: backend_cpu(s.pid) - server0[k] for k, s in sides.items()}
    for s in sides.values():
        s.conn.close()
    return lat, client, server


def _client_proc(args):
    dbname, kind, spec_text, texts, barrier = args
    side = Side(dbname, kind, spec_text)
    out = []
    barrier.wait()
    for t in texts:
        t0 = time.perf_counter_ns()
        side.request(t)
        out.append(time.perf_counter_ns() - t0)
    side.conn.close()
    return out


def two_clients(dbname, kind, spec_text, texts):
    """Two processes split the texts; requests/s over the wall time, and latencies."""
    ctx = multiprocessing.get_context("fork")
    with ctx.Manager() as m:
        barrier = m.Barrier(3)
        halves = [texts[0::2], texts[1::2]]
        with ctx.Pool(2) as pool:
            res = pool.map_async(_client_proc, [(dbname, kind, spec_text, h, barrier) for h in halves])
            barrier.wait()
            t0 = time.perf_counter()
            lats = res.get()
            wall = time.perf_counter() - t0
    allns = lats[0] + lats[1]
    return {"requests": len(allns), "seconds": wall, "per_s": len(allns) / wall, **percentiles(allns)}


def bulk(conn, spec_text, texts):
    """Client and server CPU of one ingest of the texts, before and after."""
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    out = {}
    for kind in ("before_fast", "after"):
        reset(conn)
        c0, s0, w0 = time.process_time(), backend_cpu(pid), time.perf_counter()
        if kind == "after":
            with conn.cursor() as cur, cur.copy("COPY mig_after (doc) FROM STDIN") as cp:
                for t in texts:
                    cp.write_row((t,))
        else:
            R.ingest(conn, "mig_before", texts, R.Pipeline(spec_text, validator="fastjsonschema"),
                     rejects_table="mig_before_rejects")
        out[kind] = {"client_s": time.process_time() - c0, "server_s": backend_cpu(pid) - s0,
                     "wall_s": time.perf_counter() - w0, "n": len(texts)}
    return out


def peak_rss_kb():
    """This process's peak RSS: VmHWM (ru_maxrss would carry the parent's peak across exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rss_child(side, dbname, n, seed):
    """In a fresh process: ingest n generated records; print peak RSS and times."""
    texts = G.records_json("orders", n, seed)
    with psycopg.connect(dbname=dbname, autocommit=True) as conn:
        c0, w0 = time.process_time(), time.perf_counter()
        if side == "after":
            with conn.transaction(), conn.cursor() as cur, cur.copy("COPY mig_after (doc) FROM STDIN") as cp:
                for t in texts:
                    cp.write_row((t,))
        else:
            spec = (BENCH / "specs" / "orders.json").read_text()
            R.ingest(conn, "mig_before", texts, R.Pipeline(spec, validator="fastjsonschema"),
                     rejects_table="mig_before_rejects")
        print(json.dumps({"maxrss_kb": peak_rss_kb(),
                          "client_s": time.process_time() - c0, "wall_s": time.perf_counter() - w0, "n": n}))


def peak_rss(conn, dbname, n, seed):
    out = {"accounted": {}}
    for side in ("before", "after"):
        reset(conn)
        p = subprocess.run([sys.executable, __file__, "rss", side, dbname, str(n), str(seed)],
                           capture_output=True, text=True, check=True)
        out[side] = json.loads(p.stdout.strip().splitlines()[-1])
        out["accounted"][side] = sum(counts(conn)[side])
    return out


def aggregate_python(docs):
    """Per (customer, day): count, sum, average amount, distinct currencies."""
    acc = defaultdict(lambda: [0, Decimal(0), set()])
    for d in docs:
        a = acc[(d["customer_email"], d["created_at"][:10])]
        a[0] += 1
        a[1] += R._dec(d["amount"])
        a[2].add(d["currency"])
    return {k: (n, s, s / n, len(c)) for k, (n, s, c) in acc.items()}


AGG_SQL = """
SELECT doc->>'customer_email', left(doc->>'created_at', 10), count(*),
       sum((doc->>'amount')::numeric), avg((doc->>'amount')::numeric),
       count(DISTINCT doc->>'currency')
  FROM mig_after GROUP BY 1, 2"""


# the same aggregates computed in the server, only a count sent back (every output referenced,
# so the planner cannot drop an aggregate as unused)
AGG_SQL_SERVER = f"""
SELECT count(*) FILTER (WHERE n IS NOT NULL AND s IS NOT NULL AND a IS NOT NULL AND nc IS NOT NULL)
  FROM ({AGG_SQL}) AS g (email, day, n, s, a, nc)"""


def same_aggregates(py, rows):
    if len(py) != len(rows):
        return False
    for email, day, n, s, avg, nc in rows:
        p = py.get((email, day))
        if p is None or p[0] != n or p[1] != s or abs(p[2] - avg) > Decimal("1e-9") or p[3] != nc:
            return False
    return True


def aggregation(conn, spec_text, texts, runs):
    """Python over the cleaned records vs SQL over the stored ones, best of runs."""
    reset(conn)
    with conn.cursor() as cur, cur.copy("COPY mig_after (doc) FROM STDIN") as cp:
        for t in texts:
            cp.write_row((t,))
    conn.execute("VACUUM ANALYZE mig_after")
    p = R.Pipeline(spec_text, validator="jsonschema")  # exact decimals, as stored
    cleaned = []
    for t in texts:
        doc, errors = p.run(p.loads(t))
        if not errors:
            cleaned.append(doc)
    times = {"python": [], "sql": [], "sql_server": [], "profile": []}
    for i in range(2 * runs):  # SQL serial and parallel (as the planner allows) alternately; the best
        conn.execute(f"SET max_parallel_workers_per_gather = {2 * (i % 2)}")
        t0 = time.perf_counter()
        py = aggregate_python(cleaned)
        times["python"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        rows = conn.execute(AGG_SQL).fetchall()
        times["sql"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        conn.execute(AGG_SQL_SERVER).fetchone()
        times["sql_server"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        conn.execute("SELECT pipeline.profile(doc) FROM mig_after").fetchone()
        times["profile"].append(time.perf_counter() - t0)
    conn.execute("SET max_parallel_workers_per_gather = 0")
    stored = conn.execute("SELECT count(*) FROM mig_after").fetchone()[0]
    return {"n": len(cleaned), "stored": stored, "groups": len(py), "same": same_aggregates(py, rows)
            and stored == len(cleaned), **{k: min(v) for k, v in times.items()}}


def run(bench, cfg, seed):
    """The whole section; bench is run.Bench (its connection, database, records)."""
    conn, dbname = bench.conn, bench.dbname
    spec_text = bench.specs["orders"]
    texts = bench.texts["orders"]
    make_tables(conn)
    out = {}
    reqs = texts[:cfg["mig_requests"]]
    reset(conn)
    lat, client, server = latency_one_client(dbname, spec_text, reqs, cfg["mig_block"])
    c = counts(conn)
    n = len(reqs)
    out["one_client"] = {k: {"requests": n, **percentiles(v), "per_s": n / (sum(v) / 1e9),
                             "client_cpu_per_1k": client[k] / n * 1000, "server_cpu_per_1k": server[k] / n * 1000}
                         for k, v in lat.items()}
    # three variants wrote: the Python ones into mig_before twice over, the trigger once
    out["accounted_requests"] = {"before": sum(c["before"]), "after": sum(c["after"]), "sent": n,
                                 "ok": sum(c["before"]) == 2 * n and sum(c["after"]) == n}
    out["two_clients"] = {}
    for kind in ("before_fast", "after"):
        reset(conn)
        out["two_clients"][kind] = two_clients(dbname, kind, spec_text, reqs)
    b = bulk(conn, spec_text, texts[:cfg["n_ingest"]])
    c = counts(conn)
    out["bulk"] = {k: {**v, "client_cpu_per_1k": v["client_s"] / v["n"] * 1000,
                       "server_cpu_per_1k": v["server_s"] / v["n"] * 1000} for k, v in b.items()}
    out["accounted_bulk"] = {"after": sum(c["after"]), "sent": cfg["n_ingest"], "ok": sum(c["after"]) == cfg["n_ingest"]}
    out["rss"] = peak_rss(conn, dbname, cfg["mig_rss_n"], seed)
    out["rss"]["ok"] = all(v == cfg["mig_rss_n"] for v in out["rss"]["accounted"].values())
    out["aggregation"] = aggregation(conn, spec_text, texts[:cfg["mig_agg_n"]], cfg["runs"])
    out["latency_samples"] = {k: sorted(v)[::max(1, n // 1000)] for k, v in lat.items()}
    conn.execute("DROP TABLE mig_before, mig_before_rejects, mig_after")
    conn.execute("TRUNCATE pipeline.rejects")
    return out


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "rss":
    rss_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
