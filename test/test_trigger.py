"""pipeline.trigger through psycopg: errors as clients see them, COPY with
quarantine, and sessions that insert while another redefines the pipeline.

Uses the fixtures of test/conftest.py: `conn` (autocommit, extension created)
and `connect` (more sessions on the same database).
"""

import json
import random
import threading
import time

import psycopg
import pytest

ORDERS = {
    "schema": {
        "type": "object",
        "required": ["email", "amount"],
        "properties": {
            "email": {"type": "string", "format": "email"},
            "amount": {"type": "number", "minimum": 0},
        },
    },
    "transform": [{"op": "trim", "path": "/email"}, {"op": "lower", "path": "/email"}],
}


def define(conn, name, spec):
    return conn.execute("SELECT pipeline.define(%s, %s::jsonb)", (name, json.dumps(spec))).fetchone()[0]


@pytest.fixture
def table(conn):
    """A fresh table `t` (row mode columns plus a jsonb doc) and empty rejects."""
    conn.execute("DROP TABLE IF EXISTS t")
    conn.execute("CREATE TABLE t (id bigserial PRIMARY KEY, email text, amount numeric, doc jsonb)")
    conn.execute("TRUNCATE pipeline.rejects")
    yield "t"
    conn.execute("DROP TABLE IF EXISTS t")


def test_raise_is_a_check_violation_with_table_and_pipeline(conn, table):
    define(conn, "orders_raise", dict(ORDERS, on_error="raise"))
    conn.execute("SELECT pipeline.attach('t', 'orders_raise')")
    with pytest.raises(psycopg.errors.CheckViolation) as exc:
        conn.execute("INSERT INTO t (email, amount) VALUES ('  not-an-email ', -5)")
    diag = exc.value.diag
    assert diag.sqlstate == "23514"
    assert diag.message_primary == 'new row for relation "t" violates pipeline "orders_raise"'
    assert diag.table_name == "t"
    assert diag.schema_name == "public"
    assert diag.constraint_name == "orders_raise"
    lines = diag.message_detail.split("\n")
    assert sorted(lines) == ["/amount: -5 is less than the minimum of 0", "/email: string is not a valid email"]
    # a good row goes in, transformed
    conn.execute("INSERT INTO t (email, amount) VALUES ('  Ada@Example.COM ', 5)")
    assert conn.execute("SELECT email FROM t").fetchall() == [("ada@example.com",)]


def test_column_mode_raise(conn, table):
    define(conn, "docs_raise", dict(ORDERS, on_error="raise"))
    conn.execute("SELECT pipeline.attach('t', 'docs_raise', 'doc')")
    with pytest.raises(psycopg.errors.CheckViolation) as exc:
        conn.execute("INSERT INTO t (doc) VALUES ('{\"email\": \"x\"}')")
    assert exc.value.diag.constraint_name == "docs_raise"
    assert "/email: string is not a valid email" in exc.value.diag.message_detail
    assert "required property \"amount\" is missing" in exc.value.diag.message_detail


@pytest.mark.parametrize("mode", ["column", "row"])
def test_copy_with_quarantine_loses_nothing(conn, table, mode):
    define(conn, "orders_q", dict(ORDERS, on_error="quarantine"))
    if mode == "column":
        conn.execute("SELECT pipeline.attach('t', 'orders_q', 'doc')")
    else:
        conn.execute("SELECT pipeline.attach('t', 'orders_q')")
    rnd = random.Random(4)
    sent, bad = 10000, 0
    rows = []
    for i in range(sent):
        broken = i % 10 == 3
        bad += broken
        email = f"  User{i}@Example.com " if not (broken and i % 20 == 3) else f"user{i}"
        amount = -1 if broken and i % 20 == 13 else rnd.randint(0, 1000)
        rows.append((email, amount))
    with conn.cursor() as cur:
        if mode == "column":
            with cur.copy("COPY t (doc) FROM STDIN") as cp:
                for email, amount in rows:
                    cp.write_row((json.dumps({"email": email, "amount": amount}),))
        else:
            with cur.copy("COPY t (email, amount) FROM STDIN") as cp:
                for email, amount in rows:
                    cp.write_row((email, amount))
        inserted = cur.rowcount
    stored = conn.execute("SELECT count(*) FROM t").fetchone()[0]
    quarantined = conn.execute("SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'orders_q'").fetchone()[0]
    assert inserted == stored == sent - bad
    assert stored + quarantined == sent
    # what went in was transformed, what stayed out is the original record
    if mode == "column":
        assert conn.execute("SELECT count(*) FROM t WHERE doc->>'email' <> lower(trim(doc->>'email'))").fetchone()[0] == 0
        rec = conn.execute("SELECT record FROM pipeline.rejects ORDER BY id LIMIT 1").fetchone()[0]
        assert rec == {"email": "user3", "amount": rows[3][1]}
    else:
        assert conn.execute("SELECT count(*) FROM t WHERE email <> lower(trim(email))").fetchone()[0] == 0
        rec = conn.execute("SELECT record FROM pipeline.rejects ORDER BY id LIMIT 1").fetchone()[0]
        assert rec["email"] == "user3" and rec["doc"] is None
    kinds = conn.execute("SELECT errors->0->>'keywordLocation', count(*) FROM pipeline.rejects GROUP BY 1 ORDER BY 1").fetchall()
    assert kinds == [("/schema/properties/amount/minimum", bad // 2), ("/schema/properties/email/format", bad // 2)]


def spec_with_max(maximum):
    return {"schema": {"properties": {"amount": {"maximum": maximum}}}, "on_error": "quarantine"}


def maximum_of(version):
    """Versions alternate: odd ones take amounts up to 100, even ones up to 150."""
    return 100 if version % 2 == 1 else 150


def test_redefine_while_two_sessions_insert(conn, connect, table):
    conn.execute("SELECT pipeline.drop('conc') FROM pipeline.pipelines WHERE name = 'conc' LIMIT 1")
    assert define(conn, "conc", spec_with_max(maximum_of(1))) == 1
    conn.execute("SELECT pipeline.attach('t', 'conc')")
    stop = threading.Event()
    sent = [0, 0]
    failures = []

    def insert(k):
        try:
            c = connect()
            rnd = random.Random(k)
            while not stop.is_set():
                amounts = [rnd.randint(0, 200) for _ in range(50)]
                c.execute("INSERT INTO t (amount) SELECT unnest(%s::numeric[])", (amounts,))
                sent[k] += len(amounts)
        except Exception as e:  # pragma: no cover - reported below
            failures.append(e)

    def redefine():
        try:
            c = connect()
            for _ in range(12):
                time.sleep(0.05)
                v = c.execute("SELECT max(version) + 1 FROM pipeline.pipelines WHERE name = 'conc'").fetchone()[0]
                assert define(c, "conc", spec_with_max(maximum_of(v))) == v
        except Exception as e:  # pragma: no cover
            failures.append(e)

    workers = [threading.Thread(target=insert, args=(k,)) for k in range(2)]
    definer = threading.Thread(target=redefine)
    for w in workers:
        w.start()
    definer.start()
    definer.join()
    time.sleep(0.1)
    stop.set()
    for w in workers:
        w.join()
    assert not failures, failures

    total = sum(sent)
    stored = conn.execute("SELECT count(*) FROM t").fetchone()[0]
    rejects = conn.execute("SELECT version, (record->>'amount')::numeric FROM pipeline.rejects "
                           "WHERE pipeline = 'conc'").fetchall()
    assert total > 0
    assert stored + len(rejects) == total, "rows were lost or duplicated"
    # each reject was judged by exactly the version it names
    assert all(amount > maximum_of(version) for version, amount in rejects)
    versions = {v for v, _ in rejects}
    assert len(versions) > 1, "the redefinitions were never seen by the inserting sessions"
    # nothing above every version's maximum got in
    assert conn.execute("SELECT count(*) FROM t WHERE amount > 150").fetchone()[0] == 0


def test_concurrent_replays_insert_each_reject_once(conn, connect, table):
    conn.execute("ALTER TABLE t ADD CONSTRAINT t_email_unique UNIQUE (email)")
    define(conn, "rep", {"schema": {"properties": {"amount": {"maximum": 0}}}, "on_error": "quarantine"})
    conn.execute("SELECT pipeline.attach('t', 'rep')")
    n = 3000
    conn.execute("INSERT INTO t (email, amount) SELECT 'u' || i, i FROM generate_series(1, %s) i", (n,))
    assert conn.execute("SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'rep'").fetchone()[0] == n
    define(conn, "rep", {"on_error": "quarantine"})
    results = []
    failures = []

    def replay():
        try:
            c = connect(autocommit=False)
            results.append(c.execute("SELECT * FROM pipeline.replay('rep')").fetchone())
            c.commit()
        except Exception as e:  # pragma: no cover
            failures.append(e)

    threads = [threading.Thread(target=replay) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not failures, failures
    assert sum(r[0] for r in results) == n
    assert sum(r[1] for r in results) == 0
    assert conn.execute("SELECT count(*), count(DISTINCT email) FROM t").fetchone() == (n, n)
    assert conn.execute("SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'rep'").fetchone()[0] == 0
