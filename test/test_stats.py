"""pipeline.stats across sessions.

With the library in shared_preload_libraries the counts are cluster-wide:
each backend adds its pending counts to shared memory at transaction end, so
two sessions' counts add up in one view, survive the session, include the
work of rolled-back statements (as pgstat counts them), and a reset is seen
by everyone.  Without it, each session sees its own counts only.  The main
test run (scripts/test.sh) preloads the library; the other servers do not,
so each scope has its tests and the other's are skipped."""

import psycopg
import pytest
from psycopg.types.json import Jsonb


def preloaded(c):
    libs = c.execute("SELECT current_setting('shared_preload_libraries')").fetchone()[0]
    return "pipeline" in [s.strip() for s in libs.split(",")]


@pytest.fixture(scope="module")
def scope(conn):
    return "cluster" if preloaded(conn) else "session"


@pytest.fixture
def cluster(scope):
    if scope != "cluster":
        pytest.skip("needs the library in shared_preload_libraries (scripts/test.sh preloads it)")


def define(c, name, spec=None):
    c.execute("SELECT pipeline.define(%s, %s)",
              (name, Jsonb(spec or {"schema": {"properties": {"n": {"type": "integer"}}}})))
    c.execute("SELECT pipeline.reset_stats(%s)", (name,))


def validate(c, name, *docs):
    for d in docs:
        c.execute("SELECT pipeline.validate(%s, %s)", (Jsonb(d), name))


def counts(c, name):
    row = c.execute("SELECT checked, passed, failed, quarantined, raised, scope FROM pipeline.stats"
                    " WHERE pipeline = %s AND version = 1", (name,)).fetchone()
    return row or (0, 0, 0, 0, 0, None)


def test_two_sessions_add_up(cluster, conn, connect):
    define(conn, "st_two")
    a, b = connect(), connect()
    validate(a, "st_two", {"n": 1}, {"n": "x"})
    validate(b, "st_two", {"n": 2}, {"n": 3}, {"n": 4})
    assert counts(conn, "st_two") == (5, 4, 1, 0, 0, "cluster")


def test_counts_survive_the_session(cluster, conn, connect):
    define(conn, "st_gone")
    a = connect()
    validate(a, "st_gone", {"n": 1}, {"n": 2})
    a.close()
    assert counts(conn, "st_gone")[:2] == (2, 2)


def test_pending_until_transaction_end(cluster, conn, connect):
    """Counts go to shared memory at transaction end; the view flushes its caller's first."""
    define(conn, "st_pending")
    a = connect(autocommit=False)
    validate(a, "st_pending", {"n": 1})
    assert counts(conn, "st_pending")[0] == 0         # a's transaction is still open
    assert counts(a, "st_pending")[0] == 1            # a sees its own
    validate(a, "st_pending", {"n": 2})
    a.commit()
    assert counts(conn, "st_pending")[0] == 2


def test_rolled_back_work_is_counted(cluster, conn, connect):
    """The work was done: like pgstat, a rolled-back statement's records count."""
    define(conn, "st_rb", {"schema": {"properties": {"n": {"minimum": 0}}}})
    a = connect(autocommit=False)
    validate(a, "st_rb", {"n": 1}, {"n": 2})
    a.rollback()
    conn.execute("CREATE TABLE st_rb (n int)")
    conn.execute("SELECT pipeline.attach('st_rb', 'st_rb')")
    with pytest.raises(psycopg.errors.CheckViolation):
        a.execute("INSERT INTO st_rb VALUES (5), (-1)")
    a.rollback()
    assert counts(conn, "st_rb")[:5] == (4, 3, 0, 0, 1)
    conn.execute("SELECT pipeline.detach('st_rb', 'st_rb')")
    conn.execute("DROP TABLE st_rb")


def test_reset_seen_by_other_session(cluster, conn, connect):
    define(conn, "st_reset")
    define(conn, "st_kept")
    a = connect()
    validate(a, "st_reset", {"n": 1})
    validate(a, "st_kept", {"n": 1})
    a.execute("SELECT pipeline.reset_stats('st_reset')")
    assert counts(conn, "st_reset")[0] == 0
    assert counts(conn, "st_kept")[0] == 1
    conn.execute("SELECT pipeline.reset_stats()")
    assert counts(a, "st_kept")[0] == 0


def test_track_stats_off(cluster, conn, connect):
    define(conn, "st_off", {"schema": {"properties": {"n": {"minimum": 0}}}, "on_error": "quarantine"})
    conn.execute("CREATE TABLE st_off (n int)")
    conn.execute("SELECT pipeline.attach('st_off', 'st_off')")
    a = connect()
    a.execute("SET pipeline.track_stats = off")
    validate(a, "st_off", {"n": 1})
    a.execute("INSERT INTO st_off VALUES (1), (-1)")
    assert counts(conn, "st_off")[0] == 0
    a.execute("RESET pipeline.track_stats")
    validate(a, "st_off", {"n": 1})
    assert counts(conn, "st_off")[0] == 1
    conn.execute("SELECT pipeline.detach('st_off', 'st_off')")
    conn.execute("DROP TABLE st_off")
    conn.execute("DELETE FROM pipeline.rejects WHERE pipeline = 'st_off'")


def test_other_database_apart(cluster, conn, connect, admin_conn, dbname):
    """Pipelines belong to a database: the same name elsewhere counts apart."""
    define(conn, "st_db")
    validate(conn, "st_db", {"n": 1})
    other = "st_other_db"
    admin_conn.execute(f"DROP DATABASE IF EXISTS {other}")
    admin_conn.execute(f"CREATE DATABASE {other}")
    try:
        with psycopg.connect(dbname=other, autocommit=True) as o:
            o.execute("CREATE EXTENSION pipeline")
            assert o.execute("SELECT count(*) FROM pipeline.stats").fetchone()[0] == 0
            define(o, "st_db")
            validate(o, "st_db", {"n": 1}, {"n": 2})
            assert counts(o, "st_db")[0] == 2
        assert counts(conn, "st_db")[0] == 1
    finally:
        admin_conn.execute(f"DROP DATABASE IF EXISTS {other} WITH (FORCE)")


def test_session_scope_is_private(scope, conn, connect):
    if scope != "session":
        pytest.skip("session scope: the library is not in shared_preload_libraries")
    define(conn, "st_private")
    a = connect()
    validate(a, "st_private", {"n": 1})
    assert counts(a, "st_private")[:2] == (1, 1)
    assert counts(a, "st_private")[5] == "session"
    assert counts(conn, "st_private")[0] == 0


def test_track_stats_set_before_the_library_loads(conn, connect):
    """A session's SET pipeline.track_stats before its first pipeline call holds
    (the setting is defined before the library reserves the prefix)."""
    define(conn, "st_early")
    a = connect()
    a.execute("SET pipeline.track_stats = off")
    validate(a, "st_early", {"n": 1})
    assert a.execute("SHOW pipeline.track_stats").fetchone()[0] == "off"
    assert counts(a, "st_early")[0] == 0


def test_a_full_table_makes_room_for_new_versions(cluster, conn, connect):
    """More versions than pipeline.stats_max were counted (other tests, and these):
    a new one is still counted, the entry flushed longest ago goes."""
    limit = int(conn.execute("SHOW pipeline.stats_max").fetchone()[0])
    c = connect()
    c.execute("SELECT pipeline.define('st_fill_' || i, '{}') FROM generate_series(1, %s) i", (limit + 10,))
    c.execute("SELECT count(*) FILTER (WHERE pipeline.validate('{}', 'st_fill_' || i))"
              " FROM generate_series(1, %s) i", (limit + 10,))
    define(conn, "st_after_full")
    validate(c, "st_after_full", {"n": 1}, {"n": "x"})
    assert counts(conn, "st_after_full") == (2, 1, 1, 0, 0, "cluster")
    shown = conn.execute("SELECT count(*) FROM pipeline.stats WHERE pipeline LIKE 'st_fill_%'").fetchone()[0]
    assert 0 < shown < limit + 10
    # never more entries than the setting allows (shared memory is not grown into)
    assert conn.execute("SELECT count(*) FROM pipeline.stats").fetchone()[0] <= limit
    c.execute("SELECT pipeline.drop('st_fill_' || i) FROM generate_series(1, %s) i", (limit + 10,))


def test_session_scope_keeps_a_bounded_table(scope, connect):
    """A session that defines and runs new versions for ever keeps the counts of
    1000 versions at most: those it used longest ago make room (without the bound
    each version ever run stayed in the session's memory)."""
    if scope != "session":
        pytest.skip("session scope: a server without the library preloaded")
    c = connect()

    def run(first, last):
        for i in range(first, last):
            c.execute("SELECT pipeline.define('st_many', %s)",
                      (Jsonb({"schema": {"properties": {"n": {"maximum": i}}}}),))
            validate(c, "st_many", {"n": 1})

    def table_bytes():
        return c.execute("SELECT total_bytes FROM pg_backend_memory_contexts"
                         " WHERE name = 'pipeline stats (backend)'").fetchone()[0]

    run(0, 1010)
    kept = c.execute("SELECT count(*), max(version) FROM pipeline.stats WHERE pipeline = 'st_many'").fetchone()
    assert kept == (1000, 1010)
    before = table_bytes()
    run(1010, 1300)
    assert c.execute("SELECT count(*) FROM pipeline.stats WHERE pipeline = 'st_many'").fetchone()[0] == 1000
    assert table_bytes() == before
    c.execute("SELECT pipeline.drop('st_many')")
