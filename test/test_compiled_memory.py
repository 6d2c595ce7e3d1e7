"""Memory a compiled spec holds for the life of a backend.

Every backend compiles the specs it uses and keeps them: 100 connections
holding a few specs each multiply what one compiled spec takes.  The goal is
at most 1 kB per subschema; the figures are the `pipeline spec` and
`pipeline compiled schema` memory contexts after the first validation, as
bench/run.py's memory section reads them.
"""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from run import big_schema  # noqa: E402


def compiled_bytes(connect, name):
    """Bytes of the compiled spec's contexts in a fresh backend that used it once."""
    c = connect()
    try:
        c.execute("SELECT pipeline.validate('{}'::jsonb, %s)", (name,))
        return c.execute("SELECT sum(total_bytes)::bigint FROM pg_backend_memory_contexts "
                         "WHERE name IN ('pipeline spec', 'pipeline compiled schema')").fetchone()[0]
    finally:
        c.close()


def count_subschemas(schema):
    """Schema objects in a schema without $ref (what the compiler makes a node of)."""
    if not isinstance(schema, dict):
        return 0
    n = 1
    for kw in ("items", "additionalProperties", "not"):
        n += count_subschemas(schema.get(kw))
    for kw in ("properties", "$defs"):
        n += sum(count_subschemas(s) for s in schema.get(kw, {}).values())
    return n


@pytest.fixture(scope="module")
def specs(conn):
    orders = json.loads((ROOT / "bench/specs/orders.json").read_text())
    defined = {"orders_schema": orders["schema"], "big500": big_schema(500),
               "metaschema": {"$ref": "https://json-schema.org/draft/2020-12/schema"}}
    for name, schema in defined.items():
        conn.execute("SELECT pipeline.define(%s, %s::jsonb)", (name, json.dumps({"schema": schema})))
    conn.execute("SELECT pipeline.define('orders', %s::jsonb)", (json.dumps(orders),))
    conn.execute("SELECT pipeline.define('orders_steps', %s::jsonb)",
                 (json.dumps({"transform": orders["transform"]}),))
    return defined


# (spec, bound in bytes): about 1.5x what they take on PostgreSQL 15, 64-bit;
# each took 2x to 5x its bound before the compiled nodes were copied out of
# the compiler's memory.  The orders spec with its 17 transform steps took
# 48 kB, the steps alone 39 kB (their JNode tree, a 1 kB buffer per pointer
# token) before the steps were copied out too.
BOUNDS = [("orders_schema", 16 * 1024), ("big500", 640 * 1024), ("metaschema", 96 * 1024),
          ("orders", 26 * 1024), ("orders_steps", 12 * 1024)]


@pytest.mark.parametrize("name,bound", BOUNDS)
def test_compiled_spec_memory_is_bounded(connect, specs, name, bound):
    assert compiled_bytes(connect, name) <= bound


def test_compiled_memory_per_subschema_under_1kb(connect, specs):
    size = compiled_bytes(connect, "big500")
    assert size / count_subschemas(specs["big500"]) <= 1024
