"""The validator's shortcuts for big documents and giant schemas keep verdicts and errors.

* A pattern whose automaton accepts every non-empty run of printable ASCII
  bytes from some byte on (FHIR's "^\\S*$", "^[ \\r\\n\\t\\S]+$" and the
  like) decides such a subject 16 bytes (or a word) at a time, without a
  step of the automaton: in the automaton itself and, for a property value
  or an array item whose schema is only "pattern" (and "type"), in the walk.
  Compared with PostgreSQL's engine (pipeline.regex_fast_paths off) on
  subjects of every length around the 4-, 8- and 16-byte reads, their
  breaks at every offset (control bytes, DEL, non-ASCII).
* The discriminator of a oneOf/anyOf is found by a scan of an object's keys
  in place (up to 64 pairs; a binary search past that): compared with
  Python's jsonschema and with the dispatch defeated, on objects with keys
  of every length around the discriminator's, with and without it.
* A "properties" lookup resumes past the last key matched: objects with
  many names of one length, compared with jsonschema and with the walk's
  shapes defeated (errors() equal too).
"""

import json
import os

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
DRAFT7 = "http://json-schema.org/draft-07/schema#"
DRAFT2020 = "https://json-schema.org/draft/2020-12/schema"
SETTINGS = dict(max_examples=max(20, EXAMPLES), deadline=None, database=None,
                derandomize=os.environ.get("CI") == "true", suppress_health_check=list(HealthCheck))

# patterns with an accepting run (the first five), and some without one
PATTERNS = ["^\\S*$", "^[ \\r\\n\\t\\S]+$", "^[^\\s]+(\\s[^\\s]+)*$", "^[!-~]+$", "^[a-~]*$",
            "^[A-Za-z0-9\\-\\.]{1,64}$", "^\\S{2,}$", "^.*$", "a", "^[ -}]+$"]
# a printable run's bytes, its bounds, and what breaks it
BYTES = ["a", "~", " ", "!", "`", "A", "0", "\x7f", "\x1f", "\t", "\n", "\x0b", "é", "\u00a0", "😀"]


@st.composite
def subject(draw):
    """A run of printable ASCII of any length up to 40, now and then broken at one offset."""
    n = draw(st.integers(0, 40))
    s = [draw(st.sampled_from(["a", "~", " ", "!", "`", "Z"])) for _ in range(n)]
    if n and draw(st.booleans()):
        s[draw(st.integers(0, n - 1))] = draw(st.sampled_from(BYTES))
    return "".join(s)


def verdicts(conn, schema, docs, fast):
    conn.execute("SET pipeline.regex_fast_paths = " + ("on" if fast else "off"))
    return conn.execute(
        "SELECT pipeline.jsonb_matches_schema(%s::json, d), "
        "pipeline.jsonschema_validation_errors(%s::json, d::json) "
        "FROM unnest(%s::jsonb[]) WITH ORDINALITY AS u(d, i) ORDER BY i",
        (json.dumps(schema), json.dumps(schema), [Jsonb(d) for d in docs])).fetchall()


@pytest.fixture(scope="module")
def fresh(conn):
    """The module's connection, compiling every schema under the setting of the moment."""
    conn.execute("SET pipeline.compat_cache_size = 0")
    yield conn
    conn.execute("RESET pipeline.regex_fast_paths")


@settings(**SETTINGS)
@given(st.sampled_from(PATTERNS), st.sampled_from([None, "string", ["string", "null"]]),
       st.lists(subject(), min_size=1, max_size=10))
def test_accepting_runs_agree_with_the_engine(fresh, pattern, typ, subjects):
    """The pattern at the root (the automaton's check), on a property and on items (the walk's)."""
    leaf = {"pattern": pattern} if typ is None else {"pattern": pattern, "type": typ}
    for schema, docs in ((leaf, subjects),
                         ({"properties": {"k": leaf}}, [{"k": s} for s in subjects]),
                         ({"items": leaf}, [subjects])):
        fast = verdicts(fresh, schema, docs, True)
        engine = verdicts(fresh, schema, docs, False)
        assert fast == engine, f"\nschema: {json.dumps(schema)}\ndocs: {json.dumps(docs)}"


KEY = "resourceType"
# keys shorter, as long as and longer than the discriminator, before and after it in jsonb order
NEAR = ["a", "id", "resourceTyp", "resourceTypd", "resourceTypf", "resourceTypes", "zzzzzzzzzzzz",
        "managingOrganization", "x" * 30]


def dispatch_schema(names):
    branches = [{"type": "object", "required": [KEY], "properties": {KEY: {"const": n}, "id": {"type": "string"}}}
                for n in names]
    return {"$schema": DRAFT7, "oneOf": branches}


@st.composite
def dispatch_doc(draw, names):
    doc = {k: draw(st.one_of(st.sampled_from(["x", 1]), st.none())) for k in
           draw(st.lists(st.sampled_from(NEAR), max_size=len(NEAR), unique=True))}
    if draw(st.integers(0, 3)):
        doc[KEY] = draw(st.one_of(st.sampled_from(names + ["Other", ""]), st.integers(0, 2)))
    if draw(st.integers(0, 4)) == 0:  # past the scan: a binary search
        doc.update({f"k{i:03d}": i for i in range(70)})
    return doc


@settings(**SETTINGS)
@given(st.data())
def test_discriminator_scan_keeps_verdicts(conn, data):
    names = data.draw(st.lists(st.sampled_from(["Patient", "Observation", "a", "Encounter"]),
                               min_size=1, max_size=4, unique=True))
    schema = dispatch_schema(names)
    defeated = dict(schema, oneOf=schema["oneOf"] + [{"not": {}}])
    docs = data.draw(st.lists(dispatch_doc(names), min_size=1, max_size=8))
    validator = jsonschema.Draft7Validator(schema)
    rows = conn.execute(
        "SELECT pipeline.jsonb_matches_schema(%s::json, d), pipeline.jsonb_matches_schema(%s::json, d), "
        "pipeline.jsonschema_validation_errors(%s::json, d::json) "
        "FROM unnest(%s::jsonb[]) WITH ORDINALITY AS u(d, i) ORDER BY i",
        (json.dumps(schema), json.dumps(defeated), json.dumps(schema), [Jsonb(d) for d in docs])).fetchall()
    for d, (ok, ok_defeated, errs) in zip(docs, rows):
        ctx = f"\nschema: {json.dumps(schema)}\ndoc: {json.dumps(d)}"
        assert ok == validator.is_valid(d), "disagrees with Python jsonschema" + ctx
        assert ok == ok_defeated, "disagrees with the dispatch defeated" + ctx
        assert (not errs) == ok, "errors() disagrees with the verdict" + ctx


# names of one length (the lookup by length scans them), and their neighbours
SAME = ["aa", "ab", "ba", "bb", "zz", "a0", "abcd", "abce", "abcf", "bbbb", "key_00001", "key_00002",
        "key_00003", "c", "longer_name_x"]


@settings(**SETTINGS)
@given(st.data())
def test_property_lookup_resumes_past_matches(conn, data):
    props = {k: data.draw(st.sampled_from([{"type": "integer"}, {"type": "string"},
                                           {"pattern": "^\\S*$"}, {"enum": [1, "x"]}]))
             for k in data.draw(st.lists(st.sampled_from(SAME), min_size=1, unique=True))}
    schema = {"$schema": DRAFT7, "type": "object", "properties": props,
              "additionalProperties": data.draw(st.sampled_from([False, {"type": "integer"}, True]))}
    if data.draw(st.booleans()):
        schema["required"] = data.draw(st.lists(st.sampled_from(list(props)), min_size=1, unique=True))
    defeated = dict(schema, allOf=[{}])
    value = st.one_of(st.integers(0, 2), st.sampled_from(["x", "a b", ""]), st.none())
    docs = data.draw(st.lists(st.dictionaries(st.sampled_from(SAME), value, max_size=len(SAME)),
                              min_size=1, max_size=8))
    validator = jsonschema.Draft7Validator(schema)
    rows = conn.execute(
        "SELECT pipeline.jsonb_matches_schema(%s::json, d), pipeline.jsonb_matches_schema(%s::json, d), "
        "pipeline.jsonschema_validation_errors(%s::json, d::json), "
        "pipeline.jsonschema_validation_errors(%s::json, d::json) "
        "FROM unnest(%s::jsonb[]) WITH ORDINALITY AS u(d, i) ORDER BY i",
        (json.dumps(schema), json.dumps(defeated), json.dumps(schema), json.dumps(defeated),
         [Jsonb(d) for d in docs])).fetchall()
    for d, (ok, ok_defeated, errs, errs_defeated) in zip(docs, rows):
        ctx = f"\nschema: {json.dumps(schema)}\ndoc: {json.dumps(d)}"
        assert ok == validator.is_valid(d), "disagrees with Python jsonschema" + ctx
        assert ok == ok_defeated, "disagrees with the walk's shapes defeated" + ctx
        assert (not errs) == ok, "errors() disagrees with the verdict" + ctx
        assert errs == errs_defeated, "errors() differ from the walk's shapes defeated" + ctx


@pytest.mark.parametrize("additional", [False, True, {"type": "integer"}])
def test_property_lookup_checks_every_key(conn, additional):
    """Every key of one length is looked up: one wrong value, at each key in turn, fails."""
    schema = {"type": "object", "properties": {k: {"type": "integer"} for k in SAME},
              "additionalProperties": additional}
    docs = [{k: 0 for k in SAME}] + [{k: ("x" if k == bad else 0) for k in SAME} for bad in SAME]
    rows = conn.execute("SELECT pipeline.jsonb_matches_schema(%s::json, d) "
                        "FROM unnest(%s::jsonb[]) WITH ORDINALITY AS u(d, i) ORDER BY i",
                        (json.dumps(schema), [Jsonb(d) for d in docs])).fetchall()
    assert [r[0] for r in rows] == [True] + [False] * len(SAME)


ODD = [[1], [1, 2, 3], [1, "x"], ["x", 1], [True, 1], [1, None], [[1], 2], [1, {"a": 1}], "x", 1, None,
       {"a": [1, 2]}, [], ["a", "b"], [1.5, -2], [10**20, 0.5]]


@st.composite
def pairs_doc(draw):
    """An array of number pairs (long enough to cross jsonb's stored offsets), one element odd at times."""
    n = draw(st.integers(0, 80))
    doc = [[draw(st.sampled_from([0, 1, -1.5, 2.25, 10**8])), draw(st.sampled_from([0, 3, 0.5, -7]))]
           for _ in range(n)]
    for _ in range(draw(st.integers(0, 2))):
        if doc:
            doc[draw(st.integers(0, n - 1))] = draw(st.sampled_from(ODD))
    return doc


@settings(**SETTINGS)
@given(st.data())
def test_pairs_keep_verdicts(conn, data):
    """Arrays of [lon, lat] positions under a type-only items schema: pairs decided in a loop of their own."""
    position = {"type": "array", "items": {"type": data.draw(st.sampled_from(["number", "integer", "string"]))}}
    for kw in data.draw(st.lists(st.sampled_from(["minItems", "maxItems"]), unique=True)):
        position[kw] = data.draw(st.integers(1, 3))
    schema = {"$schema": DRAFT7, "type": "array", "items": position}
    docs = data.draw(st.lists(pairs_doc(), min_size=1, max_size=6))
    validator = jsonschema.Draft7Validator(schema)
    rows = conn.execute(
        "SELECT pipeline.jsonb_matches_schema(%s::json, d), pipeline.jsonschema_validation_errors(%s::json, d::json) "
        "FROM unnest(%s::jsonb[]) WITH ORDINALITY AS u(d, i) ORDER BY i",
        (json.dumps(schema), json.dumps(schema), [Jsonb(d) for d in docs])).fetchall()
    for d, (ok, errs) in zip(docs, rows):
        ctx = f"\nschema: {json.dumps(schema)}\ndoc: {json.dumps(d)}"
        assert ok == validator.is_valid(d), "disagrees with Python jsonschema" + ctx
        assert (not errs) == ok, "errors() disagrees with the verdict" + ctx


@st.composite
def tried_schema(draw):
    """A oneOf/anyOf/not/if over "$ref"s to object and array schemas, some refs with a sibling keyword
    (2020-12: a keyword beside "$ref" applies)."""
    defs = {"o": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"pattern": "^\\S*$"}},
                  "required": ["a"], "additionalProperties": draw(st.booleans())},
            "l": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}, "maxItems": 2},
            "chain": {"$ref": "#/$defs/o"}}
    refs = [{"$ref": "#/$defs/" + draw(st.sampled_from(["o", "l", "chain"]))} for _ in range(2)]
    for r in refs:
        if draw(st.booleans()):  # not $ref-only: the generic walk
            r.update(draw(st.sampled_from([{"minProperties": 2}, {"maxProperties": 1}, {"required": ["b"]}])))
    kw = draw(st.sampled_from(["oneOf", "anyOf", "not", "if"]))
    body = {"not": refs[0]} if kw == "not" else \
        {"if": refs[0], "then": {"required": ["b"]}, "else": {"type": "array"}} if kw == "if" else {kw: refs}
    return dict(body, **{"$schema": DRAFT2020, "$defs": defs})


tried_docs = st.one_of(
    st.dictionaries(st.sampled_from(["a", "b", "c"]), st.one_of(st.integers(0, 2), st.sampled_from(["x y", "xy"]))),
    st.lists(st.sampled_from(["ab", "a b", 1]), max_size=3), st.integers(0, 2))


@settings(**SETTINGS)
@given(tried_schema(), st.lists(tried_docs, min_size=1, max_size=8))
def test_tries_past_ref_hops_keep_verdicts(conn, schema, docs):
    """Subschemas tried in yes/no mode go past $ref-only hops to the walk's shapes."""
    validator = jsonschema.Draft202012Validator(schema)
    rows = conn.execute(
        "SELECT pipeline.jsonb_matches_schema(%s::json, d), pipeline.jsonschema_validation_errors(%s::json, d::json) "
        "FROM unnest(%s::jsonb[]) WITH ORDINALITY AS u(d, i) ORDER BY i",
        (json.dumps(schema), json.dumps(schema), [Jsonb(d) for d in docs])).fetchall()
    for d, (ok, errs) in zip(docs, rows):
        ctx = f"\nschema: {json.dumps(schema)}\ndoc: {json.dumps(d)}"
        assert ok == validator.is_valid(d), "disagrees with Python jsonschema" + ctx
        assert (not errs) == ok, "errors() disagrees with the verdict" + ctx


@settings(**SETTINGS)
@given(st.sampled_from(["integer", "number", "string", ["integer", "null"], ["string", "integer"]]),
       st.lists(st.lists(st.sampled_from([0, 1, -1, 1.0, -0.5, 2.5, 10**20, 1e20, 123456789012, -7.0, "1", None]),
                         max_size=40), min_size=1, max_size=6))
def test_integral_items_in_place(conn, typ, docs):
    """Arrays of ids under "integer": integral numbers read in place, the rest by the general check."""
    schema = {"$schema": DRAFT7, "type": "array", "items": {"type": typ}}
    validator = jsonschema.Draft7Validator(schema)
    rows = conn.execute("SELECT pipeline.jsonb_matches_schema(%s::json, d) "
                        "FROM unnest(%s::jsonb[]) WITH ORDINALITY AS u(d, i) ORDER BY i",
                        (json.dumps(schema), [Jsonb(d) for d in docs])).fetchall()
    assert [r[0] for r in rows] == [validator.is_valid(d) for d in docs], f"{typ}: {docs}"
