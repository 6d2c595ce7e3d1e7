#!/usr/bin/env python3
"""Write the benchmark's markdown report and bar chart from its JSON results.

    /usr/bin/python3 bench/report.py bench/results/latest.json   # rewrites latest.md and latest.png

bench/run.py calls write() at the end of a run, and fails the run when a
check (checks(): same verdicts, every row accounted for) is false. A full run
on PostgreSQL 15 also rewrites the README's Performance table (readme_table()),
so the README cannot drift from the latest results.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# The project's performance goals, checked against every run.
GOAL_VALIDATE_VS_JSONSCHEMA = 100.0
GOAL_VALIDATE_VS_FAST = 5.0
GOAL_INGEST_VS_PYTHON = 10.0
GOAL_SERVER_VS_BARE = 0.75
GOAL_PGBENCH = 0.95
GOAL_RSS_KB_PER_1M = 1024
GOAL_VS_AJV = 1.0               # pipeline.validate at or under ajv's time, schema only
GOAL_INSTR_VS_FLOOR = 4.0       # validate's instructions per record / the detoast floor's (orders)
GOAL_STATS_OVERHEAD = 0.02      # pipeline.stats: validate's instructions with track_stats on / off, less 1
GOAL_STEPS_US = 0.6             # what the orders spec's 17 steps add to validate, per record
GOAL_COMPILED_KB = {"big500": 1024, "orders": 32}
GOAL_COMPAT_TPS = 0.90          # INSERTs with a jsonb_matches_schema CHECK / without
GOAL_COMPAT_QUERY = 2.0         # one query per document / one scan, per document
GOAL_GEOJSON_NS = 3.0           # per number above the detoast floor, type-only checks
GOAL_CATALOG_X = 2.0            # a ~500 kB nested document against its detoast floor
GOAL_FHIR_US = 2.0              # a 2 kB resource against the 150-branch discriminated oneOf
GOAL_FHIR_COMPILE = (200, 16 * 1024)   # ms, kB
GOAL_DRY_RUN_VS_VALIDATE = 1.25  # pipeline.test per record (a new pipeline) / validate's, instructions


def fmt_figures(x, unit=""):
    """x to about three significant figures, with its unit ("-" for None)."""
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:,.0f}{unit}"
    if x >= 10:
        return f"{x:.1f}{unit}"
    return f"{x:.2f}{unit}"


def fmt_us(us):
    return fmt_figures(us)


def fmt_rate(per_s):
    if per_s >= 1e6:
        return f"{per_s / 1e6:.2f} M"
    if per_s >= 1e3:
        return f"{per_s / 1e3:.0f} k"
    return f"{per_s:.0f}"


def fmt_x(x):
    return fmt_figures(x, "x")


def fmt_kb(b):
    return f"{b:,} B" if b < 1024 else f"{b / 1024:,.0f} kB"


def verdict(ok):
    return "**pass**" if ok else "**MISS**"


def _rows(section):
    return {r["key"]: r for r in section["rows"]}


def _ingest_table(add, section, base, versus):
    """An ingest section's rows: time, rate, speed against row base (column versus), counts."""
    add(f"| | us/row | rows/s | {versus} | inserted | rejected |")
    add("|---|---:|---:|---:|---:|---:|")
    base_us = _rows(section)[base]["us"]
    for r in section["rows"]:
        add(f"| {r['name']} | {fmt_us(r['us'])} | {fmt_rate(r['per_s'])} | {fmt_x(base_us / r['us'])} | "
            f"{r['inserted']:,} | {r['rejected']:,} |")


def goals(res):
    """[(goal, measured, pass?)]"""
    out = []
    pr = res.get("per_record")
    if pr:
        for kind, sec in pr.items():
            r = _rows(sec)
            for mode, v, j, f in (("spec: transform + validate", "pl_validate_full", "py_jsonschema_full",
                                   "py_fast_full"),
                                  ("schema only", "pl_validate_schema", "py_jsonschema_schema", "py_fast_schema")):
                xj = r[j]["us"] / r[v]["us"]
                xf = r[f]["us"] / r[v]["us"]
                out.append((f"validate >= {GOAL_VALIDATE_VS_JSONSCHEMA:.0f}x Python jsonschema per record "
                            f"({kind}, {mode})", f"{fmt_x(xj)} ({fmt_us(r[j]['us'])} vs {fmt_us(r[v]['us'])} us)",
                            xj >= GOAL_VALIDATE_VS_JSONSCHEMA))
                out.append((f"validate >= {GOAL_VALIDATE_VS_FAST:.0f}x Python fastjsonschema per record "
                            f"({kind}, {mode})", f"{fmt_x(xf)} ({fmt_us(r[f]['us'])} vs {fmt_us(r[v]['us'])} us)",
                            xf >= GOAL_VALIDATE_VS_FAST))
    ing = res.get("ingest")
    if ing:
        r = _rows(ing)
        x = r["py_jsonschema"]["us"] / r["copy_pipeline"]["us"]
        out.append((f"COPY through the trigger >= {GOAL_INGEST_VS_PYTHON:.0f}x the Python jsonschema pipeline, "
                    f"end to end", f"{fmt_x(x)} ({fmt_us(r['py_jsonschema']['us'])} vs "
                    f"{fmt_us(r['copy_pipeline']['us'])} us/row)", x >= GOAL_INGEST_VS_PYTHON))
        s = _rows(ing["server"])
        x = s["srv_bare"]["us"] / s["srv_pipeline"]["us"]
        out.append((f"server-side COPY through the trigger >= {GOAL_SERVER_VS_BARE}x bare COPY",
                    f"{fmt_x(x)} ({fmt_us(s['srv_pipeline']['us'])} vs {fmt_us(s['srv_bare']['us'])} us/row)",
                    x >= GOAL_SERVER_VS_BARE))
    pb = res.get("pgbench")
    if pb:
        st = pb["settings"][0]
        others = "".join(f"; {o['label']}: {fmt_x(o['ratio'])} ({o['trigger']['tps_median']:,.0f} vs "
                         f"{o['plain']['tps_median']:,.0f} TPS)" for o in pb["settings"][1:])
        out.append((f"pgbench single-row INSERT with the trigger >= {GOAL_PGBENCH}x the TPS without "
                    f"(judged on the first setting)",
                    f"{st['label']}: {fmt_x(st['ratio'])} ({st['trigger']['tps_median']:,.0f} vs "
                    f"{st['plain']['tps_median']:,.0f} TPS){others}",
                    st["ratio"] >= GOAL_PGBENCH))
    for kind, sec in (pr or {}).items():
        r = _rows(sec)
        if "ajv_schema" in r:
            x = r["ajv_schema"]["us"] / r["pl_validate_schema"]["us"]
            out.append((f"validate at or under ajv's time per record ({kind}, schema only)",
                        f"{fmt_x(x)} ({fmt_us(r['pl_validate_schema']['us'])} vs ajv {fmt_us(r['ajv_schema']['us'])} us)",
                        x >= GOAL_VS_AJV))
    if pr and "orders" in pr:
        r = _rows(pr["orders"])
        add = r["pl_validate_full"]["us"] - r["pl_validate_schema"]["us"]
        out.append((f"the orders spec's 17 steps add <= {GOAL_STEPS_US} us to validate per record",
                    f"{fmt_us(add)} us ({fmt_us(r['pl_validate_full']['us'])} vs {fmt_us(r['pl_validate_schema']['us'])})",
                    add <= GOAL_STEPS_US))
    ins = res.get("instructions")
    if ins and "orders" in ins:
        o = ins["orders"]
        x = o["validate"] / o["floor"]
        out.append((f"validate <= {GOAL_INSTR_VS_FLOOR:.0f}x the detoast floor in instructions per record (orders)",
                    f"{x:.1f}x ({o['validate']:,.0f} vs {o['floor']:,.0f})", x <= GOAL_INSTR_VS_FLOOR))
        if "validate_nostats" in o:
            over = o["validate"] / o["validate_nostats"] - 1
            out.append((f"pipeline.stats adds <= {GOAL_STATS_OVERHEAD:.0%} to validate's instructions per record (orders)",
                        f"{over:+.2%} ({o['validate']:,.0f} vs {o['validate_nostats']:,.0f} with track_stats off)",
                        over <= GOAL_STATS_OVERHEAD))
    out.extend(dry_run_goals(res.get("dry_run")))
    cp = res.get("compat")
    if cp:
        st = cp["pgbench"]
        out.append((f"single-row INSERTs with a jsonb_matches_schema CHECK >= {GOAL_COMPAT_TPS}x the TPS without",
                    f"{fmt_x(st['ratio'])} ({st['trigger']['tps_median']:,.0f} vs {st['plain']['tps_median']:,.0f} TPS)",
                    st["ratio"] >= GOAL_COMPAT_TPS))
        fn = cp.get("pgbench_function")
        if fn:
            out.append((f"the same with the schema in an IMMUTABLE function (docs/validation.md) >= {GOAL_COMPAT_TPS}x",
                        f"{fmt_x(fn['ratio'])} ({fn['trigger']['tps_median']:,.0f} vs {fn['plain']['tps_median']:,.0f} TPS)",
                        fn["ratio"] >= GOAL_COMPAT_TPS))
        x = cp["per_query_us"] / cp["one_scan_us"]
        out.append((f"jsonb_matches_schema, one query per document < {GOAL_COMPAT_QUERY:.0f}x one scan, per document",
                    f"{x:.1f}x ({fmt_us(cp['per_query_us'])} vs {fmt_us(cp['one_scan_us'])} us)", x < GOAL_COMPAT_QUERY))
    big = res.get("bigdocs")
    if big:
        if "geojson" in big:
            g = big["geojson"]
            r = g["rows"]
            ns = g.get("above_floor_us", r["pl_validate"]["us"] - r["floor"]["us"]) * 1000 / g["numbers"]
            out.append((f"type-only checks of a ~2 MB GeoJSON <= {GOAL_GEOJSON_NS:.0f} ns per number above the floor",
                        f"{ns:.1f} ns ({fmt_us(r['pl_validate']['us'])} vs floor {fmt_us(r['floor']['us'])} us; "
                        "median of the rounds' pairs)", ns <= GOAL_GEOJSON_NS))
        if "catalog" in big:
            r = big["catalog"]["rows"]
            x = big["catalog"].get("x_floor", r["pl_validate"]["us"] / r["floor"]["us"])
            out.append((f"a ~500 kB nested document <= {GOAL_CATALOG_X:.0f}x its detoast floor",
                        f"{x:.1f}x ({fmt_us(r['pl_validate']['us'])} vs {fmt_us(r['floor']['us'])} us)",
                        x <= GOAL_CATALOG_X))
        if "fhir" in big:
            us = big["fhir"]["rows"]["pl_validate"]["us"]
            out.append((f"a 2 kB FHIR-like resource against a 150-branch oneOf <= {GOAL_FHIR_US:.0f} us",
                        f"{fmt_us(us)} us", us <= GOAL_FHIR_US))
    mem = res.get("memory")
    for spec in (mem or {}).get("specs", []):
        if spec["name"] == "fhir":
            kb = spec["backend_growth"] / 1024
            ms, lim = GOAL_FHIR_COMPILE
            out.append((f"the FHIR-like schema compiles in < {ms} ms into < {lim // 1024} MB",
                        f"{spec['compile_ms']:.0f} ms, {kb / 1024:.1f} MB", spec["compile_ms"] < ms and kb < lim))
        goal = GOAL_COMPILED_KB.get(spec["name"])
        if goal:
            kb = (spec["spec_context"] + spec["schema_context"]) / 1024
            out.append((f"compiled {spec['name']} <= {goal:,} kB", f"{kb:,.0f} kB", kb <= goal))
    if mem and "rss" in mem:
        m = mem["rss"]
        per1m = m["anon_growth_per_1m_kb"]
        extr = "" if m["rows"] >= 1_000_000 else f", extrapolated from {m['rows']:,} rows"
        out.append(("backend RSS growth <= 1 MB per 1M triggered rows after warm-up (private memory, RssAnon)",
                    f"{per1m:,.0f} kB per 1M rows{extr} (VmRSS {m['after']['VmRSS'] - m['before']['VmRSS']:+,} kB)",
                    per1m <= GOAL_RSS_KB_PER_1M))
    return out


def markdown(res, png_name=None):
    m = res.get("meta", {})
    L = []
    add = L.append
    add(f"# Benchmark results ({res['mode']} run)")
    add("")
    add(f"{m.get('date', '?')}; `make bench{'-quick' if res['mode'] == 'quick' else ''}` "
        f"(bench/run.py{' --quick' if res['mode'] == 'quick' else ''}); "
        f"{res.get('elapsed_s', 0) / 60:.1f} minutes. Method and caveats: docs/benchmarks.md.")
    add("")
    add(f"- machine: {m.get('nproc')} cores ({m.get('cpu')}), {m.get('ram')} RAM, Linux {m.get('kernel')}")
    add(f"- versions: PostgreSQL {m.get('postgres')}, pipeline {m.get('extension')} at commit {m.get('commit')}, "
        f"Python {m.get('python')}, psycopg {m.get('psycopg')}, jsonschema {m.get('jsonschema')}, "
        f"fastjsonschema {m.get('fastjsonschema')}")
    st = m.get("settings", {})
    add(f"- server: throwaway cluster (pg_virtualenv), shared_buffers {st.get('shared_buffers')}, "
        f"fsync {st.get('fsync')}, synchronous_commit {st.get('synchronous_commit')}, "
        f"wal_level {st.get('wal_level')}; sessions `SET jit = off; SET max_parallel_workers_per_gather = 0`")
    add(f"- timing: warm-up, then the best of {res['config']['runs']} runs, Python and SQL alike (ingest: "
        f"{res['config']['py_runs']}), variants interleaved; all figures of a table come from the same run")
    add("")
    if png_name:
        add(f"![per-record and ingest cost, log scale]({png_name})")
        add("")

    g = goals(res)
    if g:
        add("## Goals")
        add("")
        add("| goal | measured | |")
        add("|---|---|---|")
        for goal, measured, ok in g:
            add(f"| {goal} | {measured} | {verdict(ok)} |")
        add("")

    pr = res.get("per_record")
    if pr:
        add("## 1. Per-record processing")
        add("")
        kinds = list(pr)
        add("The same generated records (6-7% invalid) and the same spec: `bench/specs/orders.json` "
            "(~220 B raw records, 17 transform steps, 11 properties) and `bench/specs/events.json` "
            "(~360 B, 19 steps, nested objects, `oneOf` of `$ref`s), `bench/specs/tweets.json` (tweet-like "
            "~1.2 KB API output, ~30 properties, nested objects and arrays, a strict schema, no steps). "
            "ajv (node) validates the SQL side's transformed records, parsed beforehand. Python timings exclude JSON parsing "
            "(the documents are parsed beforehand); SQL timings are a whole `SELECT count(*) FILTER (WHERE ...)` "
            "over a table, scan included. "
            + ", ".join(f"{k}: Python {pr[k]['n_py']:,} records, SQL {pr[k]['n_sql']:,} rows" for k in kinds) + ".")
        add("")
        head = "| | " + " | ".join(f"{k} us/rec | {k} rec/s | {k} vs jsonschema | {k} vs fastjsonschema"
                                   for k in kinds) + " |"
        add(head)
        add("|---|" + "---:|" * (4 * len(kinds)))
        groups = [
            ("**Spec** (transform, then validate)", ["py_jsonschema_full", "py_fast_full", "pl_validate_full",
                                                     "pl_process"], "py_jsonschema_full", "py_fast_full"),
            ("**Schema only** (on the transformed records)",
             ["py_jsonschema_schema", "py_fast_schema", "ajv_schema", "pl_validate_schema", "pl_compat"]
             + [k for k in res.get("peers", {}).get("in_run", [])], "py_jsonschema_schema", "py_fast_schema"),
            ("**Floors**", ["scan", "floor"], "py_jsonschema_schema", "py_fast_schema"),
        ]
        for title, keys, base_j, base_f in groups:
            add(f"| {title} |" + " |" * (4 * len(kinds)))
            for key in keys:
                cells = []
                name = None
                for k in kinds:
                    r = _rows(pr[k]).get(key)
                    if r is None:
                        cells += ["-"] * 4
                        continue
                    name = r["name"]
                    bj = _rows(pr[k])[base_j]["us"]
                    bf = _rows(pr[k])[base_f]["us"]
                    cells += [fmt_us(r["us"]), fmt_rate(r["per_s"]), fmt_x(bj / r["us"]), fmt_x(bf / r["us"])]
                add(f"| {name} | " + " | ".join(cells) + " |")
        add("")
        seen = []
        for k in kinds:
            vc = pr[k]["valid_check"]
            seen.append(f"{k}: pipeline {vc['pipeline']:,}, Python jsonschema {vc['python_jsonschema']:,}, "
                          f"fastjsonschema {vc['python_fastjsonschema']:,} valid of {vc['of']:,}")
        add("Same verdicts on the records both saw (checked): " + "; ".join(seen) + ".")
        add("")
    ing = res.get("ingest")
    if ing:
        add("## 2. Ingest, end to end")
        add("")
        add(f"{ing['n']:,} raw order records (JSON texts, as they arrive) into a table `(id bigserial primary key, "
            f"doc jsonb)` through psycopg in one transaction; client and server share the machine. "
            f"Every row is accounted for (checked): inserted + rejected = sent.")
        add("")
        _ingest_table(add, ing, "py_jsonschema", "vs Python jsonschema pipeline")
        add("")
        s = ing["server"]
        add(f"Server-side `COPY t (doc) FROM '/tmp/...'` of {s['n']:,} records: the server's cost alone. "
            f"Any row trigger turns off COPY's multi-insert; the no-op triggers show that share.")
        add("")
        _ingest_table(add, s, "srv_bare", "vs bare COPY (throughput)")
        add("")

    pb = res.get("pgbench")
    if pb:
        add("## 3. pgbench: single-row INSERT")
        add("")
        add(f"`pgbench {pb['args']}` with `bench/pgbench_insert_plain.sql` and `bench/pgbench_insert_trigger.sql` "
            f"(one messy order per transaction, the same statement into a table without / with the pipeline "
            f"trigger), alternating, {pb['runs']} runs each; medians.")
        if any(stt.get("fsync") == "off" for stt in pb["settings"]):
            add("The throwaway cluster runs with `fsync = off`: a commit costs no disk flush, so a transaction "
                "is nearly all CPU and the trigger's share of it is larger than on a server that flushes"
                + (" (the `fsync = on` rows, the cluster reconfigured for them and put back after)."
                   if len(pb["settings"]) > 1 else "."))
        add("")
        add("| settings | table | median TPS | median latency (ms) | TPS of the runs | trigger / plain TPS |")
        add("|---|---|---:|---:|---|---:|")
        for stt in pb["settings"]:
            for which in ("plain", "trigger"):
                r = stt[which]
                add(f"| {stt['label']} | {which} | {r['tps_median']:,.0f} | {r['latency_median']:.3f} | "
                    f"{', '.join(f'{x:,.0f}' for x in r['tps'])} | "
                    f"{fmt_x(stt['ratio']) if which == 'trigger' else ''} |")
        add("")

    mem = res.get("memory")
    if mem:
        add("## 4. Memory")
        add("")
        if "rss" in mem:
            m = mem["rss"]
            add(f"One backend: {m['warmup_rows']:,} rows through the trigger (server-side COPY, column mode, "
                f"quarantine) as warm-up, then {m['rows']:,} more in batches; /proc/<pid>/status of the backend "
                f"(pg_backend_pid()). RssAnon is the backend's private memory; VmRSS also counts the shared "
                f"buffers it has touched, which grows towards shared_buffers whatever the trigger does.")
            add("")
            add("| | before | after | growth |")
            add("|---|---:|---:|---:|")
            for k in ("RssAnon", "VmRSS", "RssShmem"):
                add(f"| {k} | {m['before'][k]:,} kB | {m['after'][k]:,} kB | "
                    f"{m['after'][k] - m['before'][k]:+,} kB |")
            add(f"| memory contexts (sum of total_bytes) | {fmt_kb(m['contexts_before'])} | "
                f"{fmt_kb(m['contexts_after'])} | {(m['contexts_after'] - m['contexts_before']) / 1024:+,.0f} kB |")
            add("")
            add("RssAnon after each batch: " + ", ".join(f"{t['rows'] // 1000:,}k: {t['RssAnon']:,} kB"
                                                       for t in m["trail"]) + ".")
            add("")
        if mem.get("specs"):
            add("Compiled-spec memory (a fresh backend per spec; the `pipeline spec` and `pipeline compiled "
                "schema` memory contexts after the first call; compile time = first call minus second):")
            add("")
            add("| spec | what | stored spec | spec context | compiled schema context | backend growth | compile |")
            add("|---|---|---:|---:|---:|---:|---:|")
            for s in mem["specs"]:
                add(f"| {s['name']} | {s['what']} | {fmt_kb(s['spec_bytes'])} | {fmt_kb(s['spec_context'])} | "
                    f"{fmt_kb(s['schema_context'])} | {fmt_kb(s['backend_growth'])} | {s['compile_ms']:.1f} ms |")
            add("")

    sc = res.get("scaling")
    if sc:
        add("## 5. Scaling")
        add("")
        add("Cost per orders record as the table grows (the first N generated records).")
        add("")
        add("| rows | detoast floor us/rec | pipeline.validate us/rec | COPY FROM file, bare us/row | "
            "COPY FROM file, pipeline trigger us/row |")
        add("|---:|---:|---:|---:|---:|")
        for s in sc:
            add(f"| {s['n']:,} | {fmt_us(s['floor_us'])} | {fmt_us(s['validate_us'])} | {fmt_us(s['copy_bare_us'])} "
                f"| {fmt_us(s['copy_pipeline_us'])} |")
        add("")

    big = res.get("bigdocs")
    if big:
        add("## Big documents and a giant schema")
        add("")
        if res.get("bigdocs_run"):
            r = res["bigdocs_run"]
            add(f"(This section: {r['note']}, {r['date']}, commit {r['commit']}.)")
            add("")
        add("Per document, us (best of the runs; SQL: a scan over copies of the document, divided by the copies; "
            "the floor and pipeline alternate, and the share above the floor is the median of each round's own "
            "pair). "
            "Shapes from `bench/bigdocs.py`: a GeoJSON FeatureCollection of 100k [lon, lat] pairs under a schema of "
            "types and array lengths; an event catalog of nested objects, maps and arrays; a FHIR-like Patient "
            "against a `oneOf` of 150 resources told apart by a `resourceType` const. Python and ajv work on "
            "documents parsed beforehand.")
        add("")
        add("| workload | JSON | jsonb | detoast floor | pipeline.validate | ajv | fastjsonschema | jsonschema | "
            "pipeline / floor |")
        add("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, b in big.items():
            r = b["rows"]
            cell = lambda k: fmt_us(r[k]["us"]) + ("" if r[k]["valid"] else " (invalid!)") if k in r else "-"  # noqa: E731
            add(f"| {name} | {fmt_kb(b['json_bytes'])} | {fmt_kb(b['jsonb_bytes'])} | {cell('floor')} | "
                f"{cell('pl_validate')} | {cell('ajv')} | {cell('py_fast')} | {cell('py_jsonschema')} | "
                f"{b.get('x_floor', r['pl_validate']['us'] / r['floor']['us']):.1f}x |")
        add("")
    cp = res.get("compat")
    if cp:
        st = cp["pgbench"]
        add("## Compat functions across statements")
        add("")
        add(f"pgbench single-row INSERTs of a valid tweet-like document into a table "
            f"with `CHECK (pipeline.jsonb_matches_schema('<bench/specs/tweets.json schema>', doc))` and into one "
            f"without: median TPS {st['trigger']['tps_median']:,.0f} vs {st['plain']['tps_median']:,.0f} "
            f"({fmt_x(st['ratio'])}).")
        sc = cp.get("pgbench_const")
        if sc:
            add(f"Against a CHECK on the same schema constant that does no work "
                f"(`CHECK ('<schema>'::json IS NOT NULL AND doc IS NOT NULL)`): "
                f"with the function {sc['trigger']['tps_median']:,.0f} TPS, with the constant alone "
                f"{sc['plain']['tps_median']:,.0f} ({fmt_x(sc['ratio'])}). "
                f"PostgreSQL reads a CHECK's expression back from its catalog text for every statement, its "
                f"constant byte by byte, so a big schema written into a CHECK costs that much per INSERT whatever "
                f"the function; the ratio to this baseline is what validation adds.")
        fn = cp.get("pgbench_function")
        if fn:
            add(f"With the schema returned by an `IMMUTABLE` PL/pgSQL function instead "
                f"(`CHECK (pipeline.jsonb_matches_schema(bench_compat_schema(), doc))`, as docs/validation.md "
                f"advises): {fn['trigger']['tps_median']:,.0f} vs {fn['plain']['tps_median']:,.0f} TPS without "
                f"a CHECK ({fmt_x(fn['ratio'])}).")
        add("")
        line = (f"One `SELECT pipeline.jsonb_matches_schema(schema, doc)` per document through psycopg: "
                f"{fmt_us(cp['per_query_us'])} us a document, against {fmt_us(cp['one_scan_us'])} us in one "
                f"scan over the same {cp['n']:,} documents")
        if "empty_query_us" in cp:
            line += (f"; the same query calling nothing (`SELECT %s::json IS NOT NULL AND %s::jsonb IS NOT NULL`, "
                     f"same parameters) costs {fmt_us(cp['empty_query_us'])} us "
                     f"({cp['per_query_us'] / cp['empty_query_us']:.2f}x): the round trip, not validation, is "
                     f"the cost of a query per document")
        add(line + ".")
        add("")
    ins = res.get("instructions")
    if ins:
        add("## Instructions per record (callgrind)")
        add("")
        add("`valgrind --tool=callgrind` on `postgres --single`, a private cluster; the whole statement "
            "(`ExecutorRun`: scan, detoast, the function) per record, a 1-record run subtracted (so compiling "
            "the spec is not counted). Repeatable where wall time is not.")
        add("")
        add("| workload | detoast floor | validate, schema only | / floor | in pipeline_validate | "
            "transform + validate (spec) | / floor |")
        add("|---|---:|---:|---:|---:|---:|---:|")
        for k, v in ins.items():
            add(f"| {k} ({v['n']:,} records) | {v['floor']:,.0f} | {v['validate']:,.0f} | "
                f"{v['validate'] / v['floor']:.1f}x | {v['validate_fn']:,.0f} | {v['validate_spec']:,.0f} | "
                f"{v['validate_spec'] / v['floor']:.1f}x |")
        add("")
    L.extend(dry_run_markdown(res.get("dry_run")))
    mig = res.get("migration")
    if mig:
        L.extend(migration_markdown(mig))
        if png_name:
            add(f"![per-request latency, before and after]({Path(png_name).stem}-latency.png)")
            add("")

    add("## Checks")
    add("")
    for name, ok, detail in checks(res):
        add(f"- {verdict(ok)} {name}: {detail}")
    add("")

    if res.get("errors"):
        add("## Sections that failed")
        add("")
        for k, v in res["errors"].items():
            add(f"- {k}: `{v}`")
        add("")
    return "\n".join(L)


def checks(res):
    """[(check, ok, detail)]: what must hold for the figures to mean anything."""
    out = []
    for kind, sec in (res.get("per_record") or {}).items():
        vc = sec["valid_check"]
        got = (vc["pipeline"], vc["python_jsonschema"], vc["python_fastjsonschema"])
        out.append((f"same verdicts ({kind})", len(set(got)) == 1,
                    f"valid of {vc['of']:,}: pipeline {got[0]:,}, jsonschema {got[1]:,}, fastjsonschema {got[2]:,}"))
        r = _rows(sec)
        if "ajv_schema" in r:
            mine, theirs = r["pl_validate_schema"]["valid"], r["ajv_schema"]["valid"]
            out.append((f"ajv agrees ({kind}, schema only)", mine == theirs,
                        f"valid of {r['ajv_schema']['n']:,}: pipeline {mine:,}, ajv {theirs:,}"))
    ing = res.get("ingest")
    if ing:
        for sec in (ing, ing["server"]):
            bad = [r["key"] for r in sec["rows"] if r["inserted"] + r["rejected"] != sec["n"]]
            out.append((f"every row accounted for ({'server-side COPY' if sec is not ing else 'ingest'})", not bad,
                        f"inserted + rejected = {sec['n']:,} sent" + (f"; not for {', '.join(bad)}" if bad else "")))
        r = _rows(ing)
        stored = {k: r[k]["inserted"] for k in ("py_jsonschema", "py_fast", "copy_pipeline") if k in r}
        out.append(("the Python pipeline and the trigger store the same rows", len(set(stored.values())) == 1,
                    ", ".join(f"{k} {v:,}" for k, v in stored.items())))
    cp = res.get("compat")
    if cp:
        out.append(("one query per document and one scan give the same verdicts (compat)", cp["same"], ""))
    for name, b in (res.get("bigdocs") or {}).items():
        bad = [k for k, r in b["rows"].items() if k != "floor" and not r["valid"]]
        out.append((f"every validator accepts the big document ({name})", not bad,
                    "refused by " + ", ".join(bad) if bad else ", ".join(k for k in b["rows"] if k != "floor")))
    mig = res.get("migration")
    if mig:
        a = mig["accounted_requests"]
        out.append(("every request accounted for (migration)", a["ok"],
                    f"{a['sent']:,} sent to each side: before {a['before']:,} (two variants), after {a['after']:,}"))
        out.append(("every record accounted for (migration bulk and peak-RSS ingests)",
                    mig["accounted_bulk"]["ok"] and mig["rss"]["ok"],
                    f"bulk {mig['accounted_bulk']['after']:,} of {mig['accounted_bulk']['sent']:,}; "
                    f"1-process ingests {mig['rss']['accounted']}"))
        ag = mig["aggregation"]
        out.append(("same aggregates in Python and SQL", ag["same"],
                    f"{ag['groups']:,} groups over {ag['n']:,} cleaned records, {ag['stored']:,} stored"))
    return out


def dry_run_goals(dr):
    """The dry run's goal: pipeline.test per record within GOAL_DRY_RUN_VS_VALIDATE of validate."""
    if not dr:
        return []
    x = dr["test_new"] / dr["validate"]
    return [(f"pipeline.test <= {GOAL_DRY_RUN_VS_VALIDATE}x validate in instructions per record (orders, new pipeline)",
             f"{x:.2f}x ({dr['test_new']:,.0f} vs {dr['validate']:,.0f})", x <= GOAL_DRY_RUN_VS_VALIDATE)]


def dry_run_markdown(dr):
    """The "Dry run" section: pipeline.test() against validate(), instructions per record."""
    if not dr:
        return []
    v = dr["validate"]
    return [
        "## Dry run (callgrind)",
        "",
        f"`pipeline.test(name, spec, table, 'doc')` over {dr['n']:,} orders records (column mode, the orders "
        "spec as candidate) against `count(*) FILTER (WHERE pipeline.validate(doc, name))` over the same "
        "table; instructions per record, a 1-record run subtracted, each side's scan and detoast included.",
        "",
        "| per record | instructions | / validate |",
        "|---|---:|---:|",
        f"| validate (the whole statement) | {v:,.0f} | 1.00x |",
        f"| pipeline.test, a new pipeline (one check per record) | {dr['test_new']:,.0f} | "
        f"{dr['test_new'] / v:.2f}x |",
        f"| pipeline.test, a defined pipeline with the same steps (candidate and active version) | "
        f"{dr['test']:,.0f} | {dr['test'] / v:.2f}x |",
        "",
    ]


def _ms_per_1m(seconds, n):
    return seconds / n * 1e6


def migration_table(mig):
    """[(metric, before, after, after/before improvement)] for the success-metrics table."""
    one, two, bulk = mig["one_client"], mig["two_clients"], mig["bulk"]
    b, bj, a = one["before_fast"], one["before_jsonschema"], one["after"]
    rss, ag = mig["rss"], mig["aggregation"]
    rows = [
        ("latency p50 per request (us), 1 client", b["p50"], a["p50"], b["p50"] / a["p50"]),
        ("latency p99 per request (us), 1 client", b["p99"], a["p99"], b["p99"] / a["p99"]),
        ("latency p50 per request (us), jsonschema before", bj["p50"], a["p50"], bj["p50"] / a["p50"]),
        ("throughput (requests/s), 1 client", b["per_s"], a["per_s"], a["per_s"] / b["per_s"]),
        ("throughput (requests/s), 2 clients", two["before_fast"]["per_s"], two["after"]["per_s"],
         two["after"]["per_s"] / two["before_fast"]["per_s"]),
        ("latency p99 (us), 2 clients", two["before_fast"]["p99"], two["after"]["p99"],
         two["before_fast"]["p99"] / two["after"]["p99"]),
        ("client CPU per 1k requests (ms)", b["client_cpu_per_1k"] * 1e3, a["client_cpu_per_1k"] * 1e3,
         b["client_cpu_per_1k"] / max(a["client_cpu_per_1k"], 1e-9)),
        ("server CPU per 1k requests (ms)", b["server_cpu_per_1k"] * 1e3, a["server_cpu_per_1k"] * 1e3,
         b["server_cpu_per_1k"] / max(a["server_cpu_per_1k"], 1e-9)),
        ("client CPU per 1k records, bulk ingest (ms)", bulk["before_fast"]["client_cpu_per_1k"] * 1e3,
         bulk["after"]["client_cpu_per_1k"] * 1e3,
         bulk["before_fast"]["client_cpu_per_1k"] / max(bulk["after"]["client_cpu_per_1k"], 1e-9)),
        ("server CPU per 1k records, bulk ingest (ms)", bulk["before_fast"]["server_cpu_per_1k"] * 1e3,
         bulk["after"]["server_cpu_per_1k"] * 1e3,
         bulk["before_fast"]["server_cpu_per_1k"] / max(bulk["after"]["server_cpu_per_1k"], 1e-9)),
        (f"client peak RSS, ingest of {rss['before']['n']:,} records (MB)", rss["before"]["maxrss_kb"] / 1024,
         rss["after"]["maxrss_kb"] / 1024, rss["before"]["maxrss_kb"] / rss["after"]["maxrss_kb"]),
        ("aggregation per 1M records (s): Python vs SQL GROUP BY, every group fetched by psycopg",
         _ms_per_1m(ag["python"], ag["n"]), _ms_per_1m(ag["sql"], ag["stored"]),
         ag["python"] / ag["sql"] * ag["stored"] / ag["n"]),
    ]
    if "sql_server" in ag:
        rows.append(("aggregation per 1M records (s): Python vs the same GROUP BY in the server (a count sent back)",
                     _ms_per_1m(ag["python"], ag["n"]), _ms_per_1m(ag["sql_server"], ag["stored"]),
                     ag["python"] / ag["sql_server"] * ag["stored"] / ag["n"]))
    return rows


def _num(x):
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}" if abs(x) >= 1 else f"{x:.3f}"


def migration_markdown(mig):
    L = ["## 6. Migration success metrics", ""]
    one = mig["one_client"]
    n = one["after"]["requests"]
    L.append(f"Before: the Python pipeline (bench/reference.py: parse, transform, validate, INSERT the record or "
             f"its reject, one statement a request, autocommit). After: one `INSERT` of the raw record into a "
             f"table with the pipeline trigger (quarantine). {n:,} requests per variant, each on its own "
             f"connection, blocks interleaved; sorted-sample percentiles. \"before\" is fastjsonschema unless "
             f"said; ratios: how many times better after is.")
    L.append("")
    L.append("| metric | before | after | better by |")
    L.append("|---|---:|---:|---:|")
    for metric, b, a, x in migration_table(mig):
        L.append(f"| {metric} | {_num(b)} | {_num(a)} | {fmt_x(x)} |")
    L.append("")
    L.append("| per request, us | p50 | p90 | p99 | p99.9 | max | requests/s |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    names = {"before_jsonschema": "before: Python, jsonschema", "before_fast": "before: Python, fastjsonschema",
             "after": "after: INSERT through the trigger"}
    for k, r in one.items():
        L.append(f"| {names[k]}, 1 client | {r['p50']:,.0f} | {r['p90']:,.0f} | {r['p99']:,.0f} | "
                 f"{r['p99.9']:,.0f} | {r['max']:,.0f} | {r['per_s']:,.0f} |")
    for k, r in mig["two_clients"].items():
        L.append(f"| {names[k]}, 2 clients | {r['p50']:,.0f} | {r['p90']:,.0f} | {r['p99']:,.0f} | "
                 f"{r['p99.9']:,.0f} | {r['max']:,.0f} | {r['per_s']:,.0f} |")
    L.append("")
    ag = mig["aggregation"]
    L.append(f"Aggregation over {ag['n']:,} cleaned orders ({ag['groups']:,} customer-day groups): Python "
             f"{ag['python'] * 1e3:,.1f} ms, SQL GROUP BY (parallel allowed) {ag['sql'] * 1e3:,.1f} ms with "
             f"every group fetched by psycopg, {ag.get('sql_server', float('nan')) * 1e3:,.1f} ms in the server "
             "alone (one row sent back; the rest is the client decoding the groups), "
             f"`pipeline.profile(doc)` over the same rows {ag['profile'] * 1e3:,.1f} ms.")
    L.append("")
    return L


def latency_chart(mig, path):
    """Latency distributions (sorted samples) of both sides, log scale."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for k, label in (("before_jsonschema", "before: Python + jsonschema"),
                     ("before_fast", "before: Python + fastjsonschema"), ("after", "after: INSERT + trigger")):
        ys = [v / 1000 for v in mig["latency_samples"][k]]
        xs = [100 * (i + 0.5) / len(ys) for i in range(len(ys))]
        ax.plot(xs, ys, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("percentile of requests")
    ax.set_ylabel("latency per request (us, log scale)")
    ax.set_title("Per-request latency, one client: lower is better", fontsize=10)
    ax.grid(which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


README_START = "<!-- bench:readme:start -->"
README_END = "<!-- bench:readme:end -->"


def readme_table(res):
    """The README's Performance table, from this run's figures."""
    pr, ing = res.get("per_record") or {}, res.get("ingest")
    kinds = list(pr)
    m = res.get("meta", {})
    L = [f"From `make bench` at commit {m.get('commit')}, {m.get('date')}, PostgreSQL {m.get('postgres')}, "
         f"{m.get('nproc')} cores ({m.get('cpu')}); every figure in bench/results/latest.md.", "",
         "| per record, us (best of " + str(res["config"]["runs"]) + ") | " + " | ".join(kinds) + " |",
         "|---|" + "---:|" * len(kinds)]
    for key, label in (("py_jsonschema_full", "Python `jsonschema`: transform + validate"),
                       ("py_fast_full", "Python `fastjsonschema`: transform + validate"),
                       ("pl_validate_full", "`pipeline.validate(doc, spec)`: transform + validate"),
                       ("py_jsonschema_schema", "Python `jsonschema`, schema only"),
                       ("py_fast_schema", "Python `fastjsonschema`, schema only"),
                       ("ajv_schema", "ajv (node), schema only"),
                       ("pl_validate_schema", "`pipeline.validate`, schema only"),
                       ("floor", "floor: a scan that detoasts each document")):
        cells = [_rows(pr[k]).get(key) for k in kinds]
        if all(c is None for c in cells):
            continue
        L.append(f"| {label} | " + " | ".join(fmt_us(c["us"]) if c else "-" for c in cells) + " |")
    if ing:
        r, s = _rows(ing), _rows(ing["server"])
        L += ["", f"| ingest of {ing['n']:,} raw orders through psycopg, us/row | |", "|---|---:|"]
        for key, label in (("py_jsonschema", "Python pipeline (`jsonschema`), COPY of the good rows"),
                           ("py_fast", "Python pipeline (`fastjsonschema`), COPY of the good rows"),
                           ("copy_pipeline", "`COPY` into a table with the pipeline trigger (quarantine)"),
                           ("copy_plpgsql", "`COPY` into a table with a hand-written PL/pgSQL trigger"),
                           ("copy_bare", "`COPY`, no checks")):
            if key in r:
                L.append(f"| {label} | {fmt_us(r[key]['us'])} |")
        L.append(f"| server-side `COPY` through the trigger / bare `COPY` (throughput) | "
                 f"{fmt_x(s['srv_bare']['us'] / s['srv_pipeline']['us'])} |")
    mig = res.get("migration")
    if mig:
        L += ["", "| migration success metrics (before: Python + fastjsonschema) | before | after | better by |",
              "|---|---:|---:|---:|"]
        for metric, b, a, x in migration_table(mig):
            L.append(f"| {metric} | {_num(b)} | {_num(a)} | {fmt_x(x)} |")
    g = goals(res)
    if g:
        L += ["", "Goals: " + "; ".join(f"{goal}: {measured} {verdict(ok)}" for goal, measured, ok in g) + "."]
    return "\n".join(L)


def update_readme(res, readme):
    """Replace the README's table between the markers with this run's."""
    text = readme.read_text()
    i, j = text.find(README_START), text.find(README_END)
    if i < 0 or j < i:
        return False
    readme.write_text(text[:i + len(README_START)] + "\n" + readme_table(res) + "\n" + text[j:])
    return True


def chart(res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    pr = res.get("per_record")
    if pr:
        keys = [("py_jsonschema_full", "Python jsonschema (spec)"), ("py_fast_full", "Python fastjsonschema (spec)"),
                ("pl_validate_full", "pipeline.validate (spec)"), ("pl_process", "pipeline.process (spec)"),
                ("py_jsonschema_schema", "Python jsonschema (schema only)"),
                ("py_fast_schema", "Python fastjsonschema (schema only)"),
                ("ajv_schema", "ajv, node (schema only)"),
                ("pl_validate_schema", "pipeline.validate (schema only)"),
                ("pl_compat", "jsonb_matches_schema (schema only)"),
                ("floor", "detoast floor")]
        keys += [(k, k) for k in res.get("peers", {}).get("in_run", [])]
        series = {k: [_rows(pr[k]).get(key, {}).get("us") for key, _ in keys] for k in pr}
        panels.append(("Per record (us, log scale)", [lbl for _, lbl in keys], series))
    ing = res.get("ingest")
    if ing:
        r = _rows(ing)
        s = _rows(ing["server"])
        keys = [("py_jsonschema", "Python pipeline, jsonschema", r), ("py_fast", "Python pipeline, fastjsonschema", r),
                ("copy_plpgsql", "COPY + PL/pgSQL trigger", r), ("copy_pipeline", "COPY + pipeline trigger", r),
                ("copy_bare", "COPY, no checks", r),
                ("srv_plpgsql", "server COPY + PL/pgSQL trigger", s), ("srv_pipeline", "server COPY + pipeline trigger", s),
                ("srv_noop_plpgsql", "server COPY + no-op PL/pgSQL", s), ("srv_noop_c", "server COPY + no-op C", s),
                ("srv_bare", "server COPY, bare", s)]
        keys = [k for k in keys if k[0] in k[2]]
        panels.append(("Ingest of orders (us per row, log scale)", [lbl for _, lbl, _ in keys],
                       {"orders": [src[key]["us"] for key, _, src in keys]}))
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(7.5 * len(panels), 6.5))
    if len(panels) == 1:
        axes = [axes]
    colors = {"orders": "#4C72B0", "events": "#DD8452", "tweets": "#55A868"}
    for ax, (title, labels, series) in zip(axes, panels):
        n = len(series)
        h = 0.8 / n
        for i, (name, vals) in enumerate(series.items()):
            ys = [j + (i - (n - 1) / 2) * h for j in range(len(labels))]
            vv = [v if v else 0 for v in vals]
            bars = ax.barh(ys, vv, height=h, label=name, color=colors.get(name))
            for b, v in zip(bars, vals):
                if v:
                    ax.text(v * 1.08, b.get_y() + b.get_height() / 2, fmt_us(v), va="center", fontsize=7)
        ax.set_yticks(range(len(labels)))
        ax.set_yticklabels(labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", which="both", alpha=0.3)
        lo = min(v for vals in series.values() for v in vals if v)
        hi = max(v for vals in series.values() for v in vals if v)
        ax.set_xlim(lo / 2, hi * 4)
        if n > 1:
            ax.legend(fontsize=8, loc="lower right")
    m = res.get("meta", {})
    fig.suptitle(f"pipeline benchmark ({res['mode']}), {m.get('nproc')} cores, PostgreSQL {m.get('postgres')}, "
                 f"commit {m.get('commit', '?').split()[0]}: lower is better", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(res, md_path, png_path):
    md_path, png_path = Path(md_path), Path(png_path)
    chart(res, png_path)
    if res.get("migration"):
        latency_chart(res["migration"], png_path.with_name(png_path.stem + "-latency.png"))
    md = markdown(res, png_path.name if png_path.exists() else None)
    md_path.write_text(md + "\n")
    return md


def main(argv=None):
    argv = argv if argv is not None else sys.argv[1:]
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    p = Path(argv[0])
    res = json.loads(p.read_text())
    print(write(res, p.with_suffix(".md"), p.with_suffix(".png")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
