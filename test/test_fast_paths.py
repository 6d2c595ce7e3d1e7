"""The validator's yes/no shortcuts never change a verdict.

validate() and the compat functions decide some values from their jsonb
JEntries alone (arrays whose items schema is only "type", tuples such as
GeoJSON positions, property values under such schemas), compare integral
bounds on a Numeric's integer part, look object keys up by name length and
count "required" properties in the same pass, and go straight through
schemas that are only a "$ref".  The collecting mode (errors()) keeps the
ordinary walk.  Hypothesis builds schemas and documents in those shapes,
with the awkward numbers (1.0, -0.5, 1e20, 10000, -10000.5) and keys of
equal lengths, and checks each verdict against Python's jsonschema and
against errors() being empty.
"""

import json
import os

import jsonschema
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
DRAFT7 = "http://json-schema.org/draft-07/schema#"
TYPES = ["null", "boolean", "object", "array", "number", "string", "integer"]
# integers, and numbers whose integer part equals a bound below (the fraction decides)
NUMBERS = [0, 1, -1, 1.0, -0.5, 0.5, 1.5, -1.5, 2, 9999, 10000, 10000.5, -10000, -10000.5,
           10**8, 100000000.5, 1e20, -1e20, 123456789.25]
KEYS = ["a", "b", "ab", "ba", "abc", "abd", "key_0001", "key_0002", "long_key_name_1", "long_key_name_2"]

numbers = st.sampled_from(NUMBERS)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.sampled_from(["", "x", "é", "xyz"]))
values = st.recursive(scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.sampled_from(KEYS), kids, max_size=4)), max_leaves=12)


@st.composite
def type_schema(draw):
    t = draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=3, unique=True))
    return {"type": t[0] if len(t) == 1 else t}


@st.composite
def leaf(draw):
    """A schema of a shape the shortcuts take, or one they do not."""
    kind = draw(st.sampled_from(["type", "tuple", "bounds", "enum", "ref"]))
    if kind == "type":
        return draw(type_schema())
    if kind == "tuple":
        s = {"type": draw(st.sampled_from(["array", ["array", "null"]])),
             "items": draw(type_schema())}
        if draw(st.booleans()):
            s["minItems"] = draw(st.integers(0, 3))
        if draw(st.booleans()):
            s["maxItems"] = draw(st.integers(0, 3))
        return s
    if kind == "bounds":
        s = {"type": draw(st.sampled_from(["number", "integer"]))}
        for kw in draw(st.lists(st.sampled_from(["minimum", "maximum", "exclusiveMinimum",
                                                 "exclusiveMaximum"]), max_size=2, unique=True)):
            s[kw] = draw(st.sampled_from([0, 1, -1, 10000, -10000, 0.5, 10**8]))
        return s
    if kind == "enum":
        return {"enum": draw(st.lists(scalars, min_size=1, max_size=4))}
    return {"$ref": "#/definitions/shared"}


@st.composite
def schemas(draw):
    shape = draw(st.sampled_from(["array", "nested", "object"]))
    shared = draw(leaf().filter(lambda s: "$ref" not in s))
    if shape == "array":
        body = {"type": "array", "items": draw(leaf())}
    elif shape == "nested":
        body = {"type": "array", "items": {"type": "array", "minItems": draw(st.integers(0, 2)),
                                           "items": {"type": "array", "items": draw(leaf())}}}
    else:
        props = {k: draw(leaf()) for k in draw(st.lists(st.sampled_from(KEYS), max_size=5, unique=True))}
        body = {"type": "object", "properties": props}
        if props and draw(st.booleans()):
            body["required"] = draw(st.lists(st.sampled_from(list(props)), min_size=1, unique=True))
        elif draw(st.booleans()):
            body["required"] = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=3, unique=True))
        if draw(st.booleans()):
            body["additionalProperties"] = draw(st.one_of(st.booleans(), leaf()))
    return dict(body, **{"$schema": DRAFT7, "definitions": {"shared": shared}})


@st.composite
def documents(draw, schema):
    if schema["type"] == "array" and draw(st.integers(0, 2)) == 0:
        return draw(st.lists(numbers, max_size=6))
    if schema["type"] == "array" and draw(st.booleans()):
        # the GeoJSON shape: arrays of number pairs, now and then something else
        pair = st.one_of(st.tuples(numbers, numbers).map(list), st.tuples(scalars, scalars).map(list), values)
        inner = st.lists(pair, max_size=6)
        return draw(st.lists(inner if "minItems" in schema["items"] else pair, max_size=6))
    if schema["type"] == "object":
        return draw(st.dictionaries(st.sampled_from(KEYS), st.one_of(numbers, values), max_size=6))
    return draw(values)


@settings(max_examples=max(20, EXAMPLES), deadline=None, database=None,
          derandomize=os.environ.get("CI") == "true", suppress_health_check=list(HealthCheck))
@given(st.data())
def test_shortcuts_never_change_a_verdict(conn, data):
    schema = data.draw(schemas())
    docs = data.draw(st.lists(documents(schema), min_size=1, max_size=10))
    validator = jsonschema.Draft7Validator(schema)
    with conn.cursor() as cur:
        cur.execute("SELECT pipeline.jsonb_matches_schema(%s::json, d), "
                    "pipeline.jsonschema_validation_errors(%s::json, d::json) "
                    "FROM unnest(%s::jsonb[]) WITH ORDINALITY AS u(d, i) ORDER BY i",
                    (json.dumps(schema), json.dumps(schema), [Jsonb(d) for d in docs]))
        rows = cur.fetchall()
    for d, (ok, errs) in zip(docs, rows):
        ctx = f"\nschema: {json.dumps(schema)}\ndoc: {json.dumps(d)}"
        assert ok == validator.is_valid(d), "disagrees with Python jsonschema" + ctx
        assert (not errs) == ok, "errors() disagrees with the verdict" + ctx


@settings(max_examples=max(20, EXAMPLES), deadline=None, database=None,
          derandomize=os.environ.get("CI") == "true", suppress_health_check=list(HealthCheck))
@given(st.sampled_from(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]),
       st.sampled_from([0, 1, -1, 10000, -10000, 10**8, 0.5, -1.5]),
       st.sampled_from(["number", "integer"]),
       st.lists(numbers, min_size=1, max_size=12))
def test_bounds_on_integer_parts(conn, kw, bound, typ, nums):
    """Bounds decided on a number's integer part agree where the fraction decides."""
    schema = {"$schema": DRAFT7, "type": "array", "items": {"type": typ, kw: bound}}
    validator = jsonschema.Draft7Validator(schema["items"])
    with conn.cursor() as cur:
        cur.execute("SELECT pipeline.jsonb_matches_schema(%s::json, d) "
                    "FROM unnest(%s::jsonb[]) WITH ORDINALITY AS u(d, i) ORDER BY i",
                    (json.dumps(schema), [Jsonb([n]) for n in nums]))
        got = [r[0] for r in cur.fetchall()]
    assert got == [validator.is_valid(n) for n in nums], f"{kw} {bound} {typ}: {nums}"


# The shapes the yes/no walk takes in one step (SchemaNode.walk): pattern
# and enum leaves (FHIR datatypes), plain objects, arrays of items that need
# a walk.
PATTERNS = ["^a", "b$", "^[a-z]+$", "é", "^\\S*$", "^[ \\r\\n\\t\\S]+$", "^[^\\s]+(\\s[^\\s]+)*$",
            "^[A-Za-z0-9\\-\\.]{1,64}$", "^[0-9]{4}(-(0[1-9]|1[0-2]))?$", "(a|b)c"]
STRINGS = ["", "a", "b", "ab", "ac", "abc", "é", "a b", " a", "a  b", "2024", "2024-13", "2024-12",
           "x" * 70, "a\tb", "bc"]
walk_scalars = st.one_of(st.none(), st.booleans(), numbers, st.sampled_from(STRINGS))
walk_values = st.recursive(walk_scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.sampled_from(KEYS), kids, max_size=4)), max_leaves=14)


@st.composite
def walk_leaf(draw, depth=0, ref=True):
    """A schema of a PL_WALK_* shape, or (if ref) a $ref to one in definitions."""
    kinds = ["pattern", "pattern", "enum", "object", "array"] if depth < 2 else ["pattern", "enum"]
    kind = draw(st.sampled_from(kinds + ["ref"] if ref else kinds))
    if kind == "enum":
        s = {"enum": draw(st.lists(walk_scalars, min_size=1, max_size=5))}
        t = draw(st.sampled_from([None, "string", ["string", "null"], "integer"]))
        return s if t is None else dict(s, type=t)
    if kind == "pattern":
        s = {"pattern": draw(st.sampled_from(PATTERNS))}
        t = draw(st.sampled_from([None, "string", ["string", "null"], ["integer", "array"], "object"]))
        return s if t is None else dict(s, type=t)
    if kind == "ref":
        return {"$ref": "#/definitions/" + draw(st.sampled_from(["p", "o"]))}
    if kind == "array":
        s = {"items": draw(walk_leaf(depth + 1))}
        for kw in draw(st.lists(st.sampled_from(["minItems", "maxItems", "type"]), unique=True)):
            s[kw] = draw(st.sampled_from(["array", ["array", "string"], "object"])) if kw == "type" \
                else draw(st.integers(0, 3))
        return s
    props = {k: draw(walk_leaf(depth + 1)) for k in draw(st.lists(st.sampled_from(KEYS), max_size=4, unique=True))}
    s = {"properties": props}
    if props and draw(st.booleans()):
        s["required"] = draw(st.lists(st.sampled_from(list(props)), min_size=1, unique=True))
    if draw(st.booleans()):
        s["additionalProperties"] = draw(st.one_of(st.booleans(), walk_leaf(depth + 1)))
    if draw(st.booleans()):
        s["type"] = draw(st.sampled_from(["object", ["object", "null"], "array"]))
    return s


@st.composite
def walk_doc(draw, schema, defs, depth=0):
    """A value shaped after schema (its properties' names, its items), now and then anything."""
    if "$ref" in schema and depth < 4:
        schema = defs[schema["$ref"].rsplit("/", 1)[1]]
    if depth >= 4 or draw(st.integers(0, 5)) == 0:
        return draw(walk_values)
    if "properties" in schema:
        names = list(schema["properties"]) + KEYS[:2]
        keys = draw(st.lists(st.sampled_from(names), max_size=5, unique=True))
        return {k: draw(walk_doc(schema["properties"].get(k, {}), defs, depth + 1)) for k in keys}
    if "items" in schema:
        return draw(st.lists(walk_doc(schema["items"], defs, depth + 1), max_size=4))
    return draw(st.one_of(st.sampled_from(STRINGS), walk_scalars))


def defeated(schema):
    """The same schema with every subschema given an "allOf": [{}]: no walk shape applies."""
    if isinstance(schema, list):
        return [defeated(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: (defeated(v) if k in ("items", "additionalProperties") else
               {kk: defeated(vv) for kk, vv in v.items()} if k in ("properties", "definitions") else v)
           for k, v in schema.items()}
    if "oneOf" in schema or "anyOf" in schema:
        out = {k: defeated(v) if k in ("oneOf", "anyOf") else v for k, v in out.items()}
    return dict(out, allOf=[{}]) if "$ref" not in schema else out


@settings(max_examples=max(20, EXAMPLES), deadline=None, database=None,
          derandomize=os.environ.get("CI") == "true", suppress_health_check=list(HealthCheck))
@given(st.data())
def test_walk_shapes_keep_verdicts_and_errors(conn, data):
    """Pattern and enum leaves, plain objects and arrays walked in one step: the verdict
    of validate() is Python jsonschema's and that of the same schema with the
    shapes defeated, and errors() are the same for both (anyOf and oneOf try
    their branches in yes/no mode, so the shapes decide there too)."""
    body = data.draw(walk_leaf())
    if data.draw(st.booleans()):
        body = {data.draw(st.sampled_from(["anyOf", "oneOf"])): [body, data.draw(walk_leaf())]}
    schema = dict(body, **{"$schema": DRAFT7, "definitions": {
        "p": data.draw(walk_leaf(2, ref=False)), "o": data.draw(walk_leaf(1, ref=False))}})
    docs = data.draw(st.lists(walk_doc(body, schema["definitions"]), min_size=1, max_size=8))
    validator = jsonschema.Draft7Validator(schema)
    with conn.cursor() as cur:
        cur.execute("SELECT pipeline.jsonb_matches_schema(%s::json, d), pipeline.jsonb_matches_schema(%s::json, d), "
                    "pipeline.jsonschema_validation_errors(%s::json, d::json), "
                    "pipeline.jsonschema_validation_errors(%s::json, d::json) "
                    "FROM unnest(%s::jsonb[]) WITH ORDINALITY AS u(d, i) ORDER BY i",
                    (json.dumps(schema), json.dumps(defeated(schema)), json.dumps(schema),
                     json.dumps(defeated(schema)), [Jsonb(d) for d in docs]))
        rows = cur.fetchall()
    for d, (ok, ok_defeated, errs, errs_defeated) in zip(docs, rows):
        ctx = f"\nschema: {json.dumps(schema)}\ndoc: {json.dumps(d)}"
        assert ok == validator.is_valid(d), "disagrees with Python jsonschema" + ctx
        assert ok == ok_defeated, "disagrees with the schema whose shapes are defeated" + ctx
        assert (not errs) == ok, "errors() disagrees with the verdict" + ctx
        assert errs == errs_defeated, "errors() differ from the schema whose shapes are defeated" + ctx


DRAFT2020 = "https://json-schema.org/draft/2020-12/schema"


def defeated_2020(schema):
    """2020-12: every subschema, a $ref's too, given an "allOf": [{}] (no walk shape, no
    $ref-only chain to collapse); keywordLocations are unchanged, as allOf: [{}] reports nothing."""
    if isinstance(schema, list):
        return [defeated_2020(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: (defeated_2020(v) if k in ("items", "additionalProperties", "oneOf", "anyOf") else
               {kk: defeated_2020(vv) for kk, vv in v.items()} if k in ("properties", "$defs") else v)
           for k, v in schema.items()}
    return dict(out, allOf=[{}])


@st.composite
def ref_chain_leaf(draw, chains, depth=0):
    """A $ref to the head of a chain, or a walk shape whose subschemas are such $refs."""
    kind = draw(st.sampled_from(["ref", "ref", "object", "array"] if depth < 2 else ["ref"]))
    if kind == "ref":
        return {"$ref": draw(st.sampled_from(chains))}
    if kind == "array":
        return {"type": "array", "items": draw(ref_chain_leaf(chains, depth + 1))}
    props = {k: draw(ref_chain_leaf(chains, depth + 1))
             for k in draw(st.lists(st.sampled_from(KEYS), max_size=4, unique=True))}
    s = {"type": "object", "properties": props}
    if props and draw(st.booleans()):
        s["required"] = draw(st.lists(st.sampled_from(list(props)), min_size=1, unique=True))
    if draw(st.booleans()):
        s["additionalProperties"] = draw(st.one_of(st.booleans(), ref_chain_leaf(chains, depth + 1)))
    return s


@st.composite
def ref_chain_schema(draw):
    """A 2020-12 schema whose properties, items and additionalProperties reach walk shapes
    through chains of $ref-only schemas: in the document, into another resource ($id),
    and, now and then, with a $dynamicRef elsewhere (a scope to keep: the chain stops
    where a $ref enters another resource)."""
    ends = {"p": {"pattern": draw(st.sampled_from(PATTERNS))},
            "e": {"enum": draw(st.lists(walk_scalars, min_size=1, max_size=4))},
            "o": {"type": "object", "properties": {"a": {"$ref": "#/$defs/p"}}, "additionalProperties": False}}
    defs = dict(ends)
    chains = []
    for name in ends:
        head = name
        for k in range(draw(st.integers(1, 3))):
            # now and then a link with a sibling keyword: not $ref-only, the chain stops there
            sibling = draw(st.sampled_from([{}, {"minLength": 2}, {"type": ["string", "array", "null"]}]))
            defs[f"{name}{k}"] = dict(sibling, **{"$ref": f"#/$defs/{head}"})
            head = f"{name}{k}"
        chains.append(f"#/$defs/{head}")
    defs["ext"] = {"$id": "http://example.com/ext", "$defs": {"x": {"$ref": "#/$defs/y"},
                                                              "y": {"pattern": draw(st.sampled_from(PATTERNS))}}}
    defs["via_ext"] = {"$ref": "http://example.com/ext#/$defs/x"}
    chains += ["http://example.com/ext#/$defs/x", "#/$defs/via_ext"]
    body = draw(ref_chain_leaf(chains))
    if draw(st.integers(0, 3)) == 0:
        defs["dyn"] = {"$dynamicAnchor": "node", "type": "object"}
        body = dict(body, **{"$defs": {"d": {"$dynamicRef": "#node"}}})
    return dict(body, **{"$schema": DRAFT2020, "$id": "http://example.com/root", "$defs": dict(body.get("$defs", {}), **defs)})


@st.composite
def ref_chain_doc(draw, schema, depth=0):
    """A value shaped after a ref_chain_schema: its objects' names, arrays, now and then anything."""
    if depth >= 4 or draw(st.integers(0, 5)) == 0:
        return draw(walk_values)
    if "properties" in schema:
        names = list(schema["properties"]) + KEYS[:2]
        keys = draw(st.lists(st.sampled_from(names), max_size=5, unique=True))
        return {k: draw(ref_chain_doc(schema["properties"].get(k, {}), depth + 1)) for k in keys}
    if "items" in schema:
        return draw(st.lists(ref_chain_doc(schema["items"], depth + 1), max_size=4))
    return draw(st.one_of(st.sampled_from(STRINGS), walk_scalars, st.just({"a": "x"}), st.just({"b": 1})))


@settings(max_examples=max(20, EXAMPLES), deadline=None, database=None,
          derandomize=os.environ.get("CI") == "true", suppress_health_check=list(HealthCheck))
@given(st.data())
def test_ref_chains_keep_verdicts_and_errors(conn, data):
    """Properties point at the end of their chain of $ref-only schemas at compile time:
    validate() agrees with Python jsonschema and with the same schema with every
    subschema, $refs included, given an "allOf": [{}] (nothing to collapse), and errors()
    in the 'basic' format, keywordLocation and absoluteKeywordLocation included, are
    the same for both."""
    schema = data.draw(ref_chain_schema())
    docs = data.draw(st.lists(ref_chain_doc(schema), min_size=1, max_size=8))
    validator = jsonschema.Draft202012Validator(schema)
    with conn.cursor() as cur:
        cur.execute("SELECT pipeline.define('ref_chain', %s::jsonb), pipeline.define('ref_chain_defeated', %s::jsonb)",
                    (json.dumps({"schema": schema}), json.dumps({"schema": defeated_2020(schema)})))
        cur.execute("SELECT pipeline.validate(d, 'ref_chain'), pipeline.validate(d, 'ref_chain_defeated'), "
                    "pipeline.errors(d, 'ref_chain', 'basic'), pipeline.errors(d, 'ref_chain_defeated', 'basic') "
                    "FROM unnest(%s::jsonb[]) WITH ORDINALITY AS u(d, i) ORDER BY i", ([Jsonb(d) for d in docs],))
        rows = cur.fetchall()
    for d, (ok, ok_defeated, errs, errs_defeated) in zip(docs, rows):
        ctx = f"\nschema: {json.dumps(schema)}\ndoc: {json.dumps(d)}"
        assert ok == validator.is_valid(d), "disagrees with Python jsonschema" + ctx
        assert ok == ok_defeated, "disagrees with the schema whose $ref chains are defeated" + ctx
        assert errs["valid"] == ok, "errors() disagrees with the verdict" + ctx
        assert errs == errs_defeated, "errors() differ from the schema whose $ref chains are defeated" + ctx


@pytest.mark.parametrize("defs,ref", [
    ({"a": {"$ref": "#/$defs/a"}}, "#/$defs/a"),
    ({"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/c"}, "c": {"$ref": "#/$defs/a"}}, "#/$defs/a"),
    ({}, "#"),
])
def test_ref_only_cycles_are_refused_at_compile_time(conn, defs, ref):
    """A $ref-only schema that points at itself, or a loop of them, reached from a
    property (whose value the yes/no walk sends to the end of the chain): refused when
    defined, not followed forever."""
    schema = {"$schema": DRAFT2020, "type": "object", "properties": {"k": {"$ref": ref}}, "$defs": defs}
    if ref == "#":
        schema = {"$schema": DRAFT2020, "$ref": "#"}
    with conn.cursor() as cur, pytest.raises(psycopg.errors.InvalidParameterValue, match="references itself"):
        cur.execute("SELECT pipeline.define('ref_cycle', %s::jsonb)", (json.dumps({"schema": schema}),))
