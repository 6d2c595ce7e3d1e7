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


# Each record's step results come from a 2 kB buffer of the record, then from
# palloc: wide records, long strings and many added keys cross that line
# mid-record (the expanded root, case results, numbers, timestamps, keys
# inserted by default).
WIDE_KEYS = [f"k{i:02d}" for i in range(60)]
WIDE_SPEC = {"schema": {}, "transform": [
    *({"op": "upper", "path": f"/{k}"} for k in WIDE_KEYS[:30]),
    *({"op": "coerce", "path": f"/{k}", "to": "integer"} for k in WIDE_KEYS[30:40]),
    *({"op": "round", "path": f"/{k}", "digits": 1} for k in WIDE_KEYS[40:50]),
    *({"op": "parse_timestamp", "path": f"/{k}"} for k in WIDE_KEYS[50:55]),
    *({"op": "default", "path": f"/{k}", "value": k} for k in WIDE_KEYS[55:]),
    {"op": "default", "path": "/zz_added", "value": {"nested": [1, "two"]}},
]}


def test_scratch_spills_to_palloc(conn):
    """Results before, across and after the record's scratch runs out agree with the reference."""
    ref = _define(conn, "fast_wide", WIDE_SPEC)
    docs = []
    for width in (0, 1, 7, 120, 700):
        doc = {k: ("ab" * width + "é") for k in WIDE_KEYS[:30]}
        doc.update({k: f" {i}.0 " for i, k in enumerate(WIDE_KEYS[30:40])})
        doc.update({k: i + 0.25 for i, k in enumerate(WIDE_KEYS[40:50])})
        doc.update({k: f"2024-0{i + 1}-0{i + 1} 10:00" for i, k in enumerate(WIDE_KEYS[50:55])})
        docs.append(doc)
        docs.append({k: v for k, v in doc.items() if k in WIDE_KEYS[::3]})
    docs.append({k: "ÉÉÉ" for k in WIDE_KEYS})
    docs.append({})
    _check(conn, "fast_wide", ref, docs)


TS_CANON_SPEC = {"schema": {}, "transform": [
    {"op": "parse_timestamp", "path": "/a"},
    {"op": "parse_timestamp", "path": "/b", "timezone": "Europe/Berlin"},
    {"op": "parse_timestamp", "path": "/c", "formats": ["%Y-%d-%mT%H:%M:%SZ", "iso8601"]},
    {"op": "parse_timestamp", "path": "/d", "formats": ["epoch", "iso8601"]},
]}


def test_canonical_utc_text_kept(conn):
    """Text already written as parse_timestamp writes it is kept (trimmed) when iso8601 comes
    first; otherwise, and for every other shape or an invalid date, the formats decide."""
    ref = _define(conn, "fast_canon", TS_CANON_SPEC)
    texts = ["2024-02-29T23:59:59Z", " 2024-02-29T23:59:59Z\u3000", "\u20032024-05-01T00:00:00Z",
             "2023-02-29T23:59:59Z", "2024-13-01T00:00:00Z", "2024-04-31T00:00:00Z",
             "2024-01-01T24:00:00Z", "2024-01-01T23:60:00Z", "2024-01-01T23:59:60Z",
             "0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
             "2024-01-02t03:04:05Z", "2024-01-02T03:04:05z", "2024-01-02 03:04:05Z",
             "2024-01-02T03:04:05.000000Z", "2024-01-02T03:04:05+00:00", "2024-01-02T03:04:5Z",
             "2024-1-02T03:04:05Z", "２０２４-01-02T03:04:05Z", "2024-01-02T03:04:05Z ", ""]
    _check(conn, "fast_canon", ref, [{"a": t, "b": t, "c": t, "d": t} for t in texts])


LITERAL_FORMATS = ["%d/%m/%Y", "%b %d, %Y", "%Y年%m月%d日", "%dT%H", "%d.%m.%y", "%H:%M", "%d%%%m"]
LITERAL_SPEC = {"schema": {}, "transform": [
    {"op": "parse_timestamp", "path": f"/f{i}", "formats": [f]} for i, f in enumerate(LITERAL_FORMATS)]}


def test_strptime_missing_literal(conn):
    """A text without a literal byte of the format is refused before the search; letters
    match either case, non-ASCII literals byte by byte."""
    ref = _define(conn, "fast_lit", LITERAL_SPEC)
    texts = ["01/02/2024", "01-02-2024", "1234567890", "May 1, 2024", "May 1 2024", "2024年5月1日",
             "2024年5月1", "2024-5-1", "01T12", "01t12", "0112", "01.02.24", "01,02,24", "12:30",
             "1230", "01%02", "0102", "", " ", "日本", "/,.:%"]
    _check(conn, "fast_lit", ref, [{f"f{i}": t for i in range(len(LITERAL_FORMATS))} for t in texts])


SMALL_NUM_SPEC = {"schema": {}, "transform": [
    {"op": "coerce", "path": "/i", "to": "integer"},
    {"op": "coerce", "path": "/n", "to": "number"},
    {"op": "coerce", "path": "/b", "to": "boolean"},
    {"op": "round", "path": "/r", "digits": 0},
    {"op": "coerce", "path": "/t", "to": "number"},
]}


def test_small_integers_and_kept_numbers(conn):
    """Integers below 10000 are built directly, with numeric_in's bytes; a number coerced to
    number and a boolean to boolean stay as they are (scale kept)."""
    ref = _define(conn, "fast_small", SMALL_NUM_SPEC)
    values = ["0", "-0", "1", "-1", "9", "10", "9999", "-9999", "10000", "-10000", "99990", "00012",
              "1e3", "-1e3", "9.999e3", "0.0", "-0.00", "1e400", "12.50", "-0.4", "0.5", "9999.5",
              "123456789012345678901234567890", "1e-400"]
    json_numbers = [v for v in values if re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?", v)]
    docs = [f'{{"i": "{v}", "n": {v}, "b": {v}, "r": {v}, "t": true}}' for v in json_numbers
            if abs(float(v)) < 1e300]
    docs += [f'{{"i": "{v}", "n": "{v}", "b": "{v}", "t": {v}}}' for v in json_numbers]
    docs += ['{"i": true, "n": false, "b": true, "r": null, "t": "x"}', '{"b": false, "n": 0}']
    rows = _check(conn, "fast_small", ref, docs)
    assert rows
    # the numbers' stored form, not only their text: what numeric_in makes of the same text
    mismatched = conn.execute(
        "SELECT d, k FROM unnest(%s::jsonb[]) d, LATERAL jsonb_each(pipeline.transform(d, 'fast_small')) e(k, v) "
        "WHERE jsonb_typeof(v) = 'number' AND "
        "numeric_send(v::numeric) IS DISTINCT FROM numeric_send((v #>> '{}')::numeric)",
        (docs,)).fetchall()
    assert mismatched == []


def _map_keys(n):
    """n distinct map keys: ASCII of lengths 0 to 70, some non-ASCII, many sharing hash slots."""
    keys = ["", "a", "A" * 70, "straße", "日本", "σς"]
    keys += [f"k{i}" + "x" * (i % 9) for i in range(n)]
    return keys


MAP_KEYS = _map_keys(300)
MAP_HASH_SPEC = {"schema": {}, "transform": [
    {"op": "map", "path": "/ci", "case_insensitive": True, "values": {k: f"v{i}" for i, k in enumerate(MAP_KEYS)}},
    {"op": "map", "path": "/cs", "values": {k: i for i, k in enumerate(MAP_KEYS)}, "default": None},
    {"op": "map", "path": "/one", "case_insensitive": True, "values": {"Only": "O"}},
    {"op": "map", "path": "/none", "values": {}, "default": "D"},
]}


def test_map_hash_slots(conn):
    """A map looks its keys up by hash slots (probing past taken slots; ASCII folded byte by
    byte, other text by code points): every key, in either case, and misses next to them
    give the reference's result."""
    ref = _define(conn, "fast_map", MAP_HASH_SPEC)
    probes = MAP_KEYS + [k.upper() for k in MAP_KEYS] + [k + "y" for k in MAP_KEYS[:40]]
    probes += ["K1", "k1 ", "ONLY", "only", "onl", "STRASSE", "ΣΣ", "Σς", "a" * 65, "A" * 64, "é" * 30]
    docs = [{"ci": p, "cs": p, "one": p, "none": p} for p in probes]
    docs += [{"ci": 1, "cs": None, "one": True, "none": [1]}]
    _check(conn, "fast_map", ref, docs)


BIG = {"nested": {"k": list(range(40)), "s": "x" * 300}}
BOUND_SPEC = {"schema": {}, "transform": [
    {"op": "trim", "path": "/a"},
    {"op": "map", "path": "/a", "values": {"x": "y" * 40, "yy": "z"}},
    {"op": "coerce", "path": "/n", "to": "number"},
    {"op": "coerce", "path": "/s", "to": "string"},
    {"op": "coerce", "path": "/b", "to": "integer"},
    {"op": "default", "path": "/aa", "value": BIG},
    {"op": "set", "path": "/zz", "value": [1, "two", 3.5, None, True]},
    {"op": "default", "path": "/m", "value": 12345.678},
    {"op": "set", "path": "/a", "value": "w" * 17},
    {"op": "upper", "path": "/u"},
    {"op": "parse_timestamp", "path": "/t"},
    {"op": "round", "path": "/r", "digits": 3},
]}
BOUND_RENAME_SPEC = {"schema": {}, "transform": [
    {"op": "coerce", "path": "/n", "to": "number"},
    {"op": "rename", "path": "/x", "to": "/y"},
    {"op": "set", "path": "/a", "value": "w" * 33},
    {"op": "default", "path": "/new", "value": BIG},
]}


def test_encoder_sizes(conn):
    """Records whose values grow, are added and replaced across the encoder's 4, 8 and 16-byte
    copy sizes, numeric padding and the JEntry offset stride, before and after a step of the
    general path, agree with the reference."""
    ref = _define(conn, "fast_bound", BOUND_SPEC)
    ref2 = _define(conn, "fast_bound2", BOUND_RENAME_SPEC)
    docs = []
    for width in (0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33):
        w = "é" * width
        doc = {"a": " x ", "n": "1" * max(width, 1), "s": 10 ** width + 0.5, "b": "7", "u": w + "q",
               "t": "2024-01-02 03:04:05+01:00", "r": 1.23456, "x": w}
        doc.update({f"p{i:02d}": w[:i] for i in range(width + 30)})
        docs.append(doc)
        docs.append({"a": "yy", "m": None, "n": "-0.5e-3", "b": True, "r": 10 ** width})
    docs += [{}, {"aa": 1, "zz": 2}, {"n": "x", "s": "y", "b": "z"}]
    _check(conn, "fast_bound", ref, docs)
    _check(conn, "fast_bound2", ref2, docs)
