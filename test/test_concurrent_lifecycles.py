"""Lifecycles of pipelines against other sessions' work (two or more
connections, threads bounded by timeouts): registry changes under
transaction snapshots, prepared transactions holding quarantined rows,
attach and detach beside inserts, and the shared statistics table under
many backends and names."""

import threading
import time

import psycopg
import pytest
from psycopg.types.json import Jsonb


def in_thread(conn, query, params=None):
    """Run query on conn in a thread; returns (thread, outcome dict)."""
    out = {}

    def run():
        try:
            out["rows"] = conn.execute(query, params).fetchall()
        except psycopg.Error as e:
            out["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def waiting(conn, pid, seconds=10):
    """Wait until backend pid waits on a lock."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if conn.execute("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s",
                        (pid,)).fetchone()[0]:
            return
        time.sleep(0.05)
    raise AssertionError(f"backend {pid} never waited on a lock")


@pytest.mark.parametrize("level", ["REPEATABLE READ", "SERIALIZABLE"])
def test_define_of_a_new_name_racing_a_snapshot_is_a_serialization_failure(conn, connect, level):
    """Two transactions with snapshots define the same new pipeline: the
    second waits for the registry lock, then finds a version its snapshot
    cannot see.  It must fail with 40001 (which clients retry), not with the
    primary key's 23505, and leave one version."""
    name = "snap_" + level.split()[0].lower()
    first, second = connect(autocommit=False), connect(autocommit=False)
    first.execute(f"BEGIN ISOLATION LEVEL {level}")
    second.execute(f"BEGIN ISOLATION LEVEL {level}")
    second.execute("SELECT 1")                      # its snapshot, before the other define
    first.execute("SELECT pipeline.define(%s, %s)", (name, Jsonb({"schema": {}})))
    t, out = in_thread(second, "SELECT pipeline.define(%s, %s)", (name, Jsonb({"schema": {"type": "object"}})))
    waiting(conn, second.info.backend_pid)
    first.commit()
    t.join(30)
    assert not t.is_alive()
    assert isinstance(out.get("error"), psycopg.errors.SerializationFailure), out
    second.rollback()
    assert conn.execute("SELECT array_agg(version) FROM pipeline.pipelines WHERE name = %s",
                        (name,)).fetchone()[0] == [1]


def test_prepared_transaction_keeps_its_rejects_until_commit_or_rollback_prepared(conn, connect):
    if conn.execute("SHOW max_prepared_transactions").fetchone()[0] == "0":
        pytest.skip("max_prepared_transactions is 0")
    other = connect()
    conn.execute("SELECT pipeline.define('ptx', %s)",
                 (Jsonb({"schema": {"properties": {"n": {"maximum": 10}}}, "on_error": "quarantine"}),))
    conn.execute("CREATE TABLE ptx (n int)")
    conn.execute("SELECT pipeline.attach('ptx', 'ptx')")
    rejects = "SELECT array_agg((record->>'n')::int ORDER BY id) FROM pipeline.rejects WHERE pipeline = 'ptx'"
    try:
        for finish, kept, refused in (("COMMIT PREPARED", [1, 3, 4], [20, 30]),
                                      ("ROLLBACK PREPARED", [4], [30])):
            conn.execute("BEGIN")
            conn.execute("INSERT INTO ptx VALUES (1), (20), (3)")
            conn.execute("PREPARE TRANSACTION 'ptx_gid'")
            # the session goes on in a new transaction: its quarantine still works
            conn.execute("INSERT INTO ptx VALUES (30), (4)")
            assert conn.execute(rejects).fetchone()[0] == [30]
            other.execute(f"{finish} 'ptx_gid'")
            assert conn.execute("SELECT array_agg(n ORDER BY n) FROM ptx").fetchone()[0] == kept
            assert conn.execute(rejects).fetchone()[0] == refused
            conn.execute("TRUNCATE ptx")
            conn.execute("DELETE FROM pipeline.rejects WHERE pipeline = 'ptx'")
        # a replay prepared and rolled back replays nothing; the rejects stay for the next one
        conn.execute("INSERT INTO ptx VALUES (50), (60)")
        conn.execute("SELECT pipeline.define('ptx', %s)",
                     (Jsonb({"schema": {"properties": {"n": {"maximum": 100}}}, "on_error": "quarantine"}),))
        conn.execute("BEGIN")
        assert conn.execute("SELECT replayed FROM pipeline.replay('ptx')").fetchone()[0] == 2
        conn.execute("PREPARE TRANSACTION 'ptx_gid'")
        # the prepared transaction holds its rejects: another replay skips them
        assert other.execute("SELECT replayed FROM pipeline.replay('ptx')").fetchone()[0] == 0
        other.execute("ROLLBACK PREPARED 'ptx_gid'")
        assert conn.execute("SELECT replayed FROM pipeline.replay('ptx')").fetchone()[0] == 2
        assert conn.execute("SELECT array_agg(n ORDER BY n) FROM ptx").fetchone()[0] == [50, 60]
        assert conn.execute(rejects).fetchone()[0] is None
    finally:
        conn.execute("SELECT gid FROM pg_prepared_xacts WHERE gid = 'ptx_gid'").fetchall() and \
            conn.execute("ROLLBACK PREPARED 'ptx_gid'")
        conn.execute("DROP TABLE ptx")


def test_two_sessions_attach_different_pipelines_to_one_table(conn, connect):
    conn.execute("SELECT pipeline.define('att_a', %s)",
                 (Jsonb({"transform": [{"op": "set", "path": "/a", "value": 1}], "schema": {}}),))
    conn.execute("SELECT pipeline.define('att_b', %s)",
                 (Jsonb({"transform": [{"op": "set", "path": "/b", "value": 2}], "schema": {}}),))
    conn.execute("CREATE TABLE att2 (a int, b int, n int)")
    first, second = connect(autocommit=False), connect(autocommit=False)
    first.execute("SELECT pipeline.attach('att2', 'att_a')")
    t, out = in_thread(second, "SELECT pipeline.attach('att2', 'att_b')")
    waiting(conn, second.info.backend_pid)
    first.commit()
    t.join(30)
    assert "rows" in out, out
    second.commit()
    conn.execute("INSERT INTO att2 (n) VALUES (1)")
    assert conn.execute("SELECT a, b, n FROM att2").fetchall() == [(1, 2, 1)]
    # detach waits for an insert under way; rows before it ran both pipelines
    first.execute("INSERT INTO att2 (n) VALUES (2)")
    t, out = in_thread(second, "SELECT pipeline.detach('att2', 'att_a')")
    waiting(conn, second.info.backend_pid)
    first.execute("INSERT INTO att2 (n) VALUES (3)")
    first.commit()
    t.join(30)
    assert "rows" in out, out
    second.commit()
    conn.execute("INSERT INTO att2 (n) VALUES (4)")
    assert conn.execute("SELECT a, b, n FROM att2 ORDER BY n").fetchall() == \
        [(1, 2, 1), (1, 2, 2), (1, 2, 3), (None, 2, 4)]
    conn.execute("DROP TABLE att2")


def test_stats_under_many_backends_and_names(conn, connect):
    """Six backends count 40 pipelines at once, resetting now and then: no
    error, and the view never holds more than pipeline.stats_max entries of
    this database."""
    names = [f"st_{i}" for i in range(40)]
    for n in names:
        conn.execute("SELECT pipeline.define(%s, %s)", (n, Jsonb({"schema": {"maximum": 5}})))
    errors = []

    def worker(k):
        try:
            c = connect()
            for r in range(10):
                for n in names[k::6]:
                    c.execute("SELECT pipeline.validate('3', %s), pipeline.validate('9', %s)", (n, n))
                if r % 4 == k % 4:
                    c.execute("SELECT pipeline.reset_stats()")
                c.execute("SELECT count(*) FROM pipeline.stats").fetchone()
        except psycopg.Error as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    rows = conn.execute("SELECT checked, passed, failed, scope FROM pipeline.stats"
                        " WHERE pipeline LIKE 'st\\_%'").fetchall()
    cap = 1000 if not rows or rows[0][3] == "session" else \
        int(conn.execute("SHOW pipeline.stats_max").fetchone()[0])
    assert len(rows) <= cap
    assert all(c == p + f and p == f for c, p, f, _ in rows)


def stamp(v):
    """A version that stamps its number into the row and accepts only it, refusing id 4."""
    return Jsonb({"transform": [{"op": "set", "path": "/v", "value": v}],
                  "schema": {"properties": {"v": {"const": v}, "id": {"not": {"const": 4}}}},
                  "on_error": "quarantine"})


@pytest.mark.parametrize("change", ["define", "activate"])
def test_copy_keeps_its_version_while_another_session_changes_it(conn, connect, change):
    """A COPY paused at row 3 while another session defines (or activates) a
    new version: every row of the COPY, and its reject, is judged by the
    version it started with, although its first reject (row 4) and its first
    row routed to another partition take new locks, which accept the other
    session's invalidation; the next statement runs the new version."""
    name = "copyv_" + change
    conn.execute("SELECT pipeline.define(%s, %s)", (name, stamp(1)))
    if change == "activate":
        conn.execute("SELECT pipeline.define(%s, %s, false)", (name, stamp(2)))
    conn.execute(f"CREATE TABLE {name} (id int, v int) PARTITION BY RANGE (id)")
    conn.execute(f"CREATE TABLE {name}_lo PARTITION OF {name} FOR VALUES FROM (0) TO (100)")
    conn.execute(f"CREATE TABLE {name}_hi PARTITION OF {name} FOR VALUES FROM (100) TO (1000)")
    conn.execute("SELECT pipeline.attach(%s, %s)", (name, name))
    conn.execute("""CREATE OR REPLACE FUNCTION copyv_pause() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                      IF NEW.id = 3 THEN PERFORM pg_advisory_lock(4713); PERFORM pg_advisory_unlock(4713); END IF;
                      RETURN NEW;
                    END $$""")
    conn.execute(f"CREATE TRIGGER zz_pause BEFORE INSERT ON {name}_lo FOR EACH ROW EXECUTE FUNCTION copyv_pause()")
    copier, changer = connect(), connect()
    changer.execute("SELECT pg_advisory_lock(4713)")
    out = {}

    def copy():
        try:
            with copier.cursor().copy(f"COPY {name} (id) FROM STDIN") as cp:
                for i in (1, 2, 3, 4, 5, 150, 151):
                    cp.write_row((i,))
        except psycopg.Error as e:
            out["error"] = e

    t = threading.Thread(target=copy, daemon=True)
    t.start()
    deadline = time.monotonic() + 10
    while conn.execute("SELECT wait_event_type IS DISTINCT FROM 'Lock' FROM pg_stat_activity WHERE pid = %s",
                       (copier.info.backend_pid,)).fetchone()[0]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    if change == "define":
        changer.execute("SELECT pipeline.define(%s, %s)", (name, stamp(2)))
    else:
        changer.execute("SELECT pipeline.activate(%s, 2)", (name,))
    changer.execute("SELECT pg_advisory_unlock(4713)")
    t.join(30)
    assert not t.is_alive() and out == {}
    assert conn.execute(f"SELECT array_agg(DISTINCT v), count(*) FROM {name}").fetchone() == ([1], 6)
    assert conn.execute("SELECT array_agg(version) FROM pipeline.rejects WHERE pipeline = %s",
                        (name,)).fetchone()[0] == [1]
    copier.execute(f"INSERT INTO {name} (id) VALUES (7)")
    assert conn.execute(f"SELECT v FROM {name} WHERE id = 7").fetchone()[0] == 2
    conn.execute(f"DROP TABLE {name}")
    conn.execute("DELETE FROM pipeline.rejects WHERE pipeline = %s", (name,))


def test_function_format_dropped_mid_statement_fails_cleanly(conn, connect):
    """The format's function is locked while a statement uses it: DROP FUNCTION
    waits (here: a deadlock, which one side reports with 40P01), never XX000."""
    conn.execute("""CREATE FUNCTION even_fmt(t text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
                    BEGIN
                      IF t = 'pause' THEN PERFORM pg_advisory_lock(4714); PERFORM pg_advisory_unlock(4714); END IF;
                      RETURN length(t) % 2 = 1;
                    END $$""")
    conn.execute("SELECT pipeline.register_format('even_len', function => 'even_fmt(text)'::regprocedure)")
    conn.execute("SELECT pipeline.define('fmt_drop', %s)",
                 (Jsonb({"schema": {"properties": {"s": {"format": "even_len"}}}, "formats": "assert"}),))
    checker, dropper = connect(), connect()
    dropper.execute("SELECT pg_advisory_lock(4714)")
    t, out = in_thread(checker, "SELECT count(*) FILTER (WHERE pipeline.validate(jsonb_build_object('s', s), 'fmt_drop'))"
                                " FROM unnest(array['abc', 'pause', 'ab', 'abcde']) s")
    deadline = time.monotonic() + 10
    while not conn.execute("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s",
                           (checker.info.backend_pid,)).fetchone()[0]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    dropper.execute("SELECT pipeline.drop('fmt_drop')")
    dropper.execute("SELECT pipeline.unregister_format('even_len')")
    dropper.execute("DROP FUNCTION even_fmt(text)")       # nothing holds it: done at once
    dropper.execute("SELECT pg_advisory_unlock(4714)")
    t.join(30)
    assert not t.is_alive()
    err = out.get("error")
    # the statement keeps the version it started with (3 of 4 pass), or fails with a clean error
    assert err is None and out["rows"] == [(3,)] or err.sqlstate != "XX000", err


def test_replay_beside_an_admin_deleting_rejects(conn, connect):
    """An admin's DELETE of rejects and a replay, in both orders: a reject is
    replayed once or deleted, never both, never lost while it stays."""
    strict = Jsonb({"schema": {"properties": {"n": {"maximum": 10}}}, "on_error": "quarantine"})
    conn.execute("SELECT pipeline.define('rpdel', %s)", (strict,))
    conn.execute("CREATE TABLE rpdel (n int)")
    conn.execute("SELECT pipeline.attach('rpdel', 'rpdel')")
    conn.execute("INSERT INTO rpdel VALUES (20), (30), (40)")
    conn.execute("SELECT pipeline.define('rpdel', %s)",
                 (Jsonb({"schema": {"properties": {"n": {"maximum": 35}}}, "on_error": "quarantine"}),))
    replayer, admin = connect(autocommit=False), connect(autocommit=False)
    # the admin first: the rejects it holds are skipped, and come back when it rolls back
    admin.execute("DELETE FROM pipeline.rejects WHERE pipeline = 'rpdel' AND record->>'n' = '20'")
    assert replayer.execute("SELECT replayed, rejected FROM pipeline.replay('rpdel')").fetchone() == (1, 1)
    replayer.commit()
    admin.rollback()
    # the replay first: the admin's DELETE waits, then removes what the replay left
    assert replayer.execute("SELECT replayed, rejected FROM pipeline.replay('rpdel')").fetchone() == (1, 1)
    t, out = in_thread(admin, "DELETE FROM pipeline.rejects WHERE pipeline = 'rpdel' RETURNING record->>'n'")
    waiting(conn, admin.info.backend_pid)
    replayer.commit()
    t.join(30)
    assert out["rows"] == [("40",)]
    admin.commit()
    assert conn.execute("SELECT array_agg(n ORDER BY n) FROM rpdel").fetchone()[0] == [20, 30]
    assert conn.execute("SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'rpdel'").fetchone()[0] == 0
    conn.execute("DROP TABLE rpdel")
