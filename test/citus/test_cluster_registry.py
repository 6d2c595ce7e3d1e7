"""One spec on every node: define, drop and register_schema on the coordinator
change every node in one distributed transaction, or none."""

import json

import psycopg
import pytest

STRICT = {"schema": {"type": "object", "required": ["a"]}}
LOOSE = {"schema": {"type": "object"}}


def registry(conn, name):
    return conn.execute("SELECT version, spec FROM pipeline.pipelines WHERE name = %s ORDER BY version",
                        (name,)).fetchall()


def forget(coord, *names):
    """Drop what an earlier, failed run may have left."""
    for n in names:
        coord.execute("SELECT pipeline.drop(%s) WHERE EXISTS"
                      " (SELECT FROM pipeline.pipelines WHERE name = %s)", (n, n))


def test_define_redefine_drop_seen_on_every_node_from_next_statement(coord, node_conns):
    forget(coord, "reg_seen")
    coord.execute("SELECT pipeline.define('reg_seen', %s)", (json.dumps(STRICT),))
    # every node's long-lived session: its next statement uses version 1
    for c in node_conns:
        assert c.execute("SELECT pipeline.validate('{}', 'reg_seen')").fetchone()[0] is False
    coord.execute("SELECT pipeline.define('reg_seen', %s)", (json.dumps(LOOSE),))
    for c in node_conns:
        assert c.execute("SELECT pipeline.validate('{}', 'reg_seen')").fetchone()[0] is True
        assert [v for v, _ in registry(c, "reg_seen")] == [1, 2]
        assert registry(c, "reg_seen") == registry(coord, "reg_seen")
    coord.execute("SELECT pipeline.drop('reg_seen')")
    for c in node_conns:
        with pytest.raises(psycopg.errors.UndefinedObject):
            c.execute("SELECT pipeline.validate('{}', 'reg_seen')")
        assert registry(c, "reg_seen") == []


def test_register_schema_reaches_every_node(coord, node_conns):
    uri = "https://pipeline.example/cluster/name.json"
    forget(coord, "reg_ref")
    coord.execute("SELECT pipeline.register_schema(%s, %s)", (uri, json.dumps({"type": "string"})))
    coord.execute("SELECT pipeline.define('reg_ref', %s)",
                  (json.dumps({"schema": {"properties": {"n": {"$ref": uri}}}}),))
    for c in node_conns:
        assert c.execute("SELECT pipeline.validate('{\"n\": 1}', 'reg_ref')").fetchone()[0] is False
    coord.execute("SELECT pipeline.register_schema(%s, %s)", (uri, json.dumps({"type": "integer"})))
    for c in node_conns:
        assert c.execute("SELECT pipeline.validate('{\"n\": 1}', 'reg_ref')").fetchone()[0] is True
    coord.execute("SELECT pipeline.drop('reg_ref')")


def formats(conn):
    return conn.execute("SELECT name, pattern, function::text FROM pipeline.formats ORDER BY name").fetchall()


def test_register_format_reaches_every_node(coord, node_conns, nodes):
    forget(coord, "reg_fmt")
    coord.execute("SELECT pipeline.unregister_format(name) FROM pipeline.formats WHERE name = 'reg_sku'")
    coord.execute("SELECT pipeline.register_format('reg_sku', '^[A-Z]{3}-[0-9]{4}$')")
    coord.execute("SELECT pipeline.define('reg_fmt', %s)",
                  (json.dumps({"schema": {"properties": {"sku": {"format": "reg_sku"}}}}),))
    for c in node_conns:
        assert formats(c) == formats(coord) != []
        assert c.execute("SELECT pipeline.validate('{\"sku\": \"AB-1\"}', 'reg_fmt')").fetchone()[0] is False
        assert c.execute("SELECT pipeline.validate('{\"sku\": \"ABC-1234\"}', 'reg_fmt')").fetchone()[0] is True
    # replaced on every node, then refused on a worker
    coord.execute("SELECT pipeline.register_format('reg_sku', '^AB-')")
    for c in node_conns:
        assert c.execute("SELECT pipeline.validate('{\"sku\": \"AB-1\"}', 'reg_fmt')").fetchone()[0] is True
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="on the Citus coordinator"):
        node_conns[1].execute("SELECT pipeline.register_format('reg_worker_only', '^x$')")
    # a worker that lost it gets it back from cluster_sync()
    with nodes[2].conn() as w2:
        w2.execute("SET session_replication_role = replica")
        w2.execute("DELETE FROM pipeline.formats")
    coord.execute("SELECT pipeline.cluster_sync()")
    for c in node_conns:
        assert formats(c) == formats(coord)
    coord.execute("SELECT pipeline.drop('reg_fmt')")
    coord.execute("SELECT pipeline.unregister_format('reg_sku')")
    for c in node_conns:
        assert [n for n, _, _ in formats(c)].count("reg_sku") == 0


def test_define_in_rolled_back_transaction_changes_no_node(coord, node_conns, nodes):
    with nodes[0].conn(autocommit=False) as c:
        c.execute("SELECT pipeline.define('reg_rollback', '{}')")
        c.rollback()
    for c in node_conns:
        assert registry(c, "reg_rollback") == []


def test_define_on_a_worker_is_refused(coord, node_conns):
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="on the Citus coordinator"):
        node_conns[1].execute("SELECT pipeline.define('reg_worker', '{}')")
    for c in node_conns:
        assert registry(c, "reg_worker") == []


def test_worker_with_a_diverged_registry_fails_the_define(coord, node_conns, nodes):
    # a version defined on one worker behind the coordinator's back
    # (with triggers off: the registry's own would refuse a change on a worker)
    with nodes[1].conn() as w1:
        w1.execute("SET session_replication_role = replica")
        w1.execute("INSERT INTO pipeline.pipelines (name, version, spec) VALUES ('reg_div', 1, '{}')")
    try:
        with pytest.raises(psycopg.errors.DataException, match="differs from the coordinator"):
            coord.execute("SELECT pipeline.define('reg_div', '{}')")
        assert registry(coord, "reg_div") == registry(node_conns[2], "reg_div") == []
    finally:
        with nodes[1].conn() as w1:
            w1.execute("SET session_replication_role = replica")
            w1.execute("DELETE FROM pipeline.pipelines WHERE name = 'reg_div'")


def test_worker_lacking_the_pipeline_fails_the_next_define(coord, node_conns, nodes):
    """A worker that lost a pipeline (added to the cluster after it was
    defined, or restored from an older backup) fails the next define() and
    activate() too:
    the UPDATE that retires the active version brings that version over
    first, so the worker's own define() computed the coordinator's number
    and passed, leaving the worker with the newest versions only."""
    forget(coord, "reg_lost")
    coord.execute("SELECT pipeline.define('reg_lost', %s)", (json.dumps(LOOSE),))
    coord.execute("SELECT pipeline.define('reg_lost', %s)", (json.dumps(LOOSE),))
    with nodes[1].conn() as w1:
        w1.execute("SET session_replication_role = replica")
        w1.execute("DELETE FROM pipeline.pipelines WHERE name = 'reg_lost'")
    try:
        with pytest.raises(psycopg.errors.DataException, match="differs from the coordinator"):
            coord.execute("SELECT pipeline.define('reg_lost', %s)", (json.dumps(STRICT),))
        with pytest.raises(psycopg.errors.DataException, match="differs from the coordinator"):
            coord.execute("SELECT pipeline.activate('reg_lost', 1)")
        assert [v for v, _ in registry(coord, "reg_lost")] == [1, 2]
        assert registry(node_conns[1], "reg_lost") == []
        coord.execute("SELECT pipeline.cluster_sync()")
        coord.execute("SELECT pipeline.define('reg_lost', %s)", (json.dumps(STRICT),))
        for c in node_conns:
            assert registry(c, "reg_lost") == registry(coord, "reg_lost")
            assert [v for v, _ in registry(c, "reg_lost")] == [1, 2, 3]
    finally:
        coord.execute("SELECT pipeline.cluster_sync()")
        forget(coord, "reg_lost")


def test_cluster_sync_copies_the_coordinators_registry(coord, node_conns, nodes):
    forget(coord, "reg_sync", "reg_sync_extra")
    coord.execute("SELECT pipeline.define('reg_sync', %s)", (json.dumps(STRICT),))
    # worker 1 loses reg_sync and gains a pipeline the coordinator does not have
    with nodes[1].conn() as w1:
        w1.execute("SET session_replication_role = replica")
        w1.execute("DELETE FROM pipeline.pipelines WHERE name = 'reg_sync'")
        w1.execute("INSERT INTO pipeline.pipelines (name, version, spec) VALUES ('reg_sync_extra', 1, '{}')")
        w1.execute("SELECT pipeline._invalidate('pipeline.pipelines')")
    with pytest.raises(psycopg.errors.UndefinedObject):
        node_conns[1].execute("SELECT pipeline.validate('{}', 'reg_sync')")
    coord.execute("SELECT pipeline.cluster_sync()")
    every = "SELECT name, version, spec FROM pipeline.pipelines ORDER BY 1, 2"
    for c in node_conns:
        assert c.execute(every).fetchall() == coord.execute(every).fetchall()
        assert c.execute("SELECT pipeline.validate('{}', 'reg_sync')").fetchone()[0] is False
    coord.execute("SELECT pipeline.drop('reg_sync')")


def test_a_pipeline_admin_who_is_not_superuser_changes_every_node(coord, node_conns, nodes):
    forget(coord, "reg_admin")
    coord.execute("DROP ROLE IF EXISTS regress_citus_admin")
    coord.execute("CREATE ROLE regress_citus_admin LOGIN")      # Citus creates it on the workers
    coord.execute("GRANT pipeline_admin TO regress_citus_admin")
    try:
        with psycopg.connect(host="127.0.0.1", port=nodes[0].port, user="regress_citus_admin",
                             dbname="postgres", autocommit=True) as c:
            assert c.execute("SELECT pipeline.define('reg_admin', '{}')").fetchone()[0] == 1
            assert c.execute("SELECT sum(replayed) FROM pipeline.cluster_replay('reg_admin')").fetchone()[0] == 0
        for n in node_conns:
            assert [v for v, _ in registry(n, "reg_admin")] == [1]
        with psycopg.connect(host="127.0.0.1", port=nodes[0].port, user="regress_citus_admin",
                             dbname="postgres", autocommit=True) as c:
            c.execute("SELECT pipeline.drop('reg_admin')")
        for n in node_conns:
            assert registry(n, "reg_admin") == []
    finally:
        coord.execute("DROP ROLE regress_citus_admin")


def test_an_update_of_the_registry_reaches_every_node(coord, node_conns):
    # what a later registry function (activating a version, say) would do
    forget(coord, "reg_upd")
    coord.execute("SELECT pipeline.define('reg_upd', %s)", (json.dumps(STRICT),))
    for c in node_conns:
        assert c.execute("SELECT pipeline.validate('{}', 'reg_upd')").fetchone()[0] is False
    with coord.transaction():
        coord.execute("UPDATE pipeline.pipelines SET spec = %s WHERE name = 'reg_upd'", (json.dumps(LOOSE),))
        coord.execute("SELECT pipeline._invalidate('pipeline.pipelines')")
    for c in node_conns:
        assert c.execute("SELECT pipeline.validate('{}', 'reg_upd')").fetchone()[0] is True
        assert registry(c, "reg_upd") == registry(coord, "reg_upd")
    coord.execute("SELECT pipeline.drop('reg_upd')")


def test_functions_are_parallel_safe(coord):
    """The per-row functions run in workers; jsonschema_is_valid is the exception
    on purpose (its compile check needs a subtransaction, which parallel mode forbids)."""
    marks = dict(coord.execute(
        "SELECT p.proname::text, p.proparallel::text FROM pg_proc p"
        " WHERE p.pronamespace = 'pipeline'::regnamespace"
        " AND p.proname IN ('validate', 'errors', 'transform', 'process', 'json_matches_schema',"
        " 'jsonb_matches_schema', 'jsonschema_is_valid', 'jsonschema_validation_errors', 'profile')").fetchall())
    assert marks.pop("jsonschema_is_valid") == "u"
    assert len(marks) == 8 and set(marks.values()) == {"s"}, marks



def test_validate_runs_in_parallel_workers(coord):
    coord.execute("DROP TABLE IF EXISTS reg_scan")
    coord.execute("CREATE TABLE reg_scan (doc jsonb)")     # local to the coordinator
    coord.execute("INSERT INTO reg_scan SELECT jsonb_build_object('a', i) FROM generate_series(1, 1000) i")
    forget(coord, "reg_scan")
    coord.execute("SELECT pipeline.define('reg_scan', %s)", (json.dumps(STRICT),))
    with coord.transaction():
        for s in ("max_parallel_workers_per_gather = 2", "parallel_setup_cost = 0", "parallel_tuple_cost = 0",
                  "min_parallel_table_scan_size = 0"):
            coord.execute("SET LOCAL " + s)
        plan = "\n".join(r[0] for r in coord.execute(
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*)"
            " FILTER (WHERE pipeline.validate(doc, 'reg_scan')) FROM reg_scan").fetchall())
        count = coord.execute("SELECT count(*) FILTER (WHERE pipeline.validate(doc, 'reg_scan'))"
                              " FROM reg_scan").fetchone()[0]
    assert "Workers Planned: 2" in plan and "Parallel Seq Scan" in plan, plan
    assert count == 1000
    coord.execute("DROP TABLE reg_scan")
    coord.execute("SELECT pipeline.drop('reg_scan')")

# last: stopping a worker breaks the module's sessions to it
def test_worker_stopped_during_define_leaves_every_node_unchanged(coord, node_conns, nodes):
    forget(coord, "reg_down", "reg_down_new")
    coord.execute("SELECT pipeline.define('reg_down', %s)", (json.dumps(STRICT),))
    before = registry(coord, "reg_down")
    nodes[2].stop()
    try:
        with pytest.raises(psycopg.Error, match=str(nodes[2].port)):
            coord.execute("SELECT pipeline.define('reg_down', %s)", (json.dumps(LOOSE),))
        with pytest.raises(psycopg.Error, match=str(nodes[2].port)):
            coord.execute("SELECT pipeline.drop('reg_down')")
        with pytest.raises(psycopg.Error, match=str(nodes[2].port)):
            coord.execute("SELECT pipeline.define('reg_down_new', '{}')")
        assert registry(coord, "reg_down") == before
        assert registry(node_conns[1], "reg_down") == before
        assert registry(coord, "reg_down_new") == registry(node_conns[1], "reg_down_new") == []
        assert coord.execute("SELECT pipeline.validate('{}', 'reg_down')").fetchone()[0] is False
    finally:
        nodes[2].start()
    with nodes[2].conn() as w2:
        assert registry(w2, "reg_down") == before
        assert registry(w2, "reg_down_new") == []
    # and the cluster takes the change once the worker is back
    assert coord.execute("SELECT pipeline.define('reg_down', %s)", (json.dumps(LOOSE),)).fetchone()[0] == 2
    for c in [coord, node_conns[1]]:
        assert [v for v, _ in registry(c, "reg_down")] == [1, 2]
    with nodes[2].conn() as w2:
        assert [v for v, _ in registry(w2, "reg_down")] == [1, 2]
    coord.execute("SELECT pipeline.drop('reg_down')")
