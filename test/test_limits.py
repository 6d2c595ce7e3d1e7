"""Limits: hostile sizes and shapes end in a clear error, never a crash or a
backend that cannot be stopped.

* deep documents and deep schemas: 54001 stack depth limit exceeded;
* regexes PostgreSQL's engine finds too complex: 22023 at define time,
  naming the JSON Pointer of the pattern;
* long validations (a $ref DAG that doubles the work per level, uniqueItems
  over a large array of distinct objects) obey statement_timeout (57014)
  and pg_terminate_backend (57P01); pg_cancel_backend is test_cancel.py's;
* a large spec and a large document are handled in linear time (4x the
  size, under 8x the time).
"""

import json
import time

import psycopg
import pytest
from psycopg.types.json import Jsonb

from background import run_in_thread, wait_until_active
from fuzz_server import ServerWatch


def sqlstate_of(conn, query, params=None):
    try:
        conn.execute(query, params)
    except psycopg.Error as e:
        assert not conn.broken, f"connection lost: {e}"
        return e.sqlstate, str(e)
    return None, None


@pytest.fixture(scope="module")
def db(conn):
    watch = ServerWatch(conn)
    # 40 levels, each an allOf of the next level twice: 2^40 nodes to visit
    # for any instance, none of them descending into it
    defs = {f"d{i}": {"allOf": [{"$ref": f"#/$defs/d{i + 1}"}, {"$ref": f"#/$defs/d{i + 1}"}]}
            for i in range(40)}
    defs["d40"] = {"type": "integer"}
    conn.execute("SELECT pipeline.define('expo', %s)",
                 (Jsonb({"schema": {"$ref": "#/$defs/d0", "$defs": defs}}),))
    yield conn
    conn.execute("RESET statement_timeout")
    watch.check(conn)


def expo_schema(conn):
    return conn.execute("SELECT spec->'schema' FROM pipeline.pipelines WHERE name = 'expo'").fetchone()[0]


@pytest.mark.parametrize("query", [
    "SELECT pipeline.validate('1', 'expo')",
    "SELECT pipeline.errors('\"x\"', 'expo')",
    "SELECT pipeline.process('1', 'expo')",
])
def test_exponential_schema_obeys_statement_timeout(db, connect, query):
    c = connect()
    c.execute("SET statement_timeout = '300ms'")
    # in a thread, so that a regression fails the test instead of hanging it
    th, out = run_in_thread(c, query)
    th.join(20)
    assert not th.is_alive(), "statement_timeout did not stop the validation"
    assert out["state"] == "57014", out
    assert out["elapsed"] < 5, f"cancel took {out['elapsed']:.1f}s"


def test_exponential_schema_in_compat_function(db):
    schema = expo_schema(db)
    db.execute("SET statement_timeout = '300ms'")
    state, msg = sqlstate_of(db, "SELECT pipeline.jsonb_matches_schema(%s::json, '1')", (json.dumps(schema),))
    db.execute("RESET statement_timeout")
    assert state == "57014", msg


def test_long_validation_can_be_terminated(db, connect):
    """pg_terminate_backend ends it (pg_cancel_backend: test_cancel.py)."""
    victim = connect()
    pid = victim.execute("SELECT pg_backend_pid()").fetchone()[0]
    th, out = run_in_thread(victim, "SELECT pipeline.validate('1', 'expo')")
    assert wait_until_active(db, pid), "the validation never started"
    time.sleep(0.2)
    db.execute("SELECT pg_catalog.pg_terminate_backend(%s)", (pid,))
    th.join(15)
    assert not th.is_alive(), "pg_terminate_backend did not stop the validation"
    # the FATAL arrives as the connection closes: psycopg may not keep its sqlstate
    assert out["state"] in ("57P01", None) and "administrator command" in out["msg"], out
    assert out["elapsed"] < 10
    # the backend exited; the server did not restart (checked at teardown)
    assert db.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()[0] == 0


def test_unique_items_over_a_large_array_obeys_statement_timeout(db):
    db.execute("CREATE TEMP TABLE big_array AS SELECT jsonb_agg(jsonb_build_object('i', g, 's', 'x' || g)) AS d"
               " FROM generate_series(1, 300000) g")
    db.execute("SELECT pipeline.define('uniq', '{\"schema\": {\"uniqueItems\": true}}')")
    # it completes, in linear-logarithmic time ...
    db.execute("SET statement_timeout = '20s'")
    assert db.execute("SELECT pipeline.validate(d, 'uniq') FROM big_array").fetchone()[0] is True
    # ... and a short timeout stops it
    db.execute("SET statement_timeout = '20ms'")
    state, msg = sqlstate_of(db, "SELECT pipeline.errors(d, 'uniq') FROM big_array")
    db.execute("RESET statement_timeout")
    assert state == "57014", msg


@pytest.fixture(scope="module")
def deep(db):
    """Documents and schemas nested 2,000 and 20,000 levels, parsed with a
    larger stack than the one the tests then run with."""
    db.execute("SET max_stack_depth = '6MB'")
    db.execute("CREATE TEMP TABLE deep AS SELECT n, (repeat('[', n) || repeat(']', n))::jsonb AS d,"
               " (repeat('{\"items\":', n) || 'true' || repeat('}', n))::jsonb AS s"
               " FROM (VALUES (2000), (20000)) v(n)")
    # PostgreSQL's default; explicit, because the sanitizer build's server
    # (bigger stack frames) runs with more
    db.execute("SET max_stack_depth = '2MB'")
    db.execute("SELECT pipeline.define('rec', '{\"schema\": {\"$defs\": {\"a\": {\"type\": \"array\","
               " \"items\": {\"$ref\": \"#/$defs/a\"}}}, \"$ref\": \"#/$defs/a\"}}')")
    return db


@pytest.mark.parametrize("query", [
    "SELECT pipeline.validate(d, 'rec') FROM deep WHERE n = 20000",
    "SELECT pipeline.errors(d, 'rec') FROM deep WHERE n = 20000",
    "SELECT pipeline.jsonb_matches_schema('{\"$defs\": {\"a\": {\"items\": {\"$ref\": \"#/$defs/a\"}}},"
    " \"$ref\": \"#/$defs/a\"}', d) FROM deep WHERE n = 20000",
    "SELECT pipeline.define('deep_schema', jsonb_build_object('schema', s)) FROM deep WHERE n = 20000",
    "SELECT pipeline.jsonschema_is_valid(s::json) FROM deep WHERE n = 20000",
    "SELECT pipeline.jsonb_matches_schema(s::json, '[]') FROM deep WHERE n = 20000",
])
def test_too_deep_is_a_stack_depth_error(deep, query):
    # the yes/no walk takes little stack a level, so 20,000 levels may fit in
    # 2 MB; with less the point stays: too deep is an error, never a crash
    deep.execute("SET max_stack_depth = '256kB'")
    try:
        state, msg = sqlstate_of(deep, query)
    finally:
        deep.execute("SET max_stack_depth = '2MB'")
    assert state == "54001", msg
    assert "stack depth limit exceeded" in msg


def test_deep_but_not_too_deep_works(deep):
    deep.execute("SET max_stack_depth = '6MB'")
    assert deep.execute("SELECT pipeline.validate(d, 'rec') FROM deep WHERE n = 2000").fetchone()[0] is True
    assert deep.execute("SELECT pipeline.errors(d, 'rec') FROM deep WHERE n = 2000").fetchone()[0] == []
    deep.execute("SELECT pipeline.define('deep_set', '{\"transform\": [{\"op\": \"set\", \"path\": \"/0/0/0\","
                 " \"value\": 1}]}')")
    deep.execute("SET max_stack_depth = '2MB'")
    # a transform of a deep document re-encodes it: 2,000 levels are done
    # (the value at /0/0/0 replaced, so three levels are left) ...
    q = "SELECT pipeline.transform(d, 'deep_set') = '[[[1]]]' FROM deep WHERE n = %s"
    assert deep.execute(q, (2000,)).fetchone()[0] is True
    # ... and 20,000 done as well, or refused cleanly
    state, msg = sqlstate_of(deep, q, (20000,))
    assert state in (None, "54001"), msg
    if state is None:
        assert deep.execute(q, (20000,)).fetchone()[0] is True


@pytest.mark.parametrize("spec, pointer", [
    ({"schema": {"properties": {"a": {"pattern": "(((a{1,100}){1,100}){1,100})"}}}},
     "/schema/properties/a/pattern"),
    ({"schema": {"patternProperties": {"(((a{1,100}){1,100}){1,100})": True}}}, "/schema/patternProperties"),
    ({"transform": [{"op": "replace", "path": "/a", "pattern": "(((a{1,100}){1,100}){1,100})", "with": ""}]},
     "/transform/0/pattern"),
])
def test_too_complex_regex_is_refused_at_define(db, spec, pointer):
    state, msg = sqlstate_of(db, "SELECT pipeline.define('re', %s)", (Jsonb(spec),))
    assert state == "22023", msg
    assert pointer in msg and "too complex" in msg, msg


def test_pattern_on_a_long_string(db):
    """A backreference over 200,000 characters: the right verdict, in time."""
    db.execute("SELECT pipeline.define('re_long', '{\"schema\": {\"pattern\": \"^(a+)\\\\1*(b|c)$\"}}')")
    db.execute("SET statement_timeout = '10s'")
    try:
        for tail, verdict in (("d", False), ("b", True)):
            got = db.execute("SELECT pipeline.validate(to_jsonb(repeat('a', 200000) || %s), 're_long')",
                             (tail,)).fetchone()[0]
            assert got is verdict, tail
    finally:
        db.execute("RESET statement_timeout")


def _wide_seconds(db, n, runs=3):
    """Best of `runs` times to define a spec of n properties and validate and
    list the errors of a document of n keys (the JSON built beforehand)."""
    keys = [f"k{i}" for i in range(n)]
    spec = Jsonb({"schema": {"type": "object", "required": keys,
                             "properties": {k: {"type": "integer", "minimum": 0} for k in keys},
                             "additionalProperties": False,
                             "propertyNames": {"maxLength": 10}}})
    good = {k: i for i, k in enumerate(keys)}
    bad = dict(good, k7=-1, extra=1)
    good, bad = Jsonb(good), Jsonb(bad)
    best = float("inf")
    for _ in range(runs):
        t0 = time.monotonic()
        db.execute("SELECT pipeline.define(%s, %s)", (f"wide{n}", spec))
        assert db.execute("SELECT pipeline.validate(%s, %s)", (good, f"wide{n}")).fetchone()[0] is True
        errors = db.execute("SELECT pipeline.errors(%s, %s)", (bad, f"wide{n}")).fetchone()[0]
        best = min(best, time.monotonic() - t0)
        assert len(errors) == 2, errors
    return best


def test_large_spec_and_document_in_linear_time(db):
    """Four times the keys take less than 8 times as long (linear: 4x; a
    quadratic step would take 16x), measured in one run, best of three."""
    db.execute("SET statement_timeout = '60s'")
    try:
        small = _wide_seconds(db, 12500)
        large = _wide_seconds(db, 50000)
    finally:
        db.execute("RESET statement_timeout")
    assert large < 8 * small, f"12,500 keys: {small:.3f}s, 50,000 keys: {large:.3f}s ({large / small:.1f}x)"
