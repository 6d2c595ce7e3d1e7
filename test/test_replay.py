"""pipeline.replay from clients: cancellation of a long replay.

Uses the fixtures of test/conftest.py: `conn` (autocommit, extension
created) and `connect` (more sessions on the same database).
"""

import json
import threading
import time

import psycopg
import pytest

ROWS = 2000


def define(conn, name, spec):
    return conn.execute("SELECT pipeline.define(%s, %s::jsonb)", (name, json.dumps(spec))).fetchone()[0]


def accounted(conn):
    """(rows stored, rejects, distinct ids over both) for table slow_t."""
    return conn.execute(
        "SELECT (SELECT count(*) FROM slow_t),"
        " (SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'slow'),"
        " (SELECT count(DISTINCT id) FROM (SELECT id FROM slow_t UNION ALL"
        "   SELECT (record->>'id')::int FROM pipeline.rejects WHERE pipeline = 'slow') s)"
    ).fetchone()


@pytest.fixture
def slow_table(conn):
    """slow_t with ROWS quarantined rows, a pipeline that now takes them, and
    a trigger firing after the pipeline's that sleeps 5 ms per stored row."""
    conn.execute("DROP TABLE IF EXISTS slow_t")
    conn.execute("DELETE FROM pipeline.rejects WHERE pipeline = 'slow'")
    conn.execute("CREATE TABLE slow_t (id int PRIMARY KEY, n int)")
    define(conn, "slow", {"schema": {"properties": {"n": {"maximum": 0}}}, "on_error": "quarantine"})
    conn.execute("SELECT pipeline.attach('slow_t', 'slow')")
    conn.execute("INSERT INTO slow_t SELECT g, g FROM generate_series(1, %s) g", (ROWS,))
    define(conn, "slow", {"on_error": "quarantine"})
    conn.execute("""CREATE OR REPLACE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN PERFORM pg_catalog.pg_sleep(0.005); RETURN NEW; END $$""")
    conn.execute("CREATE TRIGGER z_slow BEFORE INSERT ON slow_t FOR EACH ROW EXECUTE FUNCTION slow_row()")
    yield "slow_t"
    conn.execute("DROP TABLE IF EXISTS slow_t")
    conn.execute("DELETE FROM pipeline.rejects WHERE pipeline = 'slow'")


def test_replay_cancelled_stops_promptly_and_loses_nothing(conn, connect, slow_table):
    assert accounted(conn) == (0, ROWS, ROWS)
    replayer = connect()
    pid = replayer.info.backend_pid
    outcome = {}

    def replay():
        try:
            replayer.execute("SELECT * FROM pipeline.replay('slow')")
            outcome["result"] = "finished"
        except psycopg.Error as e:
            outcome["error"] = e
        outcome["at"] = time.monotonic()

    th = threading.Thread(target=replay)
    th.start()
    # wait until the replay is inside its loop (some rows done: it runs ~10 s)
    time.sleep(1.0)
    assert th.is_alive(), "the replay ended before it could be cancelled"
    cancelled_at = time.monotonic()
    assert conn.execute("SELECT pg_cancel_backend(%s)", (pid,)).fetchone()[0]
    th.join(30)
    assert not th.is_alive()
    assert "error" in outcome, outcome
    assert outcome["error"].sqlstate == "57014"
    assert outcome["at"] - cancelled_at < 2.0, f"took {outcome['at'] - cancelled_at:.2f} s to stop"
    # the replay was one statement: it rolled back whole; every row is still exactly once
    assert accounted(conn) == (0, ROWS, ROWS)
    # and the session that was cancelled can replay them all afterwards
    replayer.execute("DROP TRIGGER z_slow ON slow_t")
    assert replayer.execute("SELECT * FROM pipeline.replay('slow')").fetchone() == (ROWS, 0, 0, 0)
    assert accounted(conn) == (ROWS, 0, ROWS)


def test_replay_cancelled_in_a_transaction_keeps_earlier_work_out(conn, connect, slow_table):
    """Cancelled inside an explicit transaction: the transaction is aborted,
    the rows the replay had inserted are gone and their rejects are back."""
    replayer = connect(autocommit=False)
    pid = replayer.info.backend_pid
    errors = []

    def replay():
        try:
            replayer.execute("SELECT * FROM pipeline.replay('slow')")
        except psycopg.Error as e:
            errors.append(e)

    th = threading.Thread(target=replay)
    th.start()
    time.sleep(0.5)
    conn.execute("SELECT pg_cancel_backend(%s)", (pid,))
    th.join(30)
    assert errors and errors[0].sqlstate == "57014"
    with pytest.raises(psycopg.errors.InFailedSqlTransaction):
        replayer.execute("SELECT 1")
    replayer.rollback()
    assert accounted(conn) == (0, ROWS, ROWS)
