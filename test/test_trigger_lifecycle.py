"""The trigger's life across many rows and statements: memory that must stay
flat while the trigger's plan is rebuilt, and a long COPY through the trigger
cancelled from another session.

Uses the fixtures of test/conftest.py: `conn` (autocommit, extension created)
and `connect` (more sessions on the same database).
"""

import json
import threading
import time

import psycopg
import pytest

HASHING = {
    "schema": {"type": "object", "required": ["email"]},
    "transform": [{"op": "trim", "path": "/email"}, {"op": "lower", "path": "/email"},
                  {"op": "hash", "path": "/email"}],
    "on_error": "quarantine",
}


def define(conn, name, spec):
    conn.execute("SELECT pipeline.define(%s, %s::jsonb)", (name, json.dumps(spec)))


def backend_bytes(c):
    """(bytes in the pipeline spec contexts, bytes in all contexts) of c's backend."""
    return c.execute(
        "SELECT coalesce(sum(total_bytes) FILTER (WHERE name = 'pipeline spec'), 0)::bigint,"
        "       sum(total_bytes)::bigint FROM pg_backend_memory_contexts").fetchone()


def test_plan_rebuilds_keep_memory_flat(conn, connect):
    """Every relcache invalidation of the table (GRANT here; ANALYZE, CREATE
    INDEX alike) rebuilds the trigger's plan; 10,000 rebuilds must not grow
    the backend's memory (each used to leave a reset callback in the spec's
    memory, about 50 bytes)."""
    conn.execute("DROP TABLE IF EXISTS rebuilt, rebuilt_plain")
    conn.execute("CREATE TABLE rebuilt (id int, email text)")
    conn.execute("CREATE TABLE rebuilt_plain (id int, email text)")
    define(conn, "lifecycle_rebuild", HASHING)
    conn.execute("SELECT pipeline.attach('rebuilt', 'lifecycle_rebuild')")
    c = connect()
    loop = """
        DO $$
        BEGIN
          FOR i IN 1..%s LOOP
            IF i %% 2 = 0 THEN GRANT SELECT ON %s TO PUBLIC;
            ELSE REVOKE SELECT ON %s FROM PUBLIC; END IF;
            INSERT INTO %s VALUES (i, ' A@B.org ');
          END LOOP;
        END $$"""

    def growth(table):
        """(spec context growth, whole backend growth) over 10,000 rebuilds."""
        c.execute(loop % (200, table, table, table))      # warm every cache first
        spec_before, total_before = backend_bytes(c)
        c.execute(loop % (10000, table, table, table))
        spec_after, total_after = backend_bytes(c)
        return spec_after - spec_before, total_after - total_before

    _, server_own = growth("rebuilt_plain")    # what the server itself keeps (versions differ)
    spec_growth, total_growth = growth("rebuilt")
    assert c.execute("SELECT count(DISTINCT email) FROM rebuilt").fetchone()[0] == 1
    assert spec_growth <= 8192, spec_growth
    assert total_growth - server_own <= 256 * 1024, (total_growth, server_own)


def test_copy_cancelled_stops_promptly_and_keeps_nothing(conn, connect):
    """pg_cancel_backend on a long COPY through the trigger: 57014 within
    seconds, no row stored, no reject, and the session works afterwards."""
    conn.execute("DROP TABLE IF EXISTS copied")
    conn.execute("CREATE TABLE copied (id bigint, email text DEFAULT ' X@Y.org ')")
    conn.execute("TRUNCATE pipeline.rejects")
    define(conn, "lifecycle_copy", HASHING)
    conn.execute("SELECT pipeline.attach('copied', 'lifecycle_copy')")
    worker = connect()
    pid = worker.info.backend_pid
    outcome = {}

    def run():
        t0 = time.monotonic()
        try:
            worker.execute("COPY copied (id) FROM PROGRAM 'seq 1 50000000'")
            outcome["error"] = None
        except psycopg.Error as e:
            outcome["error"] = e
        outcome["ended"] = time.monotonic()
        outcome["started"] = t0

    th = threading.Thread(target=run)
    th.start()
    watcher = connect()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = watcher.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        if state and state[0] == "active":
            break
        time.sleep(0.05)
    time.sleep(1.0)                              # well inside the COPY
    cancelled_at = time.monotonic()
    assert watcher.execute("SELECT pg_cancel_backend(%s)", (pid,)).fetchone()[0]
    th.join(60)
    assert not th.is_alive(), "COPY did not stop after the cancel"
    assert isinstance(outcome["error"], psycopg.errors.QueryCanceled), outcome["error"]
    assert outcome["error"].diag.sqlstate == "57014"
    assert outcome["ended"] - cancelled_at < 5.0
    assert conn.execute("SELECT count(*) FROM copied").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM pipeline.rejects").fetchone()[0] == 0
    # the cancelled call left nothing behind in the session
    worker.execute("INSERT INTO copied (id) VALUES (1)")
    assert conn.execute("SELECT count(*) FROM copied").fetchone()[0] == 1


def stamped(version):
    """A spec whose transform stamps the record with version (to see which one ran)."""
    return {"transform": [{"op": "set", "path": "/v", "value": version}]}


def test_trigger_uses_version_defined_between_single_row_inserts(conn, connect):
    """The trigger keeps its pipeline's compiled spec across statements and
    checks it with the cache's generation counter: a define() committed by
    another session between two single-row INSERTs (plain and prepared) is
    used by the next one; a define() inside the session's own transaction is
    used by the next INSERT of that transaction, and after its ROLLBACK the
    version before it is used again."""
    conn.execute("DROP TABLE IF EXISTS stamped")
    conn.execute("CREATE TABLE stamped (id serial, doc jsonb)")
    define(conn, "lifecycle_stamp", stamped(1))
    conn.execute("SELECT pipeline.attach('stamped', 'lifecycle_stamp', 'doc')")
    a = connect()
    other = connect()

    def insert(prepare):
        return a.execute("INSERT INTO stamped (doc) VALUES ('{}') RETURNING (doc->>'v')::int",
                         prepare=prepare).fetchone()[0]

    assert insert(False) == 1
    for prepare, v in ((False, 2), (True, 3)):
        assert insert(prepare) == v - 1
        define(other, "lifecycle_stamp", stamped(v))
        assert insert(prepare) == v
        assert insert(prepare) == v

    a.autocommit = False
    assert insert(True) == 3
    define(a, "lifecycle_stamp", stamped(4))
    assert insert(True) == 4
    a.rollback()
    assert insert(True) == 3
    assert insert(False) == 3
    a.commit()
    define(other, "lifecycle_stamp", stamped(5))
    assert insert(True) == 5
    a.commit()
    other.execute("SELECT pipeline.detach('stamped', 'lifecycle_stamp')")
    other.execute("SELECT pipeline.attach('stamped', 'lifecycle_stamp', 'doc')")
    define(other, "lifecycle_stamp", stamped(6))
    assert insert(True) == 6
    a.commit()
