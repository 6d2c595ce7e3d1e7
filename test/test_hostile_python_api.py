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
