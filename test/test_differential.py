"""Differential test: the C pipeline and the Python reference agree, record for record.

For each spec in bench/specs/ and DIFF_RECORDS generated records (default
100000; DIFF_SEED picks the data), batches of 5000 go through

    SELECT pipeline.transform(d, name), pipeline.errors(d, name), pipeline.validate(d, name)
      FROM unnest(%s::jsonb[]) WITH ORDINALITY AS u(d, i) ORDER BY i

and every record must give, in C and in bench/reference.py:
  * the same transformed document (JSON equality: numbers by value, key order ignored),
  * the same verdict (errors empty or not; validate agrees with errors),
  * the same set of instanceLocations in the errors.
A disagreement prints the record and both results. The rules are in bench/README.md.

Uses the ``conn`` fixture of test/conftest.py: a psycopg 3 autocommit
connection to a database with the extension created.
"""

import itertools
import json
import os
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

import generate as G  # noqa: E402
import reference as R  # noqa: E402

N = int(os.environ.get("DIFF_RECORDS", "100000"))
SEED = int(os.environ.get("DIFF_SEED", "20240501"))
BATCH = 5000
SHOW = 20  # disagreements printed in full
SPECS = sorted((BENCH / "specs").glob("*.json"))

QUERY = """
SELECT pipeline.transform(d, %(name)s)::text, pipeline.errors(d, %(name)s)::text, pipeline.validate(d, %(name)s)
  FROM unnest(%(docs)s::jsonb[]) WITH ORDINALITY AS u(d, i)
 ORDER BY i
"""


def _batches(it, n):
    it = iter(it)
    while batch := list(itertools.islice(it, n)):
        yield batch


def _locations(errors):
    return {e.get("instanceLocation") for e in errors}


def compare(py_doc, py_errors, c_doc, c_errors, c_valid):
    """What differs between the Python and the C results of one record (empty: they agree)."""
    problems = []
    if not R.json_equal(py_doc, c_doc):
        problems.append("transformed documents differ")
    if bool(py_errors) != bool(c_errors):
        problems.append(f"verdicts differ: python {'invalid' if py_errors else 'valid'}, "
                        f"C {'invalid' if c_errors else 'valid'}")
    if c_valid is not None and c_valid != (not c_errors):
        problems.append(f"C validate() says {c_valid} but errors() has {len(c_errors)} errors")
    py_locs, c_locs = _locations(py_errors), _locations(c_errors)
    if py_locs != c_locs:
        problems.append(f"instanceLocations differ: only python {sorted(py_locs - c_locs)}, "
                        f"only C {sorted(c_locs - py_locs)}")
    return problems


def _show(text, problems, py_doc, py_errors, c_doc, c_errors):
    return "\n".join([
        "-" * 78,
        "record:       " + text,
        "problems:     " + "; ".join(problems),
        "python doc:   " + R.dumps(py_doc),
        "C doc:        " + (c_doc if isinstance(c_doc, str) else R.dumps(c_doc)),
        "python errors: " + json.dumps(py_errors, ensure_ascii=False),
        "C errors:      " + (c_errors if isinstance(c_errors, str) else json.dumps(c_errors, ensure_ascii=False)),
    ])


def _run_batch(conn, name, batch):
    """[(transform text, errors text, valid)] for a batch; a record that makes C raise gets the error instead."""
    try:
        return conn.execute(QUERY, {"name": name, "docs": batch}).fetchall()
    except psycopg.Error:
        rows = []
        for text in batch:  # find the record(s) that raise
            try:
                rows.append(conn.execute(QUERY, {"name": name, "docs": [text]}).fetchone())
            except psycopg.Error as e:
                rows.append(e)
        return rows


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.stem)
def test_c_and_python_agree(conn, spec_path, capsys):
    kind = spec_path.stem
    name = f"diff_{kind}"
    spec_text = spec_path.read_text(encoding="utf-8")
    conn.execute("SELECT pipeline.define(%s, %s::jsonb)", (name, spec_text))
    ref = R.Pipeline(spec_text)

    seen = invalid = 0
    disagreements = []
    shown = []
    for batch in _batches(G.records_json(kind, N, SEED), BATCH):
        rows = _run_batch(conn, name, batch)
        assert len(rows) == len(batch)
        for text, row in zip(batch, rows):
            seen += 1
            py_doc, py_errors = ref.run(ref.loads(text))
            invalid += bool(py_errors)
            if isinstance(row, Exception):
                problems = [f"C raised {type(row).__name__}: {row}"]
                c_doc, c_errors = "(raised)", str(row)
            else:
                c_doc, c_errors = R.loads(row[0]), R.loads(row[1])
                problems = compare(py_doc, py_errors, c_doc, c_errors, row[2])
            if problems:
                disagreements.append((text, problems))
                if len(shown) < SHOW:
                    shown.append(_show(text, problems, py_doc, py_errors, c_doc, c_errors))
    conn.execute("SELECT pipeline.drop(%s)", (name,))

    with capsys.disabled():
        print(f"\n[differential] {kind}: {seen} records, {invalid} invalid ({invalid / max(seen, 1):.1%}), "
              f"{len(disagreements)} disagreements")
    assert seen == N
    if disagreements:
        kinds = {}
        for _, problems in disagreements:
            for p in problems:
                kinds[p.split(":")[0]] = kinds.get(p.split(":")[0], 0) + 1
        pytest.fail(f"{kind}: C and Python disagree on {len(disagreements)} of {seen} records "
                    f"({', '.join(f'{k}: {v}' for k, v in sorted(kinds.items()))}); first {len(shown)}:\n"
                    + "\n".join(shown), pytrace=False)


def test_reference_ingest(conn):
    """bench/reference.py's ingest: COPY the good records, INSERT the rejects; nothing lost."""
    spec_text = (BENCH / "specs" / "orders.json").read_text(encoding="utf-8")
    ref = R.Pipeline(spec_text)
    texts = list(G.records_json("orders", 2000, seed=4))
    expected = [ref.run(ref.loads(t)) for t in texts]
    conn.execute("DROP TABLE IF EXISTS diff_ingest, diff_ingest_rejects")
    R.create_tables(conn, "diff_ingest")
    try:
        inserted, rejected = R.ingest(conn, "diff_ingest", texts, ref)
        assert inserted + rejected == len(texts)
        assert rejected == sum(1 for _, e in expected if e)
        stored = [R.loads(t) for (t,) in conn.execute("SELECT doc::text FROM diff_ingest ORDER BY id")]
        good = [d for d, e in expected if not e]
        assert len(stored) == len(good) and all(R.json_equal(a, b) for a, b in zip(stored, good))
        rows = conn.execute("SELECT record::text, errors FROM diff_ingest_rejects ORDER BY id").fetchall()
        bad = [(t, e) for t, (_, e) in zip(texts, expected) if e]
        assert [R.json_equal(R.loads(r), R.loads(t)) for (r, _), (t, _) in zip(rows, bad)] == [True] * len(bad)
        assert [len(e) for _, e in rows] == [len(e) for _, e in bad]
        # the float variant (fastjsonschema) ingests the same rows
        conn.execute("TRUNCATE diff_ingest, diff_ingest_rejects")
        assert R.ingest(conn, "diff_ingest", texts, spec_text, validator="fastjsonschema") == (inserted, rejected)
    finally:
        conn.execute("DROP TABLE IF EXISTS diff_ingest, diff_ingest_rejects")
