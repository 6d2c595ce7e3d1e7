#!/usr/bin/env python3
"""Scale-out benchmark (docs/scale-out.md): two ratios, on a quiet machine.

1. COPY through the coordinator into a hash-distributed table, with the
   pipeline trigger (column mode, bench/specs/orders.json, quarantine) and
   without it: rows per second and the ratio with / without (goal >= 0.75).
2. Parallel query on one node: SELECT count(*) FILTER (WHERE
   pipeline.validate(doc, 'orders')) over 200k rows with 2 parallel workers
   against the serial plan: the speed-up (goal >= 1.6).

Run it against the cluster `bash scripts/citus.sh serve` leaves running
(it prints the variables to export; the coordinator is PGHOST/PGPORT):

    eval "$(bash scripts/citus.sh serve | grep ^export)"
    /usr/bin/python3 bench/citus_bench.py [--rows 100000] [--scan-rows 200000] [--repeat 3]
    bash scripts/citus.sh stop DIR

Each timing is the best of --repeat runs, the variants interleaved so that a
noisy neighbour hurts them alike. Tables and pipelines it makes are named
citus_bench_* and dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import psycopg

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import generate  # noqa: E402


def connect():
    return psycopg.connect(autocommit=True)


def setup(conn, rows):
    spec = json.loads((BENCH / "specs" / "orders.json").read_text())
    spec["on_error"] = "quarantine"
    conn.execute("CREATE EXTENSION IF NOT EXISTS pipeline")
    conn.execute("SET citus.enable_unsafe_triggers = on")
    conn.execute("DROP TABLE IF EXISTS citus_bench_plain, citus_bench_piped, citus_bench_scan")
    conn.execute("SELECT pipeline.drop('citus_bench') WHERE EXISTS"
                 " (SELECT FROM pipeline.pipelines WHERE name = 'citus_bench')")
    conn.execute("SELECT pipeline.define('citus_bench', %s)", (json.dumps(spec),))
    for t in ("citus_bench_plain", "citus_bench_piped"):
        conn.execute(f"CREATE TABLE {t} (id bigint, doc jsonb)")
        conn.execute("SELECT create_distributed_table(%s, 'id')", (t,))
    conn.execute("SELECT pipeline.attach('citus_bench_piped', 'citus_bench', 'doc')")
    return list(generate.records_json("orders", rows, seed=7))


def copy_once(conn, table, records):
    conn.execute(f"TRUNCATE {table}")
    conn.execute("SELECT run_command_on_all_nodes('DELETE FROM pipeline.rejects WHERE pipeline = ''citus_bench''')")
    start = time.perf_counter()
    with conn.cursor().copy(f"COPY {table} (id, doc) FROM STDIN") as cp:
        for i, r in enumerate(records, 1):
            cp.write_row((i, r))
    return time.perf_counter() - start


def bench_copy(conn, records, repeat):
    best = {"citus_bench_plain": float("inf"), "citus_bench_piped": float("inf")}
    for _ in range(repeat):
        for t in best:
            best[t] = min(best[t], copy_once(conn, t, records))
    stored = conn.execute("SELECT count(*) FROM citus_bench_piped").fetchone()[0]
    rejected = conn.execute("SELECT count(*) FROM pipeline.cluster_rejects('citus_bench')").fetchone()[0]
    n = len(records)
    return {
        "rows": n,
        "stored": stored,
        "quarantined": rejected,
        "plain_rows_per_s": round(n / best["citus_bench_plain"]),
        "pipeline_rows_per_s": round(n / best["citus_bench_piped"]),
        "ratio": round(best["citus_bench_plain"] / best["citus_bench_piped"], 3),
    }


def bench_parallel(conn, rows, repeat):
    """On the coordinator alone: a local table, serial plan vs 2 workers."""
    conn.execute("CREATE TABLE citus_bench_scan (doc jsonb)")
    with conn.cursor().copy("COPY citus_bench_scan (doc) FROM STDIN") as cp:
        for r in generate.records_json("orders", rows, seed=11):
            cp.write_row((r,))
    conn.execute("VACUUM ANALYZE citus_bench_scan")
    conn.execute("ALTER TABLE citus_bench_scan SET (parallel_workers = 2)")
    q = "SELECT count(*) FILTER (WHERE pipeline.validate(doc, 'citus_bench')) FROM citus_bench_scan"
    settings = {
        "serial": ["SET max_parallel_workers_per_gather = 0"],
        "parallel": ["SET max_parallel_workers_per_gather = 2", "SET parallel_setup_cost = 0",
                     "SET parallel_tuple_cost = 0", "SET min_parallel_table_scan_size = 0"],
    }
    plan = {}
    best = {k: float("inf") for k in settings}
    for k, stmts in settings.items():
        for s in stmts:
            conn.execute(s)
        plan[k] = "\n".join(r[0] for r in conn.execute("EXPLAIN (ANALYZE, COSTS OFF) " + q).fetchall())
    for _ in range(repeat):
        for k, stmts in settings.items():
            for s in stmts:
                conn.execute(s)
            start = time.perf_counter()
            conn.execute(q).fetchone()
            best[k] = min(best[k], time.perf_counter() - start)
    launched = [line.strip() for line in plan["parallel"].split("\n") if "Workers Launched" in line]
    return {
        "rows": rows,
        "serial_s": round(best["serial"], 3),
        "parallel_s": round(best["parallel"], 3),
        "speedup": round(best["serial"] / best["parallel"], 3),
        "workers": launched[0] if launched else "no parallel plan",
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000, help="records COPYed through the coordinator")
    ap.add_argument("--scan-rows", type=int, default=200_000, help="rows of the parallel scan")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not os.environ.get("PGPORT"):
        sys.exit("set the PG* variables of the coordinator (see bash scripts/citus.sh serve)")
    with connect() as conn:
        try:
            records = setup(conn, args.rows)
            result = {"copy": bench_copy(conn, records, args.repeat),
                      "parallel": bench_parallel(conn, args.scan_rows, args.repeat)}
        finally:
            conn.execute("DROP TABLE IF EXISTS citus_bench_plain, citus_bench_piped, citus_bench_scan")
            conn.execute("SELECT run_command_on_all_nodes('DELETE FROM pipeline.rejects WHERE pipeline = ''citus_bench''')")
            conn.execute("SELECT pipeline.drop('citus_bench') WHERE EXISTS"
                         " (SELECT FROM pipeline.pipelines WHERE name = 'citus_bench')")
    c, p = result["copy"], result["parallel"]
    print(json.dumps(result, indent=2))
    print(f"COPY through the coordinator, {c['rows']} rows: {c['plain_rows_per_s']} rows/s without the"
          f" trigger, {c['pipeline_rows_per_s']} with it: ratio {c['ratio']} (goal >= 0.75);"
          f" stored {c['stored']} + quarantined {c['quarantined']}")
    print(f"parallel scan, {p['rows']} rows: serial {p['serial_s']}s, 2 workers {p['parallel_s']}s:"
          f" {p['speedup']}x (goal >= 1.6; {p['workers']})")


if __name__ == "__main__":
    main()
