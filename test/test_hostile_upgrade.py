"""The library newer than the extension's SQL objects, and DROP/CREATE
EXTENSION in one session.

A package upgrade replaces the library at once; the SQL objects stay at
0.1.0 until ALTER EXTENSION pipeline UPDATE.  In between, every function
that reads the registry must say so (55000, with the hint), not fail with
PostgreSQL's `column "active" does not exist`; and nothing may crash.
After the update (in the same session) everything works.
"""

import psycopg
import pytest


@pytest.fixture
def db(connect):
    c = connect()
    c.execute("DROP EXTENSION IF EXISTS pipeline CASCADE")
    c.execute("DROP TABLE IF EXISTS hu")
    c.execute("CREATE EXTENSION pipeline VERSION '0.1.0'")
    c.execute("""SELECT pipeline.define('hu', '{"schema": {"required": ["a"]}, "on_error": "quarantine"}')""")
    c.execute("CREATE TABLE hu (doc jsonb)")
    yield c
    c.execute("DROP TABLE IF EXISTS hu")
    c.execute("DROP EXTENSION IF EXISTS pipeline CASCADE")


@pytest.mark.parametrize("stmt", [
    "SELECT pipeline.validate('{}', 'hu')",
    "SELECT pipeline.errors('{}', 'hu')",
    "SELECT pipeline.process('{}', 'hu')",
    "SELECT pipeline.attach('hu', 'hu', 'doc')",
    "SELECT * FROM pipeline.replay('hu')",
])
def test_old_objects_say_update(db, stmt):
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as e:
        db.execute(stmt)
    assert e.value.diag.message_primary == 'extension "pipeline" must be updated'
    assert e.value.diag.message_hint == "Run ALTER EXTENSION pipeline UPDATE."


def test_old_trigger_says_update_then_works_after_update(db):
    # a trigger attached by hand, as 0.1.0's attach would have made it
    db.execute("CREATE TRIGGER hu_p BEFORE INSERT OR UPDATE ON hu FOR EACH ROW "
               "EXECUTE FUNCTION pipeline.trigger('hu', 'doc')")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
        db.execute("""INSERT INTO hu VALUES ('{"a": 1}')""")
    db.execute("ALTER EXTENSION pipeline UPDATE")
    db.execute("""INSERT INTO hu VALUES ('{"a": 1}'), ('{}')""")
    assert db.execute("SELECT count(*) FROM hu").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM pipeline.rejects").fetchone()[0] == 1
    assert db.execute("SELECT pipeline.validate('{\"a\": 1}', 'hu')").fetchone()[0] is True


def test_drop_and_create_extension_in_one_session(db):
    db.execute("ALTER EXTENSION pipeline UPDATE")
    assert db.execute("SELECT pipeline.validate('{}', 'hu')").fetchone()[0] is False
    db.execute("SELECT pipeline.attach('hu', 'hu', 'doc')")
    db.execute("INSERT INTO hu VALUES ('{}')")
    for _ in range(2):
        db.execute("DROP EXTENSION pipeline CASCADE")
        db.execute("INSERT INTO hu VALUES ('{}')")      # no trigger left
        db.execute("CREATE EXTENSION pipeline")
        with pytest.raises(psycopg.errors.UndefinedObject):
            db.execute("SELECT pipeline.validate('{}', 'hu')")
        db.execute("""SELECT pipeline.define('hu', '{"schema": {"required": ["b"]}, "on_error": "quarantine"}')""")
        db.execute("SELECT pipeline.attach('hu', 'hu', 'doc')")
        db.execute("""INSERT INTO hu VALUES ('{"a": 1}'), ('{"b": 1}')""")
        assert db.execute("SELECT count(*) FROM pipeline.rejects").fetchone()[0] == 1
        assert db.execute("SELECT replayed FROM pipeline.replay('hu')").fetchone()[0] == 0
        assert db.execute("SELECT pipeline.profile(doc) IS NOT NULL FROM hu").fetchone()[0]
