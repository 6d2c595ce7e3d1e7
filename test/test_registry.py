"""Registry across sessions: a new version, a re-registered schema or a drop
is seen by every other session's next statement, through relcache
invalidation (no polling), and an uncommitted define is seen by nobody else."""

import threading
import time

import psycopg
import pytest
from psycopg.types.json import Jsonb


def spec(minimum):
    return Jsonb({"schema": {"type": "integer", "minimum": minimum}})


def validate(c, doc, name):
    return c.execute("SELECT pipeline.validate(%s, %s)", (Jsonb(doc), name)).fetchone()[0]


def test_new_version_seen_by_other_session(conn, connect):
    other = connect()
    conn.execute("SELECT pipeline.define('v', %s)", (spec(10),))
    assert validate(other, 5, "v") is False          # other compiles and caches v1
    conn.execute("SELECT pipeline.define('v', %s)", (spec(0),))
    assert validate(other, 5, "v") is True           # its next statement sees v2
    conn.execute("SELECT pipeline.define('v', %s)", (spec(10),))
    assert validate(other, 5, "v") is False          # and v3


def test_define_while_another_session_validates(conn, connect):
    """Defines in one session while another validates in a loop: each of the
    loop's statements that starts after a define committed sees that version
    (from its next statement on, never an older one), and none that ended
    before it does."""
    other = connect()
    conn.execute("SELECT pipeline.define('conc', %s)", (spec(10),))
    runs = []              # (started, ended, verdict) of the loop's statements
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            t0 = time.monotonic()
            v = validate(other, 5, "conc")
            runs.append((t0, time.monotonic(), v))

    th = threading.Thread(target=loop)
    th.start()
    try:
        commits = []       # (define began, define committed, verdict it brings)
        for minimum, verdict in ((0, True), (10, False), (0, True)):
            n = len(runs)
            while len(runs) < n + 20 and th.is_alive():
                time.sleep(0.005)
            t0 = time.monotonic()
            conn.execute("SELECT pipeline.define('conc', %s)", (spec(minimum),))
            commits.append((t0, time.monotonic(), verdict))
        n = len(runs)
        while len(runs) < n + 20 and th.is_alive():
            time.sleep(0.005)
    finally:
        stop.set()
        th.join(10)
    assert len(runs) >= 80, "the validating session stopped"
    bounds = [(-1.0, -1.0, False)] + commits + [(float("inf"), float("inf"), None)]
    wrong = []
    for (_, committed, verdict), (began_next, _, _) in zip(bounds, bounds[1:]):
        # started after this version committed, ended before the next began
        wrong += [r for r in runs if r[0] > committed and r[1] < began_next and r[2] is not verdict]
    assert not wrong, f"{len(wrong)} statements saw an older version: {wrong[:5]}"


def test_prepared_statement_sees_new_version(conn, connect):
    other = connect()
    conn.execute("SELECT pipeline.define('prep', %s)", (spec(10),))
    q = "SELECT pipeline.validate(%s, 'prep')"
    assert other.execute(q, (Jsonb(5),), prepare=True).fetchone()[0] is False
    assert other.execute(q, (Jsonb(5),), prepare=True).fetchone()[0] is False
    conn.execute("SELECT pipeline.define('prep', %s)", (spec(0),))
    assert other.execute(q, (Jsonb(5),), prepare=True).fetchone()[0] is True


def test_uncommitted_define_is_invisible(conn, connect):
    other = connect()
    conn.execute("SELECT pipeline.define('tx', %s)", (spec(10),))
    assert validate(other, 5, "tx") is False
    writer = connect(autocommit=False)
    writer.execute("SELECT pipeline.define('tx', %s)", (spec(0),))
    assert validate(other, 5, "tx") is False         # not committed yet
    assert validate(writer, 5, "tx") is True         # but the writer sees its own
    writer.rollback()
    assert validate(other, 5, "tx") is False
    assert validate(writer, 5, "tx") is False        # rolled back: v1 again
    assert conn.execute("SELECT max(version) FROM pipeline.pipelines WHERE name = 'tx'").fetchone()[0] == 1


def test_one_version_per_statement(conn, connect):
    """A statement that is running keeps the version it started with for the
    rows it already judged; it never mixes versions within one row."""
    conn.execute("SELECT pipeline.define('stmt', %s)", (spec(0),))
    other = connect()
    rows = other.execute(
        "SELECT pipeline.validate(to_jsonb(i), 'stmt') FROM generate_series(-5, 5) i").fetchall()
    assert [r[0] for r in rows] == [False] * 5 + [True] * 6


def test_registered_schema_change_recompiles(conn, connect):
    other = connect()
    conn.execute("SELECT pipeline.register_schema('https://example.test/n.json', %s)",
                 (Jsonb({"maximum": 10}),))
    conn.execute("SELECT pipeline.define('remote', %s)",
                 (Jsonb({"schema": {"$ref": "https://example.test/n.json"}}),))
    assert validate(other, 20, "remote") is False
    conn.execute("SELECT pipeline.register_schema('https://example.test/n.json', %s)",
                 (Jsonb({"maximum": 100}),))
    assert validate(other, 20, "remote") is True


def test_compat_functions_never_read_the_registry(conn, connect):
    """IMMUTABLE: a registered schema is out of the compat functions' reach,
    so re-registering it cannot change what a CHECK constraint accepts."""
    other = connect()
    conn.execute("SELECT pipeline.register_schema('https://example.test/c.json', %s)",
                 (Jsonb({"type": "string"}),))
    q = "SELECT pipeline.jsonb_matches_schema('{\"$ref\": \"https://example.test/c.json\"}', %s)"
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="cannot be resolved by the pg_jsonschema-compatible"):
        other.execute(q, (Jsonb(1),), prepare=True)


def test_compat_cache_survives_registry_changes(conn, connect):
    """The backend-wide compat cache keeps answering across statements and
    registry changes (it never depends on the registry)."""
    other = connect()
    q = "SELECT pipeline.jsonb_matches_schema('{\"type\": \"integer\"}', %s)"
    assert other.execute(q, (Jsonb(1),), prepare=True).fetchone()[0] is True
    conn.execute("SELECT pipeline.register_schema('https://example.test/c2.json', %s)",
                 (Jsonb({"type": "string"}),))
    assert other.execute(q, (Jsonb(1),), prepare=True).fetchone()[0] is True
    assert other.execute(q, (Jsonb("1"),), prepare=True).fetchone()[0] is False


def test_drop_seen_by_other_session(conn, connect):
    other = connect()
    conn.execute("SELECT pipeline.define('gone', %s)", (spec(0),))
    assert validate(other, 1, "gone") is True
    conn.execute("SELECT pipeline.drop('gone')")
    with pytest.raises(psycopg.errors.UndefinedObject, match='pipeline "gone" does not exist'):
        validate(other, 1, "gone")
    conn.execute("SELECT pipeline.define('gone', %s)", (spec(5),))
    assert validate(other, 1, "gone") is False       # a new pipeline of the same name


def test_bad_spec_error_names_pointer(conn):
    with pytest.raises(psycopg.errors.InvalidParameterValue) as e:
        conn.execute("SELECT pipeline.define('bad', %s)",
                     (Jsonb({"schema": {"properties": {"a": {"pattern": "(("}}}}),))
    assert e.value.diag.message_primary.startswith("spec /schema/properties/a/pattern:")
