"""Hostile, differential checks of the validator's fast paths.

Each case is judged by pipeline.jsonb_matches_schema, by the emptiness of
pipeline.jsonschema_validation_errors, by the same schema with its fast
paths defeated (an "allOf": [{}] beside every subschema), and by Python's
jsonschema: all must agree.  Aimed at the accepting-run pattern check
(lengths around the 4-, 8- and 16-byte reads, DEL, control and non-ASCII
bytes), property lookup resuming past matches, the in-place discriminator
scan (missing, non-string, 1 vs 1.0, over 64 pairs), $ref-only hops in
yes/no tries, pairs of one kind checked by their JEntries, integral items
read in place, and (hostile) huge or deep documents.
"""

import json
import os

import jsonschema
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
DRAFT7 = "http://json-schema.org/draft-07/schema#"
DRAFT2020 = "https://json-schema.org/draft/2020-12/schema"
SETTINGS = dict(max_examples=max(20, EXAMPLES), deadline=None, database=None,
                derandomize=os.environ.get("CI") == "true", suppress_health_check=list(HealthCheck))
VALIDATORS = {DRAFT7: jsonschema.Draft7Validator, DRAFT2020: jsonschema.Draft202012Validator}


def defeat(s):
    """s with an "allOf": [{}] beside every subschema (no walk shape, run check or $ref-only hop)
    and a branch that never passes in every oneOf/anyOf (no discriminator)."""
    if isinstance(s, list):
        return [defeat(x) for x in s]
    if not isinstance(s, dict):
        return s
    out = {}
    for k, v in s.items():
        if k in ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas"):
            out[k] = {n: defeat(x) for n, x in v.items()}
        elif k in ("items", "prefixItems", "additionalProperties", "contains", "not", "if", "then",
                   "else", "allOf", "propertyNames", "additionalItems"):
            out[k] = defeat(v)
        elif k in ("anyOf", "oneOf"):
            out[k] = defeat(v) + [{"not": {}}]
        else:
            out[k] = v
    if s:
        out.setdefault("allOf", []).append({})
    return out


def check(conn, schema, docs, python=True, expect=None):
    """All four judges agree on every doc (Python's only where its regex dialect is ECMA's)."""
    # expect: a reference of our own where Python's is wrong (newer jsonschema
    # validators are frozen: their is_valid cannot be swapped)
    is_valid = expect or VALIDATORS[schema["$schema"]](schema).is_valid
    if not python:
        conn.execute("SET pipeline.compat_cache_size = 0")
        conn.execute("SET pipeline.regex_fast_paths = off")
        engine = conn.execute("SELECT pipeline.jsonb_matches_schema(%s::json, d) "
                              "FROM unnest(%s::jsonb[]) WITH ORDINALITY AS u(d, i) ORDER BY i",
                              (json.dumps(schema), [Jsonb(d) for d in docs])).fetchall()
        conn.execute("RESET pipeline.regex_fast_paths")
        conn.execute("RESET pipeline.compat_cache_size")
    conn.execute("SELECT pipeline.define('hostile_fast_paths', %s)", (Jsonb({"schema": schema}),))
    rows = conn.execute(
        "SELECT pipeline.jsonb_matches_schema(%s::json, d), pipeline.jsonb_matches_schema(%s::json, d), "
        "pipeline.jsonschema_validation_errors(%s::json, d::json), "
        "pipeline.validate(d, 'hostile_fast_paths'), pipeline.errors(d, 'hostile_fast_paths') "
        "FROM unnest(%s::jsonb[]) WITH ORDINALITY AS u(d, i) ORDER BY i",
        (json.dumps(schema), json.dumps(defeat(schema)), json.dumps(schema),
         [Jsonb(d) for d in docs])).fetchall()
    for n, (d, (ok, ok_defeated, errs, ok_spec, spec_errs)) in enumerate(zip(docs, rows)):
        ctx = f"\nschema: {json.dumps(schema)}\ndoc: {json.dumps(d)}"
        assert ok == ok_spec and (not spec_errs) == ok, "pipeline.validate/errors disagree" + ctx
        if python:
            assert ok == is_valid(d), "disagrees with Python jsonschema" + ctx
        else:
            assert ok == engine[n][0], "disagrees with PostgreSQL's regex engine" + ctx
        assert ok == ok_defeated, "disagrees with the fast paths defeated" + ctx
        assert (not errs) == ok, "errors() disagrees with the verdict" + ctx


PATTERNS = ["^\\S*$", "^[ -~]+$", "^\\S+$", "\\S*", "\\S+", "^[ -~]*", "[ -~]+$", "^.*$", "^.+$",
            ".", "^[!-~]+$", "^[\\x20-\\x7e]+$", "^[^\\s]*$", "^[ -}]+$", "^[\\S ]+$",
            "^\\S*\\b$", "\\B", "^(?!x)\\S*$", "^(?=\\S)[ -~]*$", "^[^\\x7f]+$", "^[\\s\\S]+$",
            "^[ -~]+|x$", "^(?:\\S|\\s)*$", "^[\\w\\W]+$", "^\\D+$", "^[^a]+$", "^\\S{0,40}$"]
BREAKS = ["\x7f", "\x01", "\x1f", "\t", "\n", "\r", " ", "~", "é", "\u00a0", "\u2028", "😀",
          "\u0080", "\uffff"]


@st.composite
def subject(draw):
    """Printable ASCII of length 0-40, broken at up to two offsets."""
    n = draw(st.integers(0, 40))
    s = [draw(st.sampled_from(["a", "~", " ", "!", "Z", "0"])) for _ in range(n)]
    for _ in range(draw(st.integers(0, 2))):
        if s:
            s[draw(st.integers(0, len(s) - 1))] = draw(st.sampled_from(BREAKS))
    return "".join(s)


@settings(**SETTINGS)
@given(st.sampled_from(PATTERNS), st.lists(subject(), min_size=1, max_size=12), st.booleans())
def test_accepting_runs(conn, pattern, subjects, typed):
    leaf = {"type": "string", "pattern": pattern} if typed else {"pattern": pattern}
    for schema, docs in (({"$schema": DRAFT2020, **leaf}, subjects),
                         ({"$schema": DRAFT7, "properties": {"k": leaf}}, [{"k": s} for s in subjects]),
                         ({"$schema": DRAFT2020, "items": leaf}, [subjects]),
                         ({"$schema": DRAFT7, "additionalProperties": leaf},
                          [{s: s for s in subjects}])):
        check(conn, schema, docs, python=False)


KEYS = ["a", "b", "aa", "ab", "ba", "kind", "kine", "kinc", "kinds", "kin", "type", "zzzz", "k" * 20,
        "é", "zz", "ÿ", "\x7f", "k" * 64, "k" * 65, "j" * 70, ""]
VALUES = [None, 1, 1.0, 1e2, 2, "1", "A", "B", "", [1], {"kind": "A"}, True, 10 ** 30]


@st.composite
def obj(draw, big=True):
    d = {k: draw(st.sampled_from(VALUES)) for k in draw(st.lists(st.sampled_from(KEYS), unique=True))}
    if big and draw(st.integers(0, 4)) == 0:
        n = draw(st.sampled_from([62, 63, 64, 65, 66, 100]))
        d.update({f"p{i:02d}": i for i in range(n - len(d))})
    return d


@pytest.mark.parametrize("n", [65535, 65536, 65537, 70000])
def test_accepting_runs_around_the_chunk(conn, n):
    """Subjects around the automaton's chunk (run check up to it, stepped past it), broken at the end."""
    for pattern in ("^\\S*$", "^[ -~]+$"):
        subjects = ["a" * n, "a" * (n - 1) + "\x7f", "a" * (n - 1) + " ", "a" * (n - 2) + "é", " " + "a" * (n - 1)]
        leaf = {"type": "string", "pattern": pattern}
        check(conn, {"$schema": DRAFT2020, **leaf}, subjects, python=False)
        check(conn, {"$schema": DRAFT2020, "properties": {"k": leaf}}, [{"k": x} for x in subjects], python=False)
        check(conn, {"$schema": DRAFT2020, "items": leaf}, [subjects], python=False)


@settings(**SETTINGS)
@given(st.data())
def test_discriminator_and_lookup(conn, data):
    draft = data.draw(st.sampled_from([DRAFT7, DRAFT2020]))
    consts = data.draw(st.lists(st.sampled_from(["A", "B", 1, 1.0, 2, None, ""]), min_size=1, max_size=4))
    key = data.draw(st.sampled_from(["kind", "a", "k" * 20, "é", "k" * 65]))
    branches = []
    for c in consts:
        props = {key: {"const": c}}
        for k in data.draw(st.lists(st.sampled_from(KEYS), max_size=4, unique=True)):
            props.setdefault(k, data.draw(st.sampled_from([{"type": "integer"}, {"type": "string"},
                                                             {"enum": [1, "A"]}, {"pattern": "^\\S*$"}])))
        b = {"type": "object", "required": [key], "properties": props}
        for k in data.draw(st.lists(st.sampled_from(["type", "required"]), max_size=2, unique=True)):
            del b[k]
        if data.draw(st.integers(0, 3)) == 0:  # the const one step away
            b = data.draw(st.sampled_from([{"allOf": [b]}, {"allOf": [{"required": [key]}, b]}]))
        if data.draw(st.booleans()):
            b["additionalProperties"] = data.draw(st.sampled_from([False, {"type": "integer"}]))
        branches.append(b)
    defs = "$defs" if draft == DRAFT2020 else "definitions"
    use_ref = data.draw(st.booleans())
    if use_ref:
        schema = {"$schema": draft, defs: {f"b{i}": b for i, b in enumerate(branches)},
                  data.draw(st.sampled_from(["oneOf", "anyOf"])):
                  [{"$ref": f"#/{defs}/b{i}"} for i in range(len(branches))]}
    else:
        schema = {"$schema": draft, data.draw(st.sampled_from(["oneOf", "anyOf"])): branches}
    docs = data.draw(st.lists(st.one_of(obj(), st.sampled_from(["A", 1, None, [{key: "A"}]])),
                              min_size=1, max_size=8))
    if data.draw(st.booleans()):
        docs.append({key: consts[0]})
    check(conn, schema, docs)


ITEM = st.one_of(st.sampled_from([1, 2, -3, 1.0, 1e2, 1.5, 10 ** 30, 10 ** 30 + 0.5, 0, -0.0, "x", None, True,
                                  1e300, -1e300, 1e-7, 2.5e-300, 10 ** 1000, -(10 ** 400) - 1]),
                 st.integers(-2 ** 70, 2 ** 70))


@st.composite
def tuple_doc(draw):
    def el():
        k = draw(st.integers(0, 9))
        if k < 6:
            return [draw(ITEM), draw(ITEM)]
        if k == 6:
            return [draw(ITEM) for _ in range(draw(st.sampled_from([0, 1, 3])))]
        if k == 7:
            return [[draw(ITEM), draw(ITEM)], draw(ITEM)]
        return draw(ITEM)
    return [el() for _ in range(draw(st.integers(0, 20)))]


@settings(**SETTINGS)
@given(st.data())
def test_pairs_and_integers(conn, data):
    kind = data.draw(st.sampled_from(["number", "integer", "string", ["integer", "null"], "boolean"]))
    inner = {"type": "array", "items": {"type": kind}}
    for k, lo, hi in ((0, "minItems", [0, 1, 2, 3]), (1, "maxItems", [1, 2, 3])):
        if data.draw(st.booleans()):
            inner[lo] = data.draw(st.sampled_from(hi))
    draft = data.draw(st.sampled_from([DRAFT7, DRAFT2020]))
    if draft == DRAFT2020 and data.draw(st.booleans()):
        inner = {"type": "array", "prefixItems": [{"type": kind}, {"type": kind}],
                 "items": data.draw(st.sampled_from([False, True, {"type": kind}]))}
    top = data.draw(st.sampled_from(["pairs", "ints", "ref"]))
    if top == "pairs":
        schema = {"$schema": draft, "type": "array", "items": inner}
    elif top == "ints":
        schema = {"$schema": draft, "type": "array", "items": {"type": kind}}
    else:
        defs = "$defs" if draft == DRAFT2020 else "definitions"
        schema = {"$schema": draft, defs: {"p": inner}, "type": "array", "items": {"$ref": f"#/{defs}/p"}}
    docs = data.draw(st.lists(tuple_doc(), min_size=1, max_size=6))
    check(conn, schema, docs)


@settings(**SETTINGS)
@given(st.data())
def test_ref_hops_in_tries(conn, data):
    draft = data.draw(st.sampled_from([DRAFT7, DRAFT2020]))
    defs = "$defs" if draft == DRAFT2020 else "definitions"
    target = data.draw(st.sampled_from([
        {"type": "object", "properties": {"kind": {"const": "A"}}, "required": ["kind"]},
        {"type": "array", "items": {"type": "integer"}, "minItems": 1},
        {"type": "integer"}, {"pattern": "^\\S+$"}]))
    sibling = data.draw(st.sampled_from([{}, {"type": "object"}, {"minProperties": 2}, {"maxItems": 1}]))
    schema_defs = {"t": target, "h1": {"$ref": f"#/{defs}/t"}, "h2": dict({"$ref": f"#/{defs}/h1"}, **sibling)}
    ref = {"$ref": f"#/{defs}/" + data.draw(st.sampled_from(["t", "h1", "h2"]))}
    form = data.draw(st.sampled_from(["not", "if", "oneOf", "anyOf", "contains"]))
    if form == "not":
        body = {"not": ref}
    elif form == "if":
        body = {"if": ref, "then": {"minProperties": 1}, "else": {"type": ["array", "string"]}}
    elif form in ("oneOf", "anyOf"):
        body = {form: [ref, {"type": "string"}]}
    else:
        body = {"contains": ref}
        if draft == DRAFT2020:
            for k in ("minContains", "maxContains"):
                if data.draw(st.booleans()):
                    body[k] = data.draw(st.integers(0, 3))
    schema = dict({"$schema": draft, defs: schema_defs}, **body)
    docs = data.draw(st.lists(st.one_of(obj(big=False), tuple_doc(), st.sampled_from(["a b", "ab", 3, 3.0])),
                              min_size=1, max_size=8))
    check(conn, schema, docs)


def test_million_pairs_cancellable(conn):
    """One object of 1e6 pairs under a discriminated oneOf (seconds of work): cancelled by statement_timeout."""
    primes = [1000003, 1000033, 1000037, 1000039, 1000081, 1000099, 1000117, 1000121, 1000133, 1000151]
    slow = {"anyOf": [{"multipleOf": p} for p in primes * 2] + [{"type": ["integer", "string"]}]}
    schema = {"$schema": DRAFT7, "oneOf": [{"properties": {"kind": {"const": "A"}}, "required": ["kind"],
                                            "additionalProperties": slow},
                                           {"properties": {"kind": {"const": "B"}}, "required": ["kind"]}]}
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS big AS SELECT jsonb_object_agg('k' || i, i) "
                 "|| '{\"kind\": \"A\"}' AS d FROM generate_series(1, 1000000) i")
    conn.execute("SET statement_timeout = '300ms'")
    try:
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT pipeline.jsonb_matches_schema(%s::json, d) FROM big", (json.dumps(schema),))
    finally:
        conn.execute("RESET statement_timeout")


DEEP_SCHEMAS = [
    {"$defs": {"n": {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"$ref": "#/$defs/n"}}]}},
     "$ref": "#/$defs/n"},
    {"$defs": {"o": {"not": {"not": {"properties": {"a": {"$ref": "#/$defs/o"}}}}}}, "$ref": "#/$defs/o"},
    {"$defs": {"o": {"type": "object", "properties": {"a": {"$ref": "#/$defs/h"}}}, "h": {"$ref": "#/$defs/o"}},
     "oneOf": [{"$ref": "#/$defs/h"}, {"type": "string"}]},
    {"$defs": {"a": {"type": "array", "items": {"$ref": "#/$defs/h"}}, "h": {"$ref": "#/$defs/a"}},
     "contains": {"$ref": "#/$defs/h"}},
    {"$defs": {"a": {"type": "array", "items": {"$ref": "#/$defs/h"}}, "h": {"$ref": "#/$defs/a"}},
     "if": {"$ref": "#/$defs/h"}, "then": True},
    {"$defs": {"o": {"type": "object", "additionalProperties": {"$ref": "#/$defs/o"}}}, "not": {"$ref": "#/$defs/o"}},
    {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
]


@pytest.mark.parametrize("depth", [3000, 20000, 45000])
def test_deep_nesting_never_crashes(conn, depth):
    """Deep arrays, pairs and objects under $ref-only hops in tries, max_stack_depth at its highest:
    a verdict (the same with the fast paths defeated) or 54001, never a crash."""
    limit = conn.execute("SELECT setting FROM pg_settings WHERE name = 'max_stack_depth'").fetchone()[0]
    for kb in (7680, 7600, 7000, 6000):
        try:
            conn.execute(f"SET max_stack_depth = '{kb}kB'")
            break
        except psycopg.errors.InvalidParameterValue:
            pass
    try:
        for schema in DEEP_SCHEMAS:
            schema = dict(schema, **{"$schema": DRAFT2020})
            for doc in ("[" * depth + "1" + "]" * depth, '{"a":' * depth + "1" + "}" * depth,
                        "[" * depth + "[1,2]" + "]" * depth):
                try:
                    ok, ok_defeated = conn.execute(
                        "SELECT pipeline.jsonb_matches_schema(%s::json, d), pipeline.jsonb_matches_schema(%s::json, d) "
                        "FROM (SELECT %s::jsonb AS d) s", (json.dumps(schema), json.dumps(defeat(schema)), doc)).fetchone()
                    assert ok == ok_defeated, f"depth {depth}: {json.dumps(schema)}"
                except psycopg.errors.StatementTooComplex:
                    pass
    finally:
        conn.execute(f"SET max_stack_depth = '{limit}kB'")
    assert conn.execute("SELECT 1").fetchone() == (1,)


TREE = {"$id": "https://example.com/tree", "$dynamicAnchor": "node", "type": "object",
        "properties": {"data": True, "children": {"type": "array", "items": {"$dynamicRef": "#node"}}}}
STRICT = {"$id": "https://example.com/strict", "$dynamicAnchor": "node", "$ref": "tree",
          "unevaluatedProperties": False}


@st.composite
def tree(draw, depth=3):
    d = {}
    if draw(st.booleans()):
        d["data"] = draw(st.sampled_from([1, "x", None]))
    if depth and draw(st.booleans()):
        d["children"] = draw(st.lists(tree(depth - 1), max_size=3))
    if draw(st.integers(0, 5)) == 0:
        d["extra"] = 1
    return d


@settings(**SETTINGS)
@given(st.sampled_from(["oneOf", "anyOf", "not", "if", "contains", "ref"]),
       st.lists(tree(), min_size=1, max_size=6))
def test_dynamic_refs_in_tries(conn, form, docs):
    """$ref-only hops through a resource with a $dynamicAnchor are not skipped in tries."""
    ref = {"$ref": "https://example.com/strict"}
    body = {"oneOf": {"oneOf": [ref, {"type": "string"}]}, "anyOf": {"anyOf": [{"type": "string"}, ref]},
            "not": {"not": ref}, "if": {"if": ref, "then": {"required": ["data"]}},
            "contains": {"type": "array", "contains": ref}, "ref": ref}[form]
    schema = dict({"$schema": DRAFT2020, "$defs": {"strict": STRICT, "tree": TREE}}, **body)
    def strict(d):  # what the tree through "strict" accepts (Python's $dynamicRef resolves to "tree")
        return set(d) <= {"data", "children"} and all(strict(c) for c in d.get("children", []))

    expect = {"oneOf": strict, "anyOf": strict, "not": lambda d: not strict(d), "ref": strict,
              "if": lambda d: not strict(d) or "data" in d, "contains": lambda ds: any(map(strict, ds))}[form]
    if form == "contains":
        docs = [docs]
    check(conn, schema, docs, expect=expect)


@settings(**SETTINGS)
@given(st.data())
def test_ref_hops_beside_unevaluated(conn, data):
    """Tries of $ref-only hops where annotations are needed (unevaluatedProperties beside them)."""
    target = {"properties": {"kind": {"const": "A"}, "n": {"type": "integer"}}}
    schema = {"$schema": DRAFT2020, "$defs": {"t": target, "h": {"$ref": "#/$defs/t"}},
              data.draw(st.sampled_from(["oneOf", "anyOf", "allOf"])): [{"$ref": "#/$defs/h"}],
              "unevaluatedProperties": False}
    if data.draw(st.booleans()):
        schema["if"] = {"$ref": "#/$defs/h"}
        schema["then"] = True
    check(conn, schema, data.draw(st.lists(obj(big=False), min_size=1, max_size=8)))
