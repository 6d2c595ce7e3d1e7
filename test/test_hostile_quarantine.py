"""Quarantine and replay under concurrency: every row sent ends up exactly once,
in its table or in pipeline.rejects, while sessions quarantine (rejects.c's
direct insert), replay the same pipeline and move rows to another pipeline's
rejects at the same time.

Uses the fixtures of test/conftest.py: `conn` (autocommit, extension created)
and `connect` (more sessions on the same database).
"""

import json
import threading

import pytest


def define(conn, name, spec):
    return conn.execute("SELECT pipeline.define(%s, %s::jsonb)", (name, json.dumps(spec))).fetchone()[0]


def at_most(n):
    return {"schema": {"properties": {"amount": {"maximum": n}}}, "on_error": "quarantine"}


@pytest.fixture
def table(conn):
    """Table hq_t (unique ids) with pipelines hq_a (maximum) and hq_b (no multiple of 7)."""
    conn.execute("DROP TABLE IF EXISTS hq_t")
    conn.execute("CREATE TABLE hq_t (id int PRIMARY KEY, amount int)")
    conn.execute("TRUNCATE pipeline.rejects")
    for name in ("hq_a", "hq_b"):
        conn.execute("SELECT pipeline.drop(name) FROM pipeline.pipelines WHERE name = %s LIMIT 1", (name,))
    define(conn, "hq_a", at_most(0))
    define(conn, "hq_b", {"schema": {"properties": {"amount": {"not": {"multipleOf": 7}}}},
                          "on_error": "quarantine"})
    conn.execute("SELECT pipeline.attach('hq_t', 'hq_a')")
    conn.execute("SELECT pipeline.attach('hq_t', 'hq_b')")
    yield "hq_t"
    conn.execute("DROP TABLE IF EXISTS hq_t")


def run_all(fns):
    failures = []

    def guard(fn):
        try:
            fn()
        except Exception as e:  # pragma: no cover - reported below
            failures.append(e)

    threads = [threading.Thread(target=guard, args=(fn,)) for fn in fns]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not failures, failures


def test_replays_and_quarantines_at_once_keep_every_row_once(conn, connect, table):
    n = 1200
    conn.execute("INSERT INTO hq_t SELECT i, i FROM generate_series(1, %s) i", (n,))
    assert conn.execute("SELECT count(*) FROM pipeline.rejects").fetchone()[0] == n
    # half of the rejects now pass hq_a; a seventh of them fail hq_b (they move)
    define(conn, "hq_a", at_most(n // 2))
    sent = [0, 0]
    tallies = []

    def replay():
        c = connect(autocommit=False)
        for _ in range(3):
            tallies.append(c.execute("SELECT * FROM pipeline.replay('hq_a')").fetchone())
            c.commit()

    def insert(k):
        c = connect()
        for b in range(20):
            first = n + 1 + (k * 20 + b) * 50
            c.execute("INSERT INTO hq_t SELECT i, i %% %s FROM generate_series(%s::int, %s::int) i",
                      (n, first, first + 49))
            sent[k] += 50

    run_all([replay, replay, lambda: insert(0), lambda: insert(1)])
    total = n + sum(sent)
    stored = conn.execute("SELECT count(*) FROM hq_t").fetchone()[0]
    rejected = conn.execute("SELECT count(*), count(DISTINCT (record->>'id')::int) "
                            "FROM pipeline.rejects").fetchone()
    assert rejected[0] == rejected[1], "a row has two rejects"
    assert stored + rejected[0] == total, "rows were lost or duplicated"
    both = conn.execute("SELECT count(*) FROM hq_t JOIN pipeline.rejects r "
                        "ON (r.record->>'id')::int = hq_t.id").fetchone()[0]
    assert both == 0, "a stored row kept its reject"
    # every reject names the pipeline that refuses it now
    wrong = conn.execute(
        "SELECT count(*) FROM pipeline.rejects WHERE NOT CASE pipeline"
        " WHEN 'hq_a' THEN (record->>'amount')::int > %s"
        " WHEN 'hq_b' THEN (record->>'amount')::int %% 7 = 0 END", (n // 2,)).fetchone()[0]
    assert wrong == 0
    # the first replay of each pair took every original reject once
    assert sum(t[0] + t[1] + t[2] for t in tallies) >= n


def test_stats_quarantined_matches_committed_rejects(conn, connect, table):
    c = connect()
    c.execute("SELECT pipeline.reset_stats('hq_a'), pipeline.reset_stats('hq_b')")
    c.execute("INSERT INTO hq_t SELECT i, i FROM generate_series(1, 300) i")
    counted = dict(c.execute("SELECT pipeline, sum(quarantined) FROM pipeline.stats"
                             " WHERE pipeline IN ('hq_a', 'hq_b') GROUP BY 1").fetchall())
    stored = dict(conn.execute("SELECT pipeline, count(*) FROM pipeline.rejects GROUP BY 1").fetchall())
    assert counted.get("hq_a", 0) == stored.get("hq_a", 0) == 300
    assert counted.get("hq_b", 0) == stored.get("hq_b", 0)


def test_stats_follow_rejects_through_a_replay_that_moves_rows(conn, connect, table):
    """A replayed row refused again counts as failed (its reject stays, updated); one
    another pipeline quarantines counts there and its reject moves: the counts and
    the rejects agree per pipeline."""
    c = connect()
    c.execute("SELECT pipeline.reset_stats('hq_a'), pipeline.reset_stats('hq_b')")
    c.execute("INSERT INTO hq_t SELECT i, i FROM generate_series(1, 300) i")
    define(c, "hq_a", at_most(150))
    tally = c.execute("SELECT * FROM pipeline.replay('hq_a')").fetchone()
    assert tally == (129, 171, 0, 0)
    stats = {(p, v): (chk, ok, bad, q) for p, v, chk, ok, bad, q in c.execute(
        "SELECT pipeline, version, checked, passed, failed, quarantined FROM pipeline.stats"
        " WHERE pipeline IN ('hq_a', 'hq_b')")}
    rejects = dict(conn.execute("SELECT pipeline, count(*) FROM pipeline.rejects GROUP BY 1").fetchall())
    assert stats[("hq_a", 1)] == (300, 0, 0, 300)
    assert stats[("hq_a", 2)] == (300, 150, 150, 0)
    assert stats[("hq_b", 1)] == (150, 129, 0, 21)
    assert rejects == {"hq_a": 150, "hq_b": 21}
    assert conn.execute("SELECT count(*) FROM hq_t").fetchone()[0] == 129
