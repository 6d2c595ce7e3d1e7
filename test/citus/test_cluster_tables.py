"""Pipeline triggers on Citus distributed and reference tables: they run on
the shards, in row and column mode, with raise, quarantine and skip."""

import json

import psycopg
import pytest


def spec(on_error, **extra):
    s = {"schema": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 5}}},
         "transform": [{"op": "trim", "path": "/name"}], "on_error": on_error}
    s.update(extra)
    return json.dumps(s)


def doc_spec(on_error):
    return json.dumps({"schema": {"type": "object", "required": ["sku"],
                                  "properties": {"sku": {"type": "string", "maxLength": 5}}},
                       "transform": [{"op": "upper", "path": "/sku"}], "on_error": on_error})


def fresh_table(coord, table, kind, columns="id bigint, name text"):
    coord.execute(f"DROP TABLE IF EXISTS {table}")
    coord.execute(f"CREATE TABLE {table} ({columns})")
    if kind == "distributed":
        coord.execute("SELECT create_distributed_table(%s, 'id', shard_count := 4)", (table,))
    else:
        coord.execute("SELECT create_reference_table(%s)", (table,))


def fresh_pipeline(coord, name, s):
    """Define pipeline name afresh, without what an earlier run left."""
    coord.execute("SELECT run_command_on_all_nodes(%s)",
                  (f"DELETE FROM pipeline.rejects WHERE pipeline = '{name}'",))
    coord.execute("SELECT pipeline.drop(%s) WHERE EXISTS (SELECT FROM pipeline.pipelines WHERE name = %s)",
                  (name, name))
    coord.execute("SELECT pipeline.define(%s, %s)", (name, s))


def placements(coord, table):
    """{node: rows} of every placement of the table's shards."""
    rows = coord.execute(
        "SELECT nodename || ':' || nodeport, sum(result::bigint)::bigint"
        " FROM run_command_on_placements(%s, 'SELECT count(*) FROM %%s') GROUP BY 1", (table,)).fetchall()
    return dict(rows)


def rejects_by_node(coord, name):
    return dict(coord.execute("SELECT node, count(*) FROM pipeline.cluster_rejects(%s) GROUP BY node",
                              (name,)).fetchall())


def test_attach_refused_without_unsafe_triggers(nodes, coord):
    fresh_table(coord, "ct_guc", "distributed")
    fresh_table(coord, "ct_guc_ref", "reference")
    fresh_pipeline(coord, "ct_guc", spec("raise"))
    with nodes[0].conn() as c:
        with pytest.raises(psycopg.errors.FeatureNotSupported,
                           match="cannot attach pipeline \"ct_guc\" to distributed table") as e:
            c.execute("SELECT pipeline.attach('ct_guc', 'ct_guc')")
        assert "citus.enable_unsafe_triggers" in e.value.diag.message_hint
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="to reference table"):
            c.execute("SELECT pipeline.attach('ct_guc_ref', 'ct_guc')")
    coord.execute("SELECT pipeline.attach('ct_guc', 'ct_guc')")
    coord.execute("SELECT pipeline.attach('ct_guc_ref', 'ct_guc')")
    coord.execute("DROP TABLE ct_guc, ct_guc_ref")


def test_step_writing_the_distribution_column_is_refused(coord, node_conns):
    fresh_table(coord, "ct_dist", "distributed")
    fresh_pipeline(coord, "ct_dist", json.dumps({"transform": [{"op": "set", "path": "/id", "value": 1}]}))
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="distribution column"):
        coord.execute("SELECT pipeline.attach('ct_dist', 'ct_dist')")
    fresh_pipeline(coord, "ct_dist", spec("raise"))
    coord.execute("SELECT pipeline.attach('ct_dist', 'ct_dist')")
    # a new version may not start writing it either, and then no node changes
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="Step /transform/0 writes column \"id\""):
        coord.execute("SELECT pipeline.define('ct_dist', %s)",
                      (json.dumps({"transform": [{"op": "rename", "path": "/name", "to": "/id"}]}),))
    for c in node_conns:
        assert c.execute("SELECT max(version) FROM pipeline.pipelines WHERE name = 'ct_dist'").fetchone()[0] == 1
    # column mode on the distribution column itself
    fresh_table(coord, "ct_distdoc", "distributed", "id jsonb, doc jsonb")
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="distribution column"):
        coord.execute("SELECT pipeline.attach('ct_distdoc', 'ct_dist', 'id')")
    coord.execute("DROP TABLE ct_dist, ct_distdoc")


@pytest.mark.parametrize("kind", ["distributed", "reference"])
def test_raise_reaches_the_client_with_its_fields(coord, kind):
    table = f"ct_raise_{kind}"
    fresh_table(coord, table, kind)
    fresh_pipeline(coord, table, spec("raise"))
    coord.execute("SELECT pipeline.attach(%s, %s)", (table, table))
    coord.execute(f"INSERT INTO {table} VALUES (1, '  ok  ')")
    for stmt in ("insert", "copy"):
        with pytest.raises(psycopg.errors.CheckViolation) as e:
            if stmt == "insert":
                coord.execute(f"INSERT INTO {table} VALUES (2, 'far too long')")
            else:
                with coord.cursor().copy(f"COPY {table} FROM STDIN") as cp:
                    for i in range(3, 40):
                        cp.write_row((i, "fine" if i < 20 else "far too long"))
        d = e.value.diag
        assert e.value.sqlstate == "23514"
        assert d.table_name == table
        assert d.constraint_name == table
        assert "/name" in d.message_detail
    assert coord.execute(f"SELECT id, name FROM {table}").fetchall() == [(1, "ok")]
    coord.execute(f"DROP TABLE {table}")


@pytest.mark.parametrize("kind", ["distributed", "reference"])
def test_quarantine_and_skip_row_and_column_mode(coord, node_conns, kind):
    for mode in ("row", "column"):
        for on_error in ("quarantine", "skip"):
            table = f"ct_{kind[:3]}_{mode}_{on_error}"
            if mode == "row":
                fresh_table(coord, table, kind)
                fresh_pipeline(coord, table, spec(on_error))
                coord.execute("SELECT pipeline.attach(%s, %s)", (table, table))
                rows = [(i, " short " if i % 4 else "much too long") for i in range(1, 41)]
            else:
                fresh_table(coord, table, kind, "id bigint, doc jsonb")
                fresh_pipeline(coord, table, doc_spec(on_error))
                coord.execute("SELECT pipeline.attach(%s, %s, 'doc')", (table, table))
                rows = [(i, json.dumps({"sku": "ab"} if i % 4 else {"sku": "toolong"})) for i in range(1, 41)]
            with coord.cursor().copy(f"COPY {table} FROM STDIN") as cp:
                for r in rows:
                    cp.write_row(r)
            kept = coord.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            assert kept == 30
            if mode == "row":
                assert coord.execute(f"SELECT DISTINCT name FROM {table}").fetchall() == [("short",)]
            else:
                assert coord.execute(f"SELECT DISTINCT doc->>'sku' FROM {table}").fetchall() == [("AB",)]
            rejects = rejects_by_node(coord, table)
            if on_error == "skip":
                assert rejects == {}
            elif kind == "distributed":
                # each reject on the worker holding the row's shard
                assert sum(rejects.values()) == 10
                bad = coord.execute(
                    "SELECT r.node, n.nodename || ':' || n.nodeport FROM pipeline.cluster_rejects(%s) r"
                    " JOIN pg_dist_placement p USING (shardid) JOIN pg_dist_node n USING (groupid)",
                    (table,)).fetchall()
                assert len(bad) == 10 and all(a == b for a, b in bad)
                assert set(r[0] for r in coord.execute(
                    "SELECT relation FROM pipeline.cluster_rejects(%s)", (table,)).fetchall()) == {f"public.{table}"}
            else:
                # every placement (coordinator and both workers) refused its copy
                assert rejects == {n: 10 for n in placements(coord, table)}
                assert len(rejects) == 3
            coord.execute(f"DROP TABLE {table}")
            coord.execute("DELETE FROM pipeline.rejects WHERE pipeline = %s", (table,))
            for c in node_conns[1:]:
                c.execute("DELETE FROM pipeline.rejects WHERE pipeline = %s", (table,))


def test_rejects_commit_and_abort_with_the_rows(coord, nodes):
    fresh_table(coord, "ct_tx", "distributed")
    fresh_pipeline(coord, "ct_tx", spec("quarantine"))
    coord.execute("SELECT pipeline.attach('ct_tx', 'ct_tx')")
    rows = [(i, "ok" if i % 2 else "far too long") for i in range(1, 21)]
    for commit in (False, True):
        with nodes[0].conn(autocommit=False) as c:
            with c.cursor().copy("COPY ct_tx FROM STDIN") as cp:
                for r in rows:
                    cp.write_row(r)
            c.commit() if commit else c.rollback()
        stored = coord.execute("SELECT count(*) FROM ct_tx").fetchone()[0]
        rejected = sum(rejects_by_node(coord, "ct_tx").values())
        assert (stored, rejected) == ((10, 10) if commit else (0, 0))
    coord.execute("DROP TABLE ct_tx")
    coord.execute("SELECT run_command_on_all_nodes(%s)", ("DELETE FROM pipeline.rejects WHERE pipeline = 'ct_tx'",))


def test_update_moving_a_row_to_another_shard_keeps_it_once(coord):
    fresh_table(coord, "ct_move", "distributed")
    fresh_pipeline(coord, "ct_move", spec("quarantine"))
    coord.execute("SELECT pipeline.attach('ct_move', 'ct_move')")
    coord.execute("INSERT INTO ct_move SELECT i, 'n' || i FROM generate_series(1, 20) i")
    # ids 1 and 2 live on different shards
    s1, s2 = coord.execute("SELECT get_shard_id_for_distribution_column('ct_move', 1),"
                           " get_shard_id_for_distribution_column('ct_move', 2)").fetchone()
    assert s1 != s2
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="partition value"):
        coord.execute("UPDATE ct_move SET id = 2, name = 'moved' WHERE id = 1")
    # an UPDATE that keeps the distribution value goes through the trigger
    coord.execute("UPDATE ct_move SET name = '  x  ' WHERE id = 1")
    coord.execute("UPDATE ct_move SET name = 'far too long' WHERE id = 2")
    assert coord.execute("SELECT id, name FROM ct_move WHERE id IN (1, 2) ORDER BY id").fetchall() == \
        [(1, "x"), (2, "n2")]
    assert coord.execute("SELECT count(*), count(DISTINCT name) FROM ct_move").fetchone() == (20, 20)
    assert coord.execute("SELECT operation FROM pipeline.cluster_rejects('ct_move')").fetchall() == [("UPDATE",)]
    coord.execute("DROP TABLE ct_move")


# last: stopping a worker breaks the module's sessions to it
def test_worker_stopped_during_replay_leaves_every_node_unchanged(coord, nodes):
    fresh_table(coord, "ct_down", "distributed")
    fresh_pipeline(coord, "ct_down", spec("quarantine"))
    coord.execute("SELECT pipeline.attach('ct_down', 'ct_down')")
    coord.execute("INSERT INTO ct_down SELECT i, 'much too long' FROM generate_series(1, 40) i")
    before = rejects_by_node(coord, "ct_down")
    assert sorted(before) == [nodes[1].name, nodes[2].name]
    coord.execute("SELECT pipeline.define('ct_down', %s)", (json.dumps({"on_error": "quarantine"}),))
    nodes[2].stop()
    try:
        with pytest.raises(psycopg.Error, match=str(nodes[2].port)):
            coord.execute("SELECT * FROM pipeline.cluster_replay('ct_down')")
        with nodes[1].conn() as w1:
            assert w1.execute("SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'ct_down'").fetchone()[0] \
                == before[nodes[1].name]
    finally:
        nodes[2].start()
    assert rejects_by_node(coord, "ct_down") == before
    assert coord.execute("SELECT count(*) FROM ct_down").fetchone()[0] == 0
    assert coord.execute("SELECT sum(replayed) FROM pipeline.cluster_replay('ct_down')").fetchone()[0] == 40
    assert coord.execute("SELECT count(*) FROM ct_down").fetchone()[0] == 40
    assert rejects_by_node(coord, "ct_down") == {}
    coord.execute("DROP TABLE ct_down")
