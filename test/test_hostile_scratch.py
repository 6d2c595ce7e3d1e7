"""A record's steps allocate from a 2 kB buffer of the record, then from
palloc (include/transform.h, PlScratch).  Structural steps (set, default,
copy, rename, concat, remove, keep, appends to arrays) writing and then
reading or overwriting values on both sides of that line, on records of up
to 1000 keys with non-ASCII text, give what bench/reference.py gives:
through pipeline.transform, through the column-mode trigger, and with a
record whose steps fail between records that pass (no value of one record
survives into the next).
"""

import json
import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import reference as R  # noqa: E402

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

KEYS = ["a", "b", "é", "日本", "k0", "k1"]
PATHS = [f"/{k}" for k in KEYS] + ["/o/x", "/o/é", "/arr/-", "/arr/0", "/arr/1", "/deep/er/est"]
WORDS = ["", "x", "é", "ß", "日本語", "Σσς", " pad ", "ab" * 40, "ü" * 300]
values = st.one_of(st.sampled_from(WORDS), st.integers(-10, 10),
                   st.lists(st.sampled_from(WORDS), max_size=4),
                   st.dictionaries(st.sampled_from(KEYS), st.sampled_from(WORDS), max_size=3))
steps = st.one_of(
    st.builds(lambda p, v: {"op": "set", "path": p, "value": v}, st.sampled_from(PATHS), values),
    st.builds(lambda p, v: {"op": "default", "path": p, "value": v}, st.sampled_from(PATHS), values),
    st.builds(lambda p, f: {"op": "copy", "path": p, "from": f}, st.sampled_from(PATHS), st.sampled_from(PATHS)),
    st.builds(lambda p, t: {"op": "rename", "path": p, "to": t}, st.sampled_from(PATHS), st.sampled_from(PATHS)),
    st.builds(lambda p, fs: {"op": "concat", "path": p, "from": fs, "separator": "·"},
              st.sampled_from(PATHS), st.lists(st.sampled_from(PATHS), min_size=1, max_size=4)),
    st.builds(lambda p: {"op": "remove", "path": p}, st.sampled_from(PATHS)),
    st.builds(lambda p: {"op": "upper", "path": p}, st.sampled_from(PATHS)),
    st.builds(lambda p: {"op": "trim", "path": p}, st.sampled_from(PATHS)),
    st.builds(lambda ks: {"op": "keep", "path": "", "keys": ks}, st.lists(st.sampled_from(KEYS + ["o", "arr"]))),
    st.builds(lambda p: {"op": "coerce", "path": p, "to": "integer"}, st.sampled_from(PATHS)),
)


def wide(n, word):
    """A record of n keys (a few of them the steps' keys), values word."""
    doc = {f"w{i:04d}": word for i in range(n)}
    doc.update({"a": word, "o": {"x": word}, "arr": [word, 1]})
    return doc


records = st.builds(wide, st.sampled_from([0, 3, 40, 200, 1000]), st.sampled_from(WORDS))


def ref_transform(spec, doc):
    return R.Pipeline(json.dumps(spec)).transform(R.loads(json.dumps(doc, ensure_ascii=False)))[0]


def define(conn, name, spec):
    conn.execute("SELECT pipeline.define(%s, %s::jsonb)", (name, json.dumps(spec)))


@SETTINGS
@given(st.lists(steps, min_size=1, max_size=40), st.lists(records, min_size=1, max_size=4))
def test_structural_steps_across_the_spill_match_reference(conn, spec_steps, docs):
    spec = {"schema": {}, "transform": spec_steps}
    define(conn, "scratch_t", spec)
    texts = [json.dumps(d, ensure_ascii=False) for d in docs]
    rows = conn.execute("SELECT pipeline.transform(d, 'scratch_t')::text FROM unnest(%s::jsonb[])"
                        " WITH ORDINALITY AS u(d, i) ORDER BY i", (texts,)).fetchall()
    for doc, (got,) in zip(docs, rows):
        want = ref_transform(spec, doc)
        assert R.json_equal(want, R.loads(got)), (spec_steps, doc, got)


@SETTINGS
@given(st.lists(steps, min_size=1, max_size=40), st.lists(records, min_size=1, max_size=4))
def test_column_trigger_across_the_spill_matches_reference(conn, spec_steps, docs):
    """Rows of one statement: each stored document is its own record's result;
    a record some step refuses is quarantined unchanged between the others."""
    spec = {"schema": {}, "transform": spec_steps, "on_error": "quarantine"}
    conn.execute("DROP TABLE IF EXISTS scratch_rows")
    conn.execute("CREATE TABLE scratch_rows (i int, doc jsonb)")
    conn.execute("DELETE FROM pipeline.rejects WHERE pipeline = 'scratch_c'")
    define(conn, "scratch_c", spec)
    conn.execute("SELECT pipeline.attach('scratch_rows', 'scratch_c', 'doc')")
    texts = [json.dumps(d, ensure_ascii=False) for d in docs]
    conn.execute("INSERT INTO scratch_rows SELECT i, d FROM unnest(%s::jsonb[]) WITH ORDINALITY AS u(d, i)",
                 (texts,))
    stored = dict(conn.execute("SELECT i, doc::text FROM scratch_rows").fetchall())
    refused = {json.dumps(json.loads(r)["w"], sort_keys=True) for (r,) in conn.execute(
        "SELECT jsonb_build_object('w', record)::text FROM pipeline.rejects WHERE pipeline = 'scratch_c'")}
    pipeline_ref = R.Pipeline(json.dumps(spec))
    for i, doc in enumerate(docs, 1):
        want, errors = pipeline_ref.transform(R.loads(json.dumps(doc, ensure_ascii=False)))
        if errors:
            assert i not in stored
            assert json.dumps(doc, sort_keys=True) in refused
        else:
            assert R.json_equal(want, R.loads(stored[i])), (spec_steps, doc, stored[i])
    conn.execute("DROP TABLE scratch_rows")
