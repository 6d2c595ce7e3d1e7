"""pgpipeline, the Python package (python/src/pgpipeline), against the server.

Imported from the source tree (python/src) so no install is needed; the
install itself is tested in test_python_package.py.
"""

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python" / "src"))

import pgpipeline as pp  # noqa: E402
from pgpipeline import Violation  # noqa: E402

SCHEMA = {"type": "object", "required": ["id", "email"],
          "properties": {"id": {"type": "integer"}, "email": {"type": "string", "format": "email"}}}


@pytest.fixture
def fresh(conn):
    """Empty registry, quarantine and test tables before each test."""
    conn.execute("DROP TABLE IF EXISTS t_col, t_row, t_raise, t_skip CASCADE")
    conn.execute("DELETE FROM pipeline.rejects")
    conn.execute("DELETE FROM pipeline.pipelines")
    return conn


def counting(monkeypatch, conn):
    """Count statements sent on conn (the package uses conn.execute and cursors)."""
    calls = []
    orig = conn.execute

    def execute(*a, **k):
        calls.append(a[0])
        return orig(*a, **k)

    monkeypatch.setattr(conn, "execute", execute)
    return calls


# -- define, versions, drop

def test_define_dict_bare_schema_and_members(fresh):
    assert pp.define(fresh, "o", {"schema": SCHEMA}) == 1
    assert pp.define(fresh, "o", SCHEMA, on_error="quarantine") == 2   # bare schema wrapped
    vs = pp.versions(fresh, "o")
    assert [v.version for v in vs] == [1, 2]
    assert vs[1].spec == {"schema": SCHEMA, "on_error": "quarantine"}
    pp.drop(fresh, "o")
    with pytest.raises(pp.UnknownPipeline):
        pp.versions(fresh, "o")
    with pytest.raises(pp.UnknownPipeline):
        pp.drop(fresh, "o")


def test_define_from_file(fresh, tmp_path):
    f = tmp_path / "spec.json"
    f.write_text(json.dumps({"schema": SCHEMA, "formats": "annotate"}))
    assert pp.define(fresh, "f", f) == 1
    assert pp.define(fresh, "f", str(f)) == 2
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "schema": {\n  }\n  "x": 1}\n')
    with pytest.raises(pp.SourceError) as e:
        pp.define(fresh, "f", bad)
    assert e.value.line == 4 and str(e.value).startswith(f"{bad}:4: not valid JSON")


def test_define_refused_spec_is_a_server_error(fresh):
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="unknown member"):
        pp.define(fresh, "bad", {"schema": SCHEMA, "on_eror": "skip"})


class FakeV2:
    """What pydantic v2 offers: a classmethod model_json_schema()."""

    @classmethod
    def model_json_schema(cls):
        return {"type": "object", "required": ["sku"], "properties": {"sku": {"type": "string"}}}


class FakeV1:
    """What pydantic v1 offers: a classmethod schema()."""

    @classmethod
    def schema(cls):
        return {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}


def test_define_from_model_classes(fresh):
    pp.define(fresh, "v2", FakeV2)
    pp.define(fresh, "v1", FakeV1, on_error="skip")
    assert pp.versions(fresh, "v1")[0].spec["on_error"] == "skip"
    assert [f.index for f in pp.validate_many(fresh, "v2", [{"sku": "a"}, {"sku": 1}])] == [1]
    assert [f.index for f in pp.validate_many(fresh, "v1", [{"n": "x"}, {"n": 1}])] == [0]
    with pytest.raises(TypeError, match="not a pydantic model"):
        pp.define(fresh, "x", int)


def test_define_from_real_pydantic(fresh):
    pydantic = pytest.importorskip("pydantic")

    class Item(pydantic.BaseModel):
        sku: str
        qty: int

    class Order(pydantic.BaseModel):
        id: int
        items: list[Item]

    pp.define(fresh, "pyd", Order)
    bad = pp.validate_many(fresh, "pyd", [{"id": 1, "items": [{"sku": "a", "qty": 1}]},
                                          {"id": 2, "items": [{"sku": "a", "qty": "x"}]}])
    assert [(f.index, [v.instance_path for v in f.violations]) for f in bad] == [(1, ["/items/0/qty"])]


# -- validate_many, process

def test_validate_many_shape_and_round_trips(fresh, monkeypatch):
    pp.define(fresh, "o", SCHEMA)
    records = [{"id": i, "email": f"u{i}@example.com"} for i in range(25)]
    records[3] = {"id": "x", "email": "u@example.com"}
    records[20] = {"email": "not-an-email"}
    calls = counting(monkeypatch, fresh)
    failures = pp.validate_many(fresh, "o", records, batch=10)
    assert len(calls) == 3                         # 25 records, batches of 10
    assert [f.index for f in failures] == [3, 20]
    assert failures[0].violations == [
        Violation("/id", "/schema/properties/id/type", "expected integer, got string")]
    v = failures[1].violations
    assert {x.keyword_path for x in v} == {"/schema/required", "/schema/properties/email/format"}
    assert all(isinstance(x, Violation) and x.message for x in v)
    assert str(failures[0].violations[0]) == \
        "/id: expected integer, got string [/schema/properties/id/type]"
    calls.clear()
    assert pp.validate_many(fresh, "o", []) == [] and calls == []


def test_validate_many_unknown_pipeline(fresh):
    with pytest.raises(pp.UnknownPipeline) as e:
        pp.validate_many(fresh, "nope", [{}])
    assert e.value.name == "nope"


def test_process_raises_pipeline_violation(fresh):
    pp.define(fresh, "p", {"transform": [{"op": "trim", "path": "/email"}], "schema": SCHEMA})
    assert pp.process(fresh, "p", {"id": 1, "email": " a@example.com "}) == \
        {"id": 1, "email": "a@example.com"}
    with pytest.raises(pp.PipelineViolation) as e:
        pp.process(fresh, "p", {"id": "x"})
    assert e.value.pipeline == "p" and e.value.table is None
    assert isinstance(e.value.__cause__, psycopg.errors.CheckViolation)
    assert Violation("/id", "", "expected integer, got string") in e.value.violations


# -- ingest

def test_ingest_column_mode_counts_add_up(fresh):
    fresh.execute("CREATE TABLE t_col (id serial, doc jsonb NOT NULL)")
    pp.define(fresh, "c", {"schema": SCHEMA, "on_error": "quarantine",
                           "transform": [{"op": "coerce", "path": "/id", "to": "integer"}]})
    fresh.execute("SELECT pipeline.attach('t_col', 'c', 'doc')")
    recs = [{"id": i, "email": "a@example.com"} for i in range(30)]
    for i in (2, 11, 12, 29):
        recs[i] = {"id": "not a number", "email": "a@example.com"}
    recs[5]["id"] = "5"                           # fixed by the coerce step: stored
    r = pp.ingest(fresh, "t_col", recs, column="doc", batch=7)
    assert (r.sent, r.stored, r.quarantined, r.skipped, r.batches) == (30, 26, 4, 0, 5)
    assert fresh.execute("SELECT count(*) FROM t_col").fetchone()[0] == 26
    assert fresh.execute("SELECT count(*) FROM pipeline.rejects").fetchone()[0] == 4


def test_ingest_counts_ignore_other_sessions(fresh, connect):
    """Rejects another session adds meanwhile are not counted as ours."""
    fresh.execute("CREATE TABLE t_col (doc jsonb)")
    pp.define(fresh, "c", {"schema": SCHEMA, "on_error": "quarantine"})
    fresh.execute("SELECT pipeline.attach('t_col', 'c', 'doc')")
    other = connect()

    def gen():
        for i in range(20):
            if i == 10:    # between batches, another session quarantines 3
                other.execute("INSERT INTO t_col VALUES ('{}'), ('{}'), ('{}')")
            yield {"id": i} if i % 2 else {"id": i, "email": "a@example.com"}

    r = pp.ingest(fresh, "t_col", gen(), column="doc", batch=4)
    assert (r.sent, r.stored, r.quarantined, r.skipped) == (20, 10, 10, 0)


def test_ingest_skip_mode_and_row_mode_jsonl(fresh, tmp_path):
    fresh.execute("CREATE TABLE t_skip (id integer, email text, extra jsonb)")
    pp.define(fresh, "s", {"schema": {"properties": {"email": {"format": "email"}}},
                           "on_error": "skip"})
    fresh.execute("SELECT pipeline.attach('t_skip', 's')")
    f = tmp_path / "in.jsonl"
    f.write_text('{"id": 1, "email": "a@example.com", "extra": {"k": [1]}}\n\n'
                 '{"id": 2, "email": "nope"}\n{"id": 3}\n')
    r = pp.ingest(fresh, "t_skip", f)
    assert (r.sent, r.stored, r.quarantined, r.skipped) == (3, 2, 0, 1)
    assert fresh.execute("SELECT extra FROM t_skip WHERE id = 1").fetchone()[0] == {"k": [1]}


def test_ingest_csv_row_mode(fresh, tmp_path):
    fresh.execute("CREATE TABLE t_row (id integer, email text, note text)")
    pp.define(fresh, "r", {"schema": SCHEMA, "on_error": "quarantine"})
    fresh.execute("SELECT pipeline.attach('t_row', 'r')")
    f = tmp_path / "in.csv"
    f.write_text("id,email,note\n1,a@example.com,\n2,bad,\"x, y\"\n3,b@example.com,z\n")
    r = pp.ingest(fresh, "t_row", f)
    assert (r.sent, r.stored, r.quarantined) == (3, 2, 1)
    assert fresh.execute("SELECT note FROM t_row ORDER BY id").fetchall() == [(None,), ("z",)]


def test_ingest_without_rejects_privilege(fresh):
    """A role that may insert but not read pipeline.rejects still gets counts
    that add up: the table's pipelines all quarantine."""
    fresh.execute("CREATE TABLE t_col (doc jsonb)")
    pp.define(fresh, "c", {"schema": SCHEMA, "on_error": "quarantine"})
    fresh.execute("SELECT pipeline.attach('t_col', 'c', 'doc')")
    fresh.execute("DROP ROLE IF EXISTS pp_writer")
    fresh.execute("CREATE ROLE pp_writer")
    fresh.execute("GRANT INSERT, SELECT ON t_col TO pp_writer")
    fresh.execute("SET ROLE pp_writer")
    try:
        r = pp.ingest(fresh, "t_col", [{"id": 1, "email": "a@example.com"}, {"id": 2}],
                      column="doc")
    finally:
        fresh.execute("RESET ROLE")
        fresh.execute("DROP OWNED BY pp_writer")
        fresh.execute("DROP ROLE pp_writer")
    assert (r.sent, r.stored, r.quarantined, r.skipped) == (2, 1, 1, 0)


def test_ingest_raise_mode(fresh):
    fresh.execute("CREATE TABLE t_raise (id integer, email text)")
    pp.define(fresh, "x", {"schema": {"required": ["id"], "properties": {
        "email": {"type": "string"}}}})
    fresh.execute("SELECT pipeline.attach('t_raise', 'x')")
    recs = [{"id": 1, "email": "a"}, {"id": 2, "email": "b"}, {"id": 3, "email": "c"},
            {"id": 4}, {"id": 5, "email": "e"}]
    with pytest.raises(pp.PipelineViolation) as e:
        pp.ingest(fresh, "t_raise", recs, batch=2)
    v = e.value
    assert (v.pipeline, v.table, v.schema, v.record) == ("x", "t_raise", "public", 4)
    assert v.violations == [Violation("/email", "", "expected string, got null")]
    assert (v.partial.sent, v.partial.stored) == (2, 2)   # the first batch committed
    assert fresh.execute("SELECT count(*) FROM t_raise").fetchone()[0] == 2


def test_ingest_in_callers_transaction(fresh, connect):
    """Without autocommit, ingest runs in the caller's transaction: nothing
    is committed until the caller commits."""
    fresh.execute("CREATE TABLE t_col (doc jsonb)")
    pp.define(fresh, "c", {"schema": SCHEMA, "on_error": "quarantine"})
    fresh.execute("SELECT pipeline.attach('t_col', 'c', 'doc')")
    tx = connect(autocommit=False)
    r = pp.ingest(tx, "t_col", [{"id": 1, "email": "a@example.com"}, {}, {}], column="doc",
                  batch=2)
    assert (r.stored, r.quarantined) == (1, 2)
    assert fresh.execute("SELECT count(*) FROM t_col").fetchone()[0] == 0
    tx.commit()
    assert fresh.execute("SELECT count(*) FROM t_col").fetchone()[0] == 1


def test_ingest_errors(fresh, tmp_path):
    fresh.execute("CREATE TABLE t_row (id integer)")
    with pytest.raises(pp.PipelineError, match='table "nope" does not exist'):
        pp.ingest(fresh, "nope", [{}])
    with pytest.raises(pp.PipelineError, match='column "doc" of table t_row does not exist'):
        pp.ingest(fresh, "t_row", [{}], column="doc")
    with pytest.raises(pp.PipelineError, match='record 2: table t_row has no column "x"'):
        pp.ingest(fresh, "t_row", [{"id": 1}, {"x": 1}])
    f = tmp_path / "bad.jsonl"
    f.write_text('{"id": 1}\n{"id": 2\n')
    with pytest.raises(pp.SourceError, match=r"bad.jsonl:2: not valid JSON"):
        pp.ingest(fresh, "t_row", f)
    f = tmp_path / "bad.csv"
    f.write_text("id\n1\n2,3\n")
    with pytest.raises(pp.SourceError, match=r"bad.csv:3: 2 fields where the header has 1"):
        pp.ingest(fresh, "t_row", f)


def test_ingest_progress_bar(fresh, capsys):
    pytest.importorskip("tqdm")
    fresh.execute("CREATE TABLE t_col (doc jsonb)")
    r = pp.ingest(fresh, "t_col", [{"a": i} for i in range(50)], column="doc", batch=20,
                  progress=True)
    assert (r.sent, r.stored, r.batches) == (50, 50, 3)
    assert "50/50" in capsys.readouterr().err


# -- quarantine: rejects, summary, replay

def quarantine_some(conn, n_bad=5):
    conn.execute("CREATE TABLE t_col (doc jsonb)")
    pp.define(conn, "q", {"schema": SCHEMA, "on_error": "quarantine"})
    conn.execute("SELECT pipeline.attach('t_col', 'q', 'doc')")
    recs = [{"id": i, "email": "a@example.com"} for i in range(10)]
    recs += [{"id": str(i), "email": "a@example.com"} for i in range(n_bad - 1)] + [{"email": "x"}]
    return pp.ingest(conn, "t_col", recs, column="doc")


def test_rejects_iterate_and_summary(fresh):
    quarantine_some(fresh)
    got = list(pp.rejects(fresh, "q", page=2))      # paged: 2, 2, 1
    assert len(got) == 5 and [r.id for r in got] == sorted(r.id for r in got)
    r = got[0]
    assert (r.pipeline, r.version, r.relation, r.operation, r.record_column) == \
        ("q", 1, "t_col", "INSERT", "doc")
    assert r.violations == [Violation("/id", "/schema/properties/id/type",
                                      "expected integer, got string")]
    assert len(list(pp.rejects(fresh, "q", limit=3, page=2))) == 3
    assert len(list(pp.rejects(fresh, "q", table="t_col"))) == 5
    assert list(pp.rejects(fresh, "other")) == []
    summary = pp.rejects_summary(fresh, "q")
    assert [(k.keyword_path, k.violations, k.records) for k in summary] == [
        ("/schema/properties/id/type", 4, 4),
        ("/schema/properties/email/format", 1, 1),
        ("/schema/required", 1, 1)]


def test_replay_after_fixing_the_spec(fresh):
    quarantine_some(fresh)
    assert pp.replay(fresh, "q") == pp.ReplayResult(0, 5)
    pp.define(fresh, "q", {"schema": SCHEMA, "on_error": "quarantine",
                           "transform": [{"op": "coerce", "path": "/id", "to": "integer"}]})
    assert pp.replay(fresh, "q") == pp.ReplayResult(4, 1)
    assert fresh.execute("SELECT count(*) FROM t_col").fetchone()[0] == 14


# -- profile

def test_stats_and_reset(fresh):
    pp.define(fresh, "st_py", {"schema": SCHEMA})
    pp.reset_stats(fresh, "st_py")
    assert pp.validate_many(fresh, "st_py", [{"id": 1, "email": "a@example.com"}, {"id": "x"}])
    [s] = pp.stats(fresh, "st_py")
    # validate_many: validate() on each record, then errors() on the failing one
    assert (s.pipeline, s.version, s.checked, s.passed, s.failed) == ("st_py", 1, 3, 1, 2)
    assert s.time_ms >= 0 and s.scope in ("cluster", "session")
    assert any(x.pipeline == "st_py" for x in pp.stats(fresh))
    pp.reset_stats(fresh, "st_py")
    assert pp.stats(fresh, "st_py") == []


def test_profile_row_and_column(fresh):
    fresh.execute("CREATE TABLE t_row (id integer, email text, doc jsonb)")
    fresh.execute("""INSERT INTO t_row VALUES (1, 'a', '{"k": 1}'), (2, NULL, '{"k": 3}'),
                                              (3, 'c', '{"k": "s"}')""")
    p = pp.profile(fresh, "t_row")
    assert isinstance(p, dict) and p.documents == 3
    assert p.fields["/email"]["nulls"] == 1 and p.fields["/id"]["max"] == 3
    text = str(p)
    assert text.splitlines()[0] == "3 documents"
    assert any(line.split()[:3] == ["/id", "3", "0"] for line in text.splitlines())
    c = pp.profile(fresh, "t_row", column="doc")
    assert c.fields["/k"]["types"] == {"number": 2, "string": 1}
    assert pp.profile(fresh, "t_row", "doc") == c
    fresh.execute("CREATE TABLE t_col (doc jsonb)")
    assert pp.profile(fresh, "t_col", "doc").documents == 0
    with pytest.raises(pp.PipelineError, match='column "nope"'):
        pp.profile(fresh, "t_row", "nope")


# -- errors

def test_translated_turns_trigger_errors_into_pipeline_violations(fresh):
    fresh.execute("CREATE TABLE t_raise (doc jsonb, n integer CHECK (n > 0))")
    pp.define(fresh, "x", {"schema": SCHEMA})
    fresh.execute("SELECT pipeline.attach('t_raise', 'x', 'doc')")
    with pytest.raises(pp.PipelineViolation) as e:
        with pp.translated():
            fresh.execute("INSERT INTO t_raise VALUES ('{\"id\": 1}', 1)")
    assert (e.value.pipeline, e.value.table) == ("x", "t_raise")
    assert str(e.value) == ('new row for relation "t_raise" violates pipeline "x"\n'
                            '  /: required property "email" is missing')
    with pytest.raises(psycopg.errors.CheckViolation) as e2:    # a plain CHECK stays itself
        with pp.translated():
            fresh.execute("""INSERT INTO t_raise VALUES ('{"id": 1, "email": "a@example.com"}', 0)""")
    assert not isinstance(e2.value, pp.PipelineError)


def test_extension_missing(admin_conn, dbname):
    name = f"{dbname}_noext"[:63]
    admin_conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    admin_conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with psycopg.connect(dbname=name, autocommit=True) as c:
            with pytest.raises(pp.ExtensionMissing, match="CREATE EXTENSION pipeline"):
                pp.validate_many(c, "o", [{}])
    finally:
        admin_conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_source_errors_name_the_line():
    from pgpipeline.sources import numbered
    assert list(numbered(io.StringIO and [{"a": 1}])) == [(1, {"a": 1})]
    with pytest.raises(pp.SourceError) as e:
        list(numbered("/nonexistent/x.jsonl"))
    assert "No such file" in str(e.value)


# -- typing

def test_mypy_strict():
    """The package is `mypy --strict` clean (Debian's python3-mypy)."""
    if subprocess.run([sys.executable, "-c", "import mypy"], capture_output=True).returncode:
        if os.environ.get("CI") == "true":
            pytest.fail("mypy is missing (apt-get install python3-mypy)")
        pytest.skip("mypy is not installed (apt-get install python3-mypy)")
    cache = ROOT / "python" / ".mypy_cache"
    r = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache),
                        str(ROOT / "python" / "src")], capture_output=True, text=True)
    shutil.rmtree(cache, ignore_errors=True)
    assert r.returncode == 0, r.stdout + r.stderr
