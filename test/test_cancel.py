"""Cancellation from another session: pg_cancel_backend stops a long
validation promptly with 57014 (query_canceled), and the cancelled session
goes on working.

Each case is a statement that would run for minutes or more: a validation
over many documents (the rows of one statement), and pathological schemas and
documents that make one validation exponential (a $ref DAG that doubles the
work per level; a oneOf of two recursive branches over a deep document, which
visits every branch at every level).  The statement must still be running when
the cancel arrives (else the case tests nothing) and must end within
PROMPT_SECONDS of it.  COPY and replay cancellation are tested elsewhere.
"""

import time

import pytest
from psycopg.types.json import Jsonb

from background import run_in_thread, wait_until_active
from fuzz_server import ServerWatch

PROMPT_SECONDS = 2.0    # from pg_cancel_backend to the error in the client
RUNNING_SECONDS = 0.5   # how long a statement runs before it is cancelled

# 40 levels, each an allOf of the next level twice: 2^40 nodes for any instance
EXPO = {"$ref": "#/$defs/d0",
        "$defs": {**{f"d{i}": {"allOf": [{"$ref": f"#/$defs/d{i + 1}"}] * 2} for i in range(40)},
                  "d40": {"type": "integer"}}}
# both branches of the oneOf must be tried at every level of an array: 2^depth
ONEOF = {"$ref": "#/$defs/t",
         "$defs": {"t": {"oneOf": [{"items": {"$ref": "#/$defs/t"}}] * 2}}}
DEEP = "(repeat('[', 60) || repeat(']', 60))::jsonb"
MANY = "generate_series(1, 2000000000) g"

CASES = {
    "validate over many documents":
        f"SELECT count(*) FROM {MANY} WHERE pipeline.validate(jsonb_build_object('n', g), 'many')",
    "errors over many documents":
        f"SELECT count(*) FROM {MANY} WHERE pipeline.errors(jsonb_build_object('n', -g), 'many') <> '[]'",
    "transform over many documents":
        f"SELECT count(pipeline.transform(jsonb_build_object('n', g), 'many')) FROM {MANY}",
    "validate, exponential $ref DAG": "SELECT pipeline.validate('1', 'expo')",
    "errors, exponential $ref DAG": "SELECT pipeline.errors('\"x\"', 'expo')",
    "process, exponential $ref DAG": "SELECT pipeline.process('1', 'expo')",
    "compat function, exponential $ref DAG":
        "SELECT pipeline.jsonb_matches_schema((spec->'schema')::json, '1') FROM pipeline.pipelines WHERE name = 'expo'",
    "validate, oneOf over a deep document": f"SELECT pipeline.validate({DEEP}, 'oneof')",
    "errors, oneOf over a deep document": f"SELECT pipeline.errors({DEEP}, 'oneof')",
}


@pytest.fixture(scope="module")
def db(conn):
    watch = ServerWatch(conn)
    conn.execute("SELECT pipeline.define('many', %s)", (Jsonb({
        "schema": {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}},
        "transform": [{"op": "set", "path": "/seen", "value": True}]}),))
    conn.execute("SELECT pipeline.define('expo', %s)", (Jsonb({"schema": EXPO}),))
    conn.execute("SELECT pipeline.define('oneof', %s)", (Jsonb({"schema": ONEOF}),))
    yield conn
    watch.check(conn)


@pytest.mark.parametrize("query", list(CASES.values()), ids=list(CASES))
def test_cancel_stops_validation_promptly(db, connect, query):
    victim = connect()
    pid = victim.execute("SELECT pg_backend_pid()").fetchone()[0]
    th, out = run_in_thread(victim, query)
    assert wait_until_active(db, pid), "the statement never became active"
    time.sleep(RUNNING_SECONDS)
    assert th.is_alive(), f"the statement ended before the cancel ({out}): it tests nothing"
    cancelled = time.monotonic()
    assert db.execute("SELECT pg_catalog.pg_cancel_backend(%s)", (pid,)).fetchone()[0] is True
    th.join(PROMPT_SECONDS + 10)
    if th.is_alive():
        db.execute("SELECT pg_catalog.pg_terminate_backend(%s)", (pid,))
        pytest.fail("pg_cancel_backend did not stop the statement")
    assert out["state"] == "57014", out
    assert "canceling statement due to user request" in out["msg"], out
    took = out["ended"] - cancelled
    assert took < PROMPT_SECONDS, f"the cancel took {took:.2f}s"
    # the session is usable, and its cached pipelines still answer
    assert victim.execute("SELECT pipeline.validate('{\"n\": 1}', 'many')").fetchone()[0] is True
    assert victim.execute("SELECT pipeline.validate('\"x\"', 'oneof')").fetchone()[0] is False
