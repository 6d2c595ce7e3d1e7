"""Staged versions across sessions: activate() reaches another session's
cached spec at its next statement after the commit (as define() does), a
pinned call keeps its version, and a rolled-back activation reaches nobody."""

from psycopg.types.json import Jsonb


def spec(maximum):
    return Jsonb({"schema": {"type": "integer", "maximum": maximum}})


def validate(c, doc, *args):
    q = "SELECT pipeline.validate(%s, %s)" if len(args) == 1 else "SELECT pipeline.validate(%s, %s, %s)"
    return c.execute(q, (Jsonb(doc), *args)).fetchone()[0]


def test_activate_seen_by_other_session(conn, connect):
    other = connect()
    conn.execute("SELECT pipeline.define('act', %s)", (spec(10),))
    conn.execute("SELECT pipeline.define('act', %s, false)", (spec(5),))
    assert validate(other, 7, "act") is True              # caches v1, the active one
    assert validate(other, 7, "act", 2) is False          # pinned v2, cached apart
    conn.execute("SELECT pipeline.activate('act', 2)")
    assert validate(other, 7, "act") is False             # its next statement sees v2
    assert validate(other, 7, "act", 1) is True           # a pinned call keeps its version
    conn.execute("SELECT pipeline.activate('act', 1)")    # rollback
    assert validate(other, 7, "act") is True


def test_prepared_statement_sees_activation(conn, connect):
    other = connect()
    conn.execute("SELECT pipeline.define('actp', %s)", (spec(10),))
    conn.execute("SELECT pipeline.define('actp', %s, false)", (spec(5),))
    q = "SELECT pipeline.validate(%s, 'actp')"
    assert other.execute(q, (Jsonb(7),), prepare=True).fetchone()[0] is True
    assert other.execute(q, (Jsonb(7),), prepare=True).fetchone()[0] is True
    conn.execute("SELECT pipeline.activate('actp', 2)")
    assert other.execute(q, (Jsonb(7),), prepare=True).fetchone()[0] is False


def test_uncommitted_activation_is_invisible(conn, connect):
    other = connect()
    tx = connect(autocommit=False)
    conn.execute("SELECT pipeline.define('actu', %s)", (spec(10),))
    conn.execute("SELECT pipeline.define('actu', %s, false)", (spec(5),))
    assert validate(other, 7, "actu") is True
    tx.execute("SELECT pipeline.activate('actu', 2)")
    assert validate(tx, 7, "actu") is False               # its own transaction sees it
    assert validate(other, 7, "actu") is True             # nobody else does
    tx.rollback()
    assert validate(other, 7, "actu") is True
    assert conn.execute("SELECT version FROM pipeline.pipelines WHERE name = 'actu' AND active").fetchone()[0] == 1
