"""The validator under hostile schemas and documents.

- Deep documents and schemas under a small max_stack_depth stop with 54001
  through every entry point (validate, errors, the compat functions, the
  trigger, dry runs, profile): the yes/no walk checks the stack only once it
  has moved 32 kB, and must still stop in time.
- "$ref"-only chains are collapsed at compile time: verdicts through chains
  (with $dynamicRef/$recursiveRef scopes, unevaluated*, resources of other
  drafts, $id-changed bases, anchors, boolean targets) agree with Python's
  jsonschema (or, for $recursiveRef, where jsonschema 4.10 resolves wrongly,
  with the same schema written without the chain), and errors() agrees with
  validate().
- Giant schemas (the 2020-12 metaschema, 5,000 properties, 10,000 enum
  values, long strings) agree with Python's jsonschema.
"""

import json

import psycopg
import pytest
from jsonschema import validators

D20 = "https://json-schema.org/draft/2020-12/schema"
D19 = "https://json-schema.org/draft/2019-09/schema"
D7 = "http://json-schema.org/draft-07/schema#"


def nest_array(n):
    return "[" * n + "]" * n


def nest_object(n):
    return '{"a":' * n + "1" + "}" * n


DEEP_SCHEMAS = {
    "hv_any": {},
    "hv_arr": {"type": "array", "items": {"$ref": "#"}},
    "hv_obj": {"type": "object", "properties": {"a": {"$ref": "#"}}},
    "hv_obj_chain": {"$defs": {"n": {"type": "object", "properties": {"a": {"$ref": "#/$defs/m"}}},
                               "m": {"$ref": "#/$defs/k"}, "k": {"$ref": "#/$defs/n"}},
                     "$ref": "#/$defs/n"},
    "hv_arr_chain": {"$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/m"}}, "m": {"$ref": "#/$defs/n"}},
                     "type": "array", "items": {"$ref": "#/$defs/n"}},
    "hv_additional": {"type": "object", "additionalProperties": {"$ref": "#"}},
    "hv_uneval": {"type": "object", "properties": {"a": {"$ref": "#"}}, "unevaluatedProperties": False},
    "hv_dynamic": {"$schema": D20, "$dynamicAnchor": "n", "type": ["object", "integer"],
                   "properties": {"a": {"$dynamicRef": "#n"}}},
    "hv_anyof": {"anyOf": [{"type": "integer"}, {"type": "object", "properties": {"a": {"$ref": "#"}}}]},
}


def outcome(conn, sql, *args):
    try:
        conn.execute(sql, args).fetchone()
        return "ok"
    except psycopg.Error as e:
        return e.sqlstate


@pytest.fixture(scope="module")
def deep(conn):
    """Deep documents in a table (parsed under a high limit), the pipelines defined."""
    for name, schema in DEEP_SCHEMAS.items():
        conn.execute("SELECT pipeline.define(%s, %s::jsonb)", (name, json.dumps({"schema": schema})))
    conn.execute("SET max_stack_depth = '7MB'")
    conn.execute("CREATE TABLE hv_docs (k text, d jsonb)")
    conn.execute("INSERT INTO hv_docs VALUES ('arr', %s::jsonb), ('obj', %s::jsonb)",
                 (nest_array(20000), nest_object(20000)))
    conn.execute("RESET max_stack_depth")
    return conn


@pytest.mark.parametrize("depth", ["100kB", "256kB", "2MB"])
def test_deep_documents_stop_at_the_stack_limit(deep, depth):
    conn = deep
    conn.execute(f"SET max_stack_depth = '{depth}'")
    try:
        for name, schema in DEEP_SCHEMAS.items():
            for kind in ("arr", "obj"):
                for call, arg in (("pipeline.validate(d, %s)", name), ("pipeline.errors(d, %s)", name),
                                  ("pipeline.errors(d, %s, 'basic')", name),
                                  ("pipeline.jsonb_matches_schema(%s::json, d)", json.dumps(schema)),
                                  ("pipeline.jsonschema_validation_errors(%s::json, d::json)", json.dumps(schema))):
                    got = outcome(conn, f"SELECT {call} FROM hv_docs WHERE k = %s", arg, kind)
                    assert got in ("ok", "54001"), (depth, name, kind, call, got)
                # a recursive schema walked to the bottom of a deep document of its kind
                if depth != "2MB" and name in ("hv_arr", "hv_arr_chain") and kind == "arr" or \
                        name in ("hv_obj", "hv_obj_chain", "hv_additional", "hv_uneval", "hv_anyof", "hv_dynamic") and kind == "obj":
                    assert outcome(conn, "SELECT pipeline.validate(d, %s) FROM hv_docs WHERE k = %s", name, kind) == "54001"
    finally:
        conn.execute("RESET max_stack_depth")
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_deep_documents_through_trigger_dry_run_and_profile(deep):
    conn = deep
    conn.execute("CREATE TABLE hv_rows (doc jsonb)")
    conn.execute("SELECT pipeline.attach('hv_rows', 'hv_obj_chain', 'doc')")
    conn.execute("SET max_stack_depth = '100kB'")
    try:
        assert outcome(conn, "INSERT INTO hv_rows SELECT d FROM hv_docs WHERE k = 'obj'") == "54001"
        assert outcome(conn, "SELECT * FROM pipeline.test('hv_obj_chain', %s::jsonb, 'hv_docs', 'd')",
                       json.dumps({"schema": DEEP_SCHEMAS["hv_obj_chain"]})) in ("ok", "54001")
        assert outcome(conn, "SELECT pipeline.profile(d) FROM hv_docs") in ("ok", "54001")
    finally:
        conn.execute("RESET max_stack_depth")
    assert conn.execute("SELECT count(*) FROM hv_rows").fetchone() == (0,)


@pytest.mark.parametrize("kind", ["allOf", "not", "ref"])
def test_deep_schemas_stop_at_the_stack_limit(conn, kind):
    n = 20000
    if kind == "allOf":
        text = '{"allOf": [' * n + '{"type": "integer"}' + "]}" * n
    elif kind == "not":
        text = '{"not": ' * n + '{"type": "integer"}' + "}" * n
    else:
        text = json.dumps({"$defs": {f"d{i}": {"$ref": f"#/$defs/d{i + 1}"} for i in range(n)} | {f"d{n}": {"type": "integer"}},
                           "properties": {"a": {"$ref": "#/$defs/d0"}}, "items": {"$ref": "#/$defs/d0"}})
    conn.execute("SET max_stack_depth = '7MB'")
    conn.execute("DROP TABLE IF EXISTS hv_schema")
    conn.execute("CREATE TABLE hv_schema AS SELECT %s::jsonb AS s", (text,))
    for depth in ("100kB", "256kB", "2MB"):
        conn.execute(f"SET max_stack_depth = '{depth}'")
        try:
            for sql in ("SELECT pipeline.define('hv_deep_schema', jsonb_build_object('schema', s)) FROM hv_schema",
                        "SELECT pipeline.jsonb_matches_schema(s::json, '{\"a\": 1}') FROM hv_schema",
                        "SELECT pipeline.jsonb_matches_schema(s::json, '[1, \"x\"]') FROM hv_schema"):
                assert outcome(conn, sql) in ("ok", "54001", "22023"), (kind, depth, sql)
        finally:
            conn.execute("RESET max_stack_depth")
    assert conn.execute("SELECT 1").fetchone() == (1,)


CHAINS = {
    "hv_dyn_chain": {
        "$schema": D20, "$id": "http://ex.com/strict", "$dynamicAnchor": "node",
        "$ref": "http://ex.com/tree", "unevaluatedProperties": False,
        "$defs": {"tree": {"$id": "http://ex.com/tree", "$dynamicAnchor": "node", "type": "object",
                           "properties": {"data": True, "kids": {"type": "array", "items": {"$ref": "#/$defs/c1"}}},
                           "$defs": {"c1": {"$ref": "#/$defs/c2"}, "c2": {"$ref": "#/$defs/c3"},
                                     "c3": {"$dynamicRef": "#node"}}}}},
    "hv_uneval_chain": {
        "$schema": D20, "properties": {"a": {"$ref": "#/$defs/c1"}, "b": {"$ref": "#/$defs/o1"}},
        "$ref": "#/$defs/r1", "unevaluatedProperties": False,
        "$defs": {"c1": {"$ref": "#/$defs/c2"}, "c2": {"$ref": "#/$defs/c3"}, "c3": {"type": "integer"},
                  "r1": {"$ref": "#/$defs/r2"}, "r2": {"properties": {"c": {"$ref": "#/$defs/c1"}}},
                  "o1": {"$ref": "#/$defs/o2"},
                  "o2": {"type": "object", "properties": {"x": {"$ref": "#/$defs/c1"}}, "unevaluatedProperties": False}}},
    "hv_uneval_items_chain": {
        "$schema": D20, "prefixItems": [{"$ref": "#/$defs/c1"}], "$ref": "#/$defs/r1", "unevaluatedItems": False,
        "$defs": {"c1": {"$ref": "#/$defs/c2"}, "c2": {"type": "integer"}, "r1": {"$ref": "#/$defs/r2"},
                  "r2": {"contains": {"$ref": "#/$defs/c1"}}}},
    "hv_d7_siblings": {
        "$schema": D7, "properties": {"a": {"$ref": "#/definitions/c1", "type": "string"}, "b": {"$ref": "#/definitions/c1"}},
        "definitions": {"c1": {"$ref": "#/definitions/c2", "maximum": 3}, "c2": {"type": "integer"}}},
    "hv_mixed_drafts": {
        "$schema": D20, "properties": {"a": {"$ref": "http://ex.com/d7"}, "b": {"$ref": "#/$defs/c1"}},
        "additionalProperties": {"$ref": "http://ex.com/d19"},
        "$defs": {"c1": {"$ref": "http://ex.com/d7"},
                  "d7": {"$schema": D7, "$id": "http://ex.com/d7", "allOf": [{"$ref": "#/definitions/x", "minimum": 100}],
                         "definitions": {"x": {"$ref": "#/definitions/y", "maximum": 5}, "y": {"type": "integer"}}},
                  "d19": {"$schema": D19, "$id": "http://ex.com/d19", "$ref": "#/$defs/x", "minimum": 2,
                          "$defs": {"x": {"$ref": "#/$defs/y"}, "y": {"type": "integer"}}}}},
    "hv_anchor_chain": {
        "$schema": D20, "type": "object", "additionalProperties": {"$ref": "#a1"},
        "$defs": {"a1": {"$anchor": "a1", "$ref": "#a2"}, "a2": {"$anchor": "a2", "$ref": "#/$defs/a3"},
                  "a3": {"type": ["object", "integer"], "additionalProperties": {"$ref": "#a1"}}}},
    "hv_bool_end": {
        "$schema": D20, "properties": {"a": {"$ref": "#/$defs/f1"}, "b": {"$ref": "#/$defs/t1"}},
        "items": {"$ref": "#/$defs/f1"},
        "$defs": {"f1": {"$ref": "#/$defs/f2"}, "f2": False, "t1": {"$ref": "#/$defs/t2"}, "t2": True}},
    "hv_not_chain": {
        "$schema": D20, "properties": {"a": {"not": {"$ref": "#/$defs/c1"}}},
        "$defs": {"c1": {"$ref": "#/$defs/c2"}, "c2": {"not": {"$ref": "#/$defs/c3"}}, "c3": {"type": "string"}}},
}

# $recursiveRef: jsonschema 4.10 resolves it against the wrong resource, so
# the chained schema is compared with the same schema without the chain
RECURSIVE = {
    True: {"$schema": D19, "$id": "http://ex.com/strict19", "$recursiveAnchor": True,
           "$ref": "http://ex.com/tree19", "unevaluatedProperties": False,
           "$defs": {"tree": {"$id": "http://ex.com/tree19", "$recursiveAnchor": True, "type": "object",
                              "properties": {"data": True, "kids": {"type": "array", "items": {"$ref": "#/$defs/c1"}}},
                              "$defs": {"c1": {"$ref": "#/$defs/c2"}, "c2": {"$recursiveRef": "#"}}}}},
    False: {"$schema": D19, "$id": "http://ex.com/strict19", "$recursiveAnchor": True,
            "$ref": "http://ex.com/tree19", "unevaluatedProperties": False,
            "$defs": {"tree": {"$id": "http://ex.com/tree19", "$recursiveAnchor": True, "type": "object",
                               "properties": {"data": True, "kids": {"type": "array", "items": {"$recursiveRef": "#"}}}}}},
}


def documents():
    vals = [1, 2, 7, 150, "s", None, True, [], [1], [1, "x"], ["x", 1], {}, {"x": 1}, {"x": "s"},
            {"y": 1}, {"x": 1, "z": 2}]
    out = list(vals)
    for k in ["a", "b", "c", "d", "data", "kids", "x"]:
        out += [{k: v} for v in vals]
    out += [{"data": 1, "kids": [{"data": 2}]}, {"data": 1, "kids": [{"data": 2, "extra": 1}]},
            {"kids": [{"kids": [{"extra": 1}]}]}, {"kids": [{"kids": [{}]}]}, {"kids": [1]},
            {"a": 1, "b": {"x": 2}}, {"a": 1, "b": {"x": 2, "y": 3}}, {"a": 1, "c": 5}, {"a": 1, "c": "x"},
            [1, 2], [1, "x"], ["x"], [[1, [2]]], {"a": [1, [2, [3]]]}, {"a": {"b": {"c": 1}}},
            {"q": {"q": {"q": "s"}}}, {"q": {"q": 1}}]
    return out


def pg_verdicts(conn, name, schema, doc):
    d = json.dumps(doc)
    return conn.execute(
        "SELECT pipeline.validate(%s::jsonb, %s), pipeline.errors(%s::jsonb, %s) = '[]',"
        " pipeline.jsonb_matches_schema(%s::json, %s::jsonb)",
        (d, name, d, name, json.dumps(schema), d)).fetchone()


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_ref_chains_agree_with_jsonschema(conn, name):
    schema = CHAINS[name]
    conn.execute("SELECT pipeline.define(%s, %s::jsonb)", (name, json.dumps({"schema": schema})))
    check = validators.validator_for(schema)(schema)
    for doc in documents():
        expected = check.is_valid(doc)
        assert pg_verdicts(conn, name, schema, doc) == (expected,) * 3, (name, doc)


def test_recursive_ref_chain_same_as_without(conn):
    for chained, schema in RECURSIVE.items():
        conn.execute("SELECT pipeline.define(%s, %s::jsonb)", (f"hv_rec_{chained}", json.dumps({"schema": schema})))
    for doc in documents():
        a = pg_verdicts(conn, "hv_rec_True", RECURSIVE[True], doc)
        b = pg_verdicts(conn, "hv_rec_False", RECURSIVE[False], doc)
        assert a == b and len(set(a)) == 1, doc
    # the dynamic scope reaches the outer resource through the chain
    assert pg_verdicts(conn, "hv_rec_True", RECURSIVE[True], {"kids": [{"extra": 1}]}) == (False,) * 3
    assert pg_verdicts(conn, "hv_rec_True", RECURSIVE[True], {"kids": [{"data": 1}]}) == (True,) * 3


def test_registered_schema_changed_under_a_chain(conn):
    reg = lambda t: conn.execute(
        "SELECT pipeline.register_schema('http://reg.example/hv', %s::jsonb)",
        (json.dumps({"$ref": "#/$defs/l1", "$defs": {"l1": {"$ref": "#/$defs/l2"}, "l2": {"type": t}}}),))
    reg("integer")
    conn.execute("SELECT pipeline.define('hv_reg', %s::jsonb)", (json.dumps({"schema": {
        "type": "object", "properties": {"x": {"$ref": "#/$defs/c1"}, "y": {"type": "array", "items": {"$ref": "#/$defs/c1"}}},
        "$defs": {"c1": {"$ref": "#/$defs/c2"}, "c2": {"$ref": "http://reg.example/hv"}}}}),))
    q = ("SELECT pipeline.validate('{\"x\": 1, \"y\": [2]}', 'hv_reg'), pipeline.validate('{\"x\": \"s\", \"y\": [\"t\"]}', 'hv_reg'),"
         " pipeline.errors('{\"x\": 1}', 'hv_reg', 'basic') -> 'errors' -> 0 ->> 'absoluteKeywordLocation'")
    assert conn.execute(q).fetchone() == (True, False, None)
    reg("string")
    assert conn.execute(q).fetchone() == (False, True, "http://reg.example/hv#/$defs/l2/type")


BIG_STRING = "x" * 100000


def giant_schemas():
    yield "props", {"type": "object", "properties": {f"p{i}": {"type": "integer" if i % 2 else "string"} for i in range(5000)},
                    "required": [f"p{i}" for i in range(0, 5000, 1000)]}
    yield "enum", {"enum": list(range(10000)) + [f"s{i}" for i in range(1000)] + [BIG_STRING]}
    yield "strings", {"properties": {BIG_STRING[:5000]: {"const": BIG_STRING}, "b": {"pattern": "^" + "a" * 2000 + "$"}}}
    yield "deepish", json.loads('{"items": ' * 300 + '{"type": "integer"}' + "}" * 300)


def giant_documents():
    yield {f"p{i}": i if i % 2 else str(i) for i in range(5000)}
    yield {f"p{i}": i for i in range(5000)}
    yield {f"p{i}": str(i) for i in range(0, 5000, 2)}
    yield 9999
    yield 10000
    yield "s999"
    yield BIG_STRING
    yield {BIG_STRING[:5000]: BIG_STRING}
    yield {BIG_STRING[:5000]: BIG_STRING[1:]}
    yield {"b": "a" * 2000}
    yield {"b": "a" * 1999}
    yield json.loads("[" * 300 + "1" + "]" * 300)
    yield json.loads("[" * 300 + '"x"' + "]" * 300)


def test_giant_schemas_agree_with_jsonschema(conn):
    for name, schema in giant_schemas():
        conn.execute("SELECT pipeline.define(%s, %s::jsonb)", ("hv_giant_" + name, json.dumps({"schema": schema})))
        check = validators.validator_for(schema)(schema)
        for doc in giant_documents():
            assert pg_verdicts(conn, "hv_giant_" + name, schema, doc) == (check.is_valid(doc),) * 3, (name, str(doc)[:80])


def test_metaschema_validates_schemas_like_jsonschema(conn):
    from jsonschema import Draft202012Validator
    meta = Draft202012Validator.META_SCHEMA
    conn.execute("SELECT pipeline.define('hv_meta', %s::jsonb)", (json.dumps({"schema": {"$ref": D20}}),))
    samples = [meta, {}, {"type": "strin"}, {"type": ["string", 1]}, {"properties": {"a": {"minimum": "x"}}},
               {"$defs": {"a": {"items": {"enum": []}}}}, {"allOf": []}, {"allOf": [{"not": {"type": 3}}]},
               {"$ref": 5}, {"required": ["a", "a"]}, {"minLength": -1}, {"minLength": 1.5},
               {"properties": {f"p{i}": {"type": "integer"} for i in range(5000)}},
               {"dependentRequired": {"a": ["b", 1]}}, {"$dynamicAnchor": "x#"}, {"$anchor": "9x"}]
    for doc in samples:
        expected = Draft202012Validator(meta).is_valid(doc)
        got = conn.execute("SELECT pipeline.validate(%s::jsonb, 'hv_meta'), pipeline.errors(%s::jsonb, 'hv_meta') = '[]'",
                           (json.dumps(doc), json.dumps(doc))).fetchone()
        assert got == (expected, expected), str(doc)[:80]
