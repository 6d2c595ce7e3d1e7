"""pgpipeline's typed API used wrongly: wrong argument types must raise, never
pass records silently or blame the extension."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python" / "src"))

import pgpipeline as pp  # noqa: E402


@pytest.fixture
def py5(conn):
    conn.execute("""SELECT pipeline.define('hostile_py5', '{"schema": {"type": "object",
                    "properties": {"n": {"type": "number", "maximum": 10}}}}')""")
    return conn


@pytest.mark.parametrize("call", [
    lambda c, n: pp.validate_many(c, n, [{"n": 11}]),
    lambda c, n: list(pp.check_batches(c, n, [(0, {"n": 11})])),
    lambda c, n: pp.process(c, n, {"n": 11}),
    lambda c, n: pp.define(c, n, {"type": "object"}),
    lambda c, n: pp.drop(c, n),
    lambda c, n: pp.replay(c, n),
    lambda c, n: list(pp.rejects(c, n)),
    lambda c, n: pp.rejects_summary(c, n),
], ids=["validate_many", "check_batches", "process", "define", "drop", "replay", "rejects",
        "rejects_summary"])
@pytest.mark.parametrize("name", [None, 5, b"hostile_py5"], ids=["None", "int", "bytes"])
def test_name_not_a_string_is_type_error(py5, call, name):
    """A None name made validate_many() report every record as passing (the
    SQL functions are STRICT); an int was blamed on a missing extension."""
    with pytest.raises(TypeError, match="name must be a str"):
        call(py5, name)


def test_validate_many_edges(py5):
    assert pp.validate_many(py5, "hostile_py5", []) == []
    assert pp.validate_many(py5, "hostile_py5", iter(())) == []
    fails = pp.validate_many(py5, "hostile_py5", ({"n": i} for i in range(100000)))
    assert len(fails) == 100000 - 11 and fails[0].index == 11
    with pytest.raises(pp.UnknownPipeline):
        pp.validate_many(py5, "hostile_no_such", [{}])


class _CtrlC(dict):
    """A record whose JSON encoding is interrupted, as by Ctrl-C mid-COPY."""

    def items(self):
        raise KeyboardInterrupt


@pytest.mark.parametrize("autocommit", [True, False])
def test_ingest_interrupted_mid_copy_stays_keyboard_interrupt(conn, connect, autocommit):
    """Ctrl-C during a batch's COPY surfaced as psycopg's QueryCanceled (an
    Exception a caller's `except Exception` swallows and carries on after);
    it must stay a KeyboardInterrupt, with .partial the committed counts."""
    conn.execute("DROP TABLE IF EXISTS hostile_ki; CREATE TABLE hostile_ki (d jsonb)")
    c = connect(autocommit=autocommit)
    recs = [{"i": i} for i in range(25)] + [_CtrlC(i=25)] + [{"i": 26}]
    with pytest.raises(KeyboardInterrupt) as ei:
        pp.ingest(c, "hostile_ki", recs, "d", batch=10)
    assert ei.value.partial.sent == 20 and ei.value.partial.stored == 20
    if not autocommit:
        c.rollback()
    stored = conn.execute("SELECT count(*) FROM hostile_ki").fetchone()[0]
    assert stored == (20 if autocommit else 0)
    assert c.execute("SELECT 1").fetchone() == (1,)


def test_ingest_interrupted_between_batches_keeps_partial(conn):
    conn.execute("DROP TABLE IF EXISTS hostile_ki; CREATE TABLE hostile_ki (d jsonb)")

    def source():
        yield from ({"i": i} for i in range(25))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as ei:
        pp.ingest(conn, "hostile_ki", source(), "d", batch=10)
    assert ei.value.partial.sent == 20
    assert conn.execute("SELECT count(*) FROM hostile_ki").fetchone()[0] == 20


@pytest.mark.parametrize("records", ["records.jsonl", b"{}", {"n": 11}], ids=["str", "bytes", "dict"])
def test_validate_many_refuses_a_path_or_one_record(py5, records):
    """A path (as ingest() takes) was checked character by character, one
    record key by key: each "record" reported as failing or passing."""
    with pytest.raises(TypeError, match="iterable of records"):
        pp.validate_many(py5, "hostile_py5", records)
