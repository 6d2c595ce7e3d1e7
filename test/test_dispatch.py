"""The dispatch of discriminated anyOf/oneOf never changes a verdict.

When every branch of an anyOf/oneOf requires one property with a const (or
one-value enum) value, the compiler builds a table on that property and the
validator tries only the branches whose value matches.  Hypothesis builds
such schemas with the awkward cases: branches sharing a const, a missing
discriminator, non-string consts (numbers where 1 equals 1.0, booleans,
null, objects), consts reached through $ref chains and allOf, required
declared apart from the const, instances that are not objects.  Each schema
is checked three ways on the same documents:

* against Python's jsonschema (Draft7Validator);
* against the same schema with the dispatch defeated: one more branch that
  never passes and has no discriminator ({"not": {}}) leaves every verdict
  as it was but makes the compiler try every branch;
* errors() is empty exactly when the document is valid.
"""

import json
import os

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
DRAFT7 = "http://json-schema.org/draft-07/schema#"
KEY = "kind"

# discriminator values: strings (some shared), numbers (1 == 1.0), others
VALUES = ["a", "b", "c", "ab", "", "é", 1, 1.0, 2, 0.5, True, False, None, {"x": 1}, [1]]
values = st.sampled_from(VALUES)
small = st.one_of(st.integers(-2, 2), st.sampled_from(["a", "b", "x"]), st.booleans(), st.none())


@st.composite
def branch(draw, defs, i):
    """One branch requiring KEY with a const value, written one of several ways."""
    v = draw(values)
    const = {"const": v} if draw(st.booleans()) else {"enum": [v]}
    how = draw(st.sampled_from(["inline", "ref-const", "ref-chain", "allof-required", "ref-branch"]))
    other = {"type": draw(st.sampled_from(["integer", "string", "boolean"]))}
    props = {"n": other}
    if how == "ref-const":
        defs[f"c{i}"] = const
        props[KEY] = {"$ref": f"#/definitions/c{i}"}
    elif how == "ref-chain":
        defs[f"c{i}"] = const
        defs[f"r{i}"] = {"$ref": f"#/definitions/c{i}"}
        props[KEY] = {"allOf": [{"$ref": f"#/definitions/r{i}"}]}
    else:
        props[KEY] = const
    required = [KEY] + (["n"] if draw(st.booleans()) else [])
    body = {"type": "object", "properties": props}
    if draw(st.booleans()):
        body["additionalProperties"] = False
    if how == "allof-required":
        b = {"allOf": [body, {"required": required}]}
    else:
        b = dict(body, required=required)
    if how == "ref-branch":
        defs[f"b{i}"] = b
        return {"$ref": f"#/definitions/b{i}"}
    return b


@st.composite
def schemas(draw):
    defs = {}
    n = draw(st.integers(2, 6))
    branches = [draw(branch(defs, i)) for i in range(n)]
    kw = draw(st.sampled_from(["oneOf", "anyOf"]))
    schema = {"$schema": DRAFT7, kw: branches, "definitions": defs}
    return schema, kw


@st.composite
def documents(draw):
    if draw(st.integers(0, 9)) == 0:
        return draw(st.one_of(small, st.lists(small, max_size=2)))
    d = {}
    if draw(st.integers(0, 5)) > 0:
        d[KEY] = draw(values)
    if draw(st.booleans()):
        d["n"] = draw(small)
    if draw(st.integers(0, 4)) == 0:
        d["extra"] = draw(small)
    return d


def defeated(schema, kw):
    """The same schema with one more branch that never passes and has no discriminator."""
    s = dict(schema)
    s[kw] = schema[kw] + [{"not": {}}]
    return s


def verdicts(cur, schema, docs):
    cur.execute("SELECT pipeline.jsonb_matches_schema(%s::json, d), "
                "pipeline.jsonschema_validation_errors(%s::json, d::json) "
                "FROM unnest(%s::jsonb[]) WITH ORDINALITY AS u(d, i) ORDER BY i",
                (json.dumps(schema), json.dumps(schema), [Jsonb(d) for d in docs]))
    return cur.fetchall()


@settings(max_examples=max(20, EXAMPLES), deadline=None, database=None,
          derandomize=os.environ.get("CI") == "true", suppress_health_check=list(HealthCheck))
@given(schemas(), st.lists(documents(), min_size=1, max_size=12))
def test_dispatch_never_changes_a_verdict(conn, case, docs):
    schema, kw = case
    validator = jsonschema.Draft7Validator(schema)
    with conn.cursor() as cur:
        fast = verdicts(cur, schema, docs)
        slow = verdicts(cur, defeated(schema, kw), docs)
    for d, (ok, errs), (ok_slow, _) in zip(docs, fast, slow):
        ctx = f"\nschema: {json.dumps(schema)}\ndoc: {json.dumps(d)}"
        assert ok == validator.is_valid(d), "disagrees with Python jsonschema" + ctx
        assert ok == ok_slow, "dispatch changed the verdict" + ctx
        assert (not errs) == ok, "errors() disagrees with the verdict" + ctx


def test_dispatch_reports_the_matching_branch(conn):
    """On a failing object, errors name the branch its discriminator picks."""
    schema = {"$schema": DRAFT7, "oneOf": [
        {"type": "object", "required": [KEY], "properties": {KEY: {"const": k}, "n": {"type": t}}}
        for k, t in (("a", "integer"), ("b", "string"), ("c", "boolean"))]}
    with conn.cursor() as cur:
        cur.execute("SELECT pipeline.jsonschema_validation_errors(%s::json, %s::json)",
                    (json.dumps(schema), json.dumps({KEY: "b", "n": 1})))
        errs = cur.fetchone()[0]
    # only branch 1 ("b") is reported: the others fail on the discriminator alone
    assert errs == ["/n: expected string, got integer"], errs
