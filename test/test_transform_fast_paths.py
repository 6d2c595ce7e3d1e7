"""The transform steps' fast paths give the bytes the general paths give.

lower, upper and a case-insensitive map's key folding map 8 ASCII bytes at a
time and fall back to code points at the first non-ASCII byte; a strptime
format of parse_timestamp is first tried along the path a backtracking match
explores first (every directive's first alternative) and searched only when
that path stops short.  Hypothesis builds strings where ASCII runs of every
length meet non-ASCII characters (final sigma, expansions such as "ß" and
"ﬃ"), and date texts whose directives need backtracking ("%Y%m%d" on
"2024111"), and checks every result against bench/reference.py: the
document read back from ``::text``, each key read on its own with ``->>``,
and the instance locations of the violations.
"""

import json
import os
import re
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import reference as R  # noqa: E402

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# ASCII of both cases, digits and punctuation; characters whose case mapping
# changes length or depends on context
ASCII = "abcxyzABCXYZ019 @._-~`[{"
OTHER = ["Σ", "σ", "ς", "ß", "İ", "ı", "é", "É", "ﬃ", "ŉ", "日", "Ω", "\u0345", "\u00a0"]
text = st.lists(st.one_of(st.sampled_from(ASCII), st.sampled_from(OTHER),
                          st.text(ASCII, min_size=8, max_size=24)), max_size=8).map("".join)

MAP_VALUES = {"united states of america": "US", "deutschland": "DE", "españa": "ES", "日本": "JP",
              "abcdefghijklmnopq": "X1", "σς": "S", "straße": "D2", "x": "X"}
CASE_SPEC = {"schema": {}, "transform": [
    {"op": "lower", "path": "/a"},
    {"op": "upper", "path": "/b"},
    {"op": "map", "path": "/c", "case_insensitive": True, "values": MAP_VALUES, "default": "??"},
    {"op": "map", "path": "/d", "values": MAP_VALUES},
]}

FORMATS = ["%Y%m%d", "%d/%m/%Y", "%b %d, %Y", "%B %d %Y %I:%M %p", "%d%m%y%H%M", "%Y-%m-%d %H:%M:%S.%f%z",
           "%m%d%Y", "%H%M%S", "%d %B  %Y", "%y%m%d %H:%M %%"]
TS_SPEC = {"schema": {}, "transform": [
    {"op": "parse_timestamp", "path": f"/f{i}", "formats": [f]} for i, f in enumerate(FORMATS)]}

PIECES = ["2024", "1999", "11", "1", "0", "12", "31", "29", "02", "2", "9", "123456", "5", "00", "60",
          "Jan", "jan", "SEPT", "September", "may", "Mayo", "am", "PM", " ", "  ", "\t", "/", ",", ":", ".",
          "-", "+05:30", "Z", "-0100", "%", "x"]
date_text = st.lists(st.sampled_from(PIECES), min_size=1, max_size=9).map("".join)


def _define(conn, name, spec):
    conn.execute("SELECT pipeline.define(%s, %s::jsonb)", (name, json.dumps(spec)))
    return R.Pipeline(json.dumps(spec))


def _check(conn, name, ref, docs):
    """Every doc (a dict, or JSON text to keep its numbers' scale): C and the
    reference agree on the document, key by key, and on the violations."""
    texts = [d if isinstance(d, str) else json.dumps(d, ensure_ascii=False) for d in docs]
    keys = sorted({k for t in texts for k in json.loads(t)})
    cols = ", ".join(f"pipeline.transform(d, %(name)s) ->> '{k}'" for k in keys)
    rows = conn.execute(
        f"SELECT pipeline.transform(d, %(name)s)::text, pipeline.errors(d, %(name)s)::text, {cols} "
        "FROM unnest(%(docs)s::jsonb[]) WITH ORDINALITY AS u(d, i) ORDER BY i",
        {"name": name, "docs": texts}).fetchall()
    for text, row in zip(texts, rows):
        py_doc, py_errors = ref.transform(ref.loads(text))
        assert R.json_equal(py_doc, R.loads(row[0])), (text, py_doc, row[0])
        for k, got in zip(keys, row[2:]):
            want = py_doc.get(k)
            if isinstance(want, str) or want is None:
                assert got == want, (text, k, got, want)
            else:
                assert R.json_equal(R.loads(got), want), (text, k, got, want)
        assert {e["instanceLocation"] for e in py_errors} == \
            {e["instanceLocation"] for e in json.loads(row[1])}, (text, py_errors, row[1])
    return rows


@SETTINGS
@given(st.lists(text, min_size=1, max_size=20))
def test_case_mapping_matches_reference(conn, strings):
    ref = _define(conn, "fast_case", CASE_SPEC)
    docs = [{"a": s, "b": s, "c": s, "d": s} for s in strings]
    docs += [{"c": k.upper(), "d": k} for k in MAP_VALUES]
    _check(conn, "fast_case", ref, docs)


@SETTINGS
@given(st.lists(date_text, min_size=1, max_size=20))
def test_strptime_matches_reference(conn, texts):
    ref = _define(conn, "fast_ts", TS_SPEC)
    docs = [{f"f{i}": t for i in range(len(FORMATS))} for t in texts]
    _check(conn, "fast_ts", ref, docs)


NUM_SPEC = {"schema": {}, "transform": [
    {"op": "coerce", "path": "/i", "to": "integer"},
    {"op": "coerce", "path": "/n", "to": "number"},
    {"op": "round", "path": "/r", "digits": 0},
    {"op": "scale", "path": "/s", "factor": 1000},
]}
digits = st.text("0123456789", min_size=1, max_size=22)
number_text = st.builds(lambda sign, i, f, z, e: f"{sign}{int(i)}{'.' + f + '0' * z if f else ''}{e}",
                        st.sampled_from(["", "-"]), digits, st.sampled_from(["", "0", "000", "5", "25", "1"]),
                        st.integers(0, 20), st.sampled_from(["", "e0", "e2", "E-3", "e+1"]))


@SETTINGS
@given(st.lists(number_text, min_size=1, max_size=20))
def test_integral_numbers_match_reference(conn, texts):
    """An integral coerce result is written without fractional zeros, as numeric_trim_scale writes it."""
    ref = _define(conn, "fast_num", NUM_SPEC)
    docs = [{"i": t, "n": t} for t in texts] + [f'{{"i": {t}, "r": {t}, "s": {t}}}' for t in texts]
    rows = _check(conn, "fast_num", ref, docs)
    for doc, row in zip(docs, rows):
        if "/i" not in {e["instanceLocation"] for e in json.loads(row[1])}:
            assert re.fullmatch(r"-?[0-9]+", row[2]), (doc, row[2])


def test_strptime_backtracking_cases(conn):
    """Texts where the first alternatives stop short and a later one matches, or none does."""
    ref = _define(conn, "fast_ts", TS_SPEC)
    texts = ["2024111", "20241231", "2024123", "202412", "3112024", "1122024", "01/02/2024", "1/2/2024",
             "Sep 1, 2024", "September 9 2024 12:00 am", "Mayo", "311299", "3112991230", "1111111111",
             "2024-05-01 13:45:00.5+05:30", "2024-05-01 13:45:00.123456Z", "9 May  2024", "240501 12:30 %",
             "123", "235959", "246060"]
    _check(conn, "fast_ts", ref, [{f"f{i}": t for i in range(len(FORMATS))} for t in texts])
