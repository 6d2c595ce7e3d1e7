"""pipeline.infer: the schema inferred from a profile accepts every document
that was profiled, and it compiles (pipeline.define accepts it), with formats
annotated and asserted, with and without options."""

import decimal
import json
import os

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from psycopg.types.json import Jsonb

EXAMPLES = int(os.environ.get("INFER_EXAMPLES", "150"))

# numbers near the edges of the profile's float8 statistics: decimals an ulp
# from an integer, integers past 2^53, tiny and huge magnitudes
numbers = st.one_of(
    st.integers(min_value=-20, max_value=20),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.sampled_from(["0.29999999999999999", "2.9999999999999999999", "-0.5", "1.0", "1e2",
                     "9007199254740993", "-9007199254740993", "4503599627370497.5", "1e-7",
                     "123456789012345678901234567890.5"]).map(decimal.Decimal),
    st.decimals(allow_nan=False, allow_infinity=False, places=3,
                min_value=-1000, max_value=1000),
)
strings = st.one_of(
    st.sampled_from(["a", "b", "", "x y", "~", "/", "2024-05-01T13:45:00Z", "2024-05-01",
                     "ann@example.com", "10.0.0.1", "https://example.com/a?b",
                     "123e4567-e89b-12d3-a456-426614174000", "999.1.1.1", "2024-02-30",
                     "a" * 60]),
    st.text(alphabet="ab/~*é 😀", max_size=6),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, strings)
keys = st.one_of(st.sampled_from(["a", "b", "*", "a/b", "~0", "~", "", "é"]),
                 st.text(alphabet="ab*/~", max_size=3))
docs = st.recursive(
    scalars,
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(keys, kids, max_size=4)),
    max_leaves=15,
)


def to_json(v):
    """JSON text, with decimals written exactly (json.dumps would go through float)."""
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, list):
        return "[" + ",".join(to_json(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k) + ":" + to_json(x) for k, x in v.items()) + "}"
    return json.dumps(v)


options = st.one_of(
    st.just({}),
    st.fixed_dictionaries({}, optional={"enum_max": st.integers(min_value=0, max_value=16),
                                        "bounds": st.booleans(), "formats": st.booleans(),
                                        "required": st.booleans()}),
)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          derandomize=os.environ.get("CI") == "true", print_blob=True,
          suppress_health_check=list(HealthCheck))
@given(batch=st.lists(docs, min_size=1, max_size=8), opts=options,
       formats=st.sampled_from(["annotate", "assert"]))
def test_inferred_schema_accepts_every_profiled_document(conn, batch, opts, formats):
    texts = [to_json(d) for d in batch]
    schema = conn.execute(
        "SELECT pipeline.infer(pipeline.profile(d::jsonb), %s) FROM unnest(%s::text[]) d",
        (Jsonb(opts), texts)).fetchone()[0]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    conn.execute("SELECT pipeline.define('inferred', %s)",
                 (Jsonb({"schema": schema, "formats": formats}),))
    rejected = conn.execute(
        "SELECT d, pipeline.errors(d::jsonb, 'inferred') FROM unnest(%s::text[]) d"
        " WHERE NOT pipeline.validate(d::jsonb, 'inferred')", (texts,)).fetchall()
    assert rejected == [], (schema, rejected)


def test_infer_reads_only_profiles(conn):
    import psycopg
    for bad in ['[]', '{"fields": 1}', '{"fields": {"": 1}}', '{"fields": {"": {"types": []}}}',
                '{"fields": {"": {"types": {"string": "x"}}}}',
                '{"fields": {"": {"count": 1, "types": {"string": 1}, "values": [1]}}}']:
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("SELECT pipeline.infer(%s::jsonb)", (bad,))
    for bad in ['[]', '{"enum_max": 17}', '{"enum_max": 1.5}', '{"bounds": 1}', '{"nope": true}']:
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("SELECT pipeline.infer('{\"fields\": {}}', %s::jsonb)", (bad,))
