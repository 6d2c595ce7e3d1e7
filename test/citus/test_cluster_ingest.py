"""100,000 generated records (about 7% bad) COPYed through the coordinator
into a distributed table whose pipeline quarantines: every record is stored
or quarantined exactly once, per node and in total; then replayed from the
coordinator after the spec is fixed."""

import json
import os
import sys

import psycopg
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import generate  # noqa: E402

N = 100_000
TABLE = "ci_orders"
NAME = "ci_orders"


def orders_spec(on_error="quarantine"):
    with open(os.path.join(ROOT, "bench", "specs", "orders.json")) as f:
        s = json.load(f)
    s["on_error"] = on_error
    return s


@pytest.fixture(scope="module")
def loaded(coord):
    """Stage the records on the coordinator, then COPY them into the table."""
    coord.execute(f"DROP TABLE IF EXISTS {TABLE}, {TABLE}_staged")
    coord.execute("SELECT pipeline.drop(%s) WHERE EXISTS (SELECT FROM pipeline.pipelines WHERE name = %s)",
                  (NAME, NAME))
    coord.execute("SELECT run_command_on_all_nodes(%s)",
                  (f"DELETE FROM pipeline.rejects WHERE pipeline = '{NAME}'",))
    coord.execute(f"CREATE TABLE {TABLE} (id bigint, doc jsonb)")
    coord.execute(f"SELECT create_distributed_table('{TABLE}', 'id', shard_count := 8)")
    coord.execute("SELECT pipeline.define(%s, %s)", (NAME, json.dumps(orders_spec())))
    coord.execute("SELECT pipeline.attach(%s, %s, 'doc')", (TABLE, NAME))
    coord.execute(f"CREATE TABLE {TABLE}_staged (id bigint, doc jsonb)")   # local to the coordinator
    records = list(generate.records_json("orders", N, seed=13))
    for target in (f"{TABLE}_staged", TABLE):
        with coord.cursor().copy(f"COPY {target} (id, doc) FROM STDIN") as cp:
            for i, r in enumerate(records, 1):
                cp.write_row((i, r))
    # the truth, from one node: the records the pipeline judges bad
    bad = coord.execute(f"SELECT count(*) FILTER (WHERE NOT pipeline.validate(doc, %s)) FROM {TABLE}_staged",
                        (NAME,)).fetchone()[0]
    return {"bad": bad}


def per_node_sent(coord):
    """{node: records whose id hashes to a shard placed on that node}."""
    return dict(coord.execute(
        f"SELECT n.nodename || ':' || n.nodeport, count(*) FROM {TABLE}_staged s"
        f" JOIN pg_dist_placement p ON p.shardid = get_shard_id_for_distribution_column('{TABLE}', s.id)"
        " JOIN pg_dist_node n USING (groupid) GROUP BY 1").fetchall())


def per_node_stored(coord):
    return dict(coord.execute(
        "SELECT nodename || ':' || nodeport, sum(result::bigint)::bigint"
        " FROM run_command_on_placements(%s, 'SELECT count(*) FROM %%s') GROUP BY 1", (TABLE,)).fetchall())


def per_node_rejects(coord):
    return dict(coord.execute("SELECT node, count(*) FROM pipeline.cluster_rejects(%s) GROUP BY 1",
                              (NAME,)).fetchall())


def test_copy_stored_plus_quarantined_is_sent_per_node_and_in_total(coord, loaded, terminal_report):
    sent = per_node_sent(coord)
    stored = per_node_stored(coord)
    rejects = per_node_rejects(coord)
    assert sum(sent.values()) == N and len(sent) == 2
    for node in sent:
        assert stored.get(node, 0) + rejects.get(node, 0) == sent[node], node
    assert set(rejects) <= set(sent)        # nothing on the coordinator
    total_stored = coord.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    total_rejects = sum(rejects.values())
    assert total_stored + total_rejects == N
    assert total_rejects == loaded["bad"]
    assert 0.03 * N < total_rejects < 0.15 * N
    # no id twice, none lost
    ids = coord.execute(
        f"SELECT count(DISTINCT id) FROM (SELECT id FROM {TABLE} UNION ALL"
        " SELECT (other_columns->>'id')::bigint FROM pipeline.cluster_rejects(%s)) x", (NAME,)).fetchone()[0]
    assert ids == N
    terminal_report.append(("citus: COPY of %d records through the coordinator" % N,
                            "stored %d + quarantined %d = %d\n" % (total_stored, total_rejects, N)
                            + "\n".join("  %s: sent %d, stored %d, quarantined %d"
                                        % (n, sent[n], stored.get(n, 0), rejects.get(n, 0)) for n in sorted(sent))))


def test_replay_from_the_coordinator_after_fixing_the_spec(coord, loaded, nodes):
    before = per_node_rejects(coord)
    # the fix: accept the records as they come (no schema, no steps)
    coord.execute("SELECT pipeline.define(%s, '{\"on_error\": \"quarantine\"}')", (NAME,))
    # in a transaction that rolls back, no node changes
    with nodes[0].conn(autocommit=False) as c:
        c.execute("SELECT * FROM pipeline.cluster_replay(%s)", (NAME,))
        c.rollback()
    assert per_node_rejects(coord) == before
    result = {n: (r, j) for n, r, j in coord.execute(
        "SELECT node, replayed, rejected FROM pipeline.cluster_replay(%s)", (NAME,)).fetchall()}
    for node, count in before.items():
        assert result[node] == (count, 0), node
    assert per_node_rejects(coord) == {}
    assert coord.execute(f"SELECT count(*), count(DISTINCT id) FROM {TABLE}").fetchone() == (N, N)
    sent = per_node_sent(coord)
    assert per_node_stored(coord) == sent
    # exactly once: a second replay finds nothing
    again = coord.execute("SELECT sum(replayed), sum(rejected) FROM pipeline.cluster_replay(%s)",
                          (NAME,)).fetchone()
    assert again == (0, 0)


def test_replay_keeps_what_the_new_version_still_rejects(coord, loaded):
    coord.execute("SELECT pipeline.define(%s, %s)", (NAME, json.dumps(orders_spec())))
    coord.execute(f"INSERT INTO {TABLE} VALUES (-1, '{{}}'), (-2, '{{}}'), (-3, '{{}}')")
    rejects = per_node_rejects(coord)
    assert sum(rejects.values()) == 3
    rows = coord.execute("SELECT node, replayed, rejected FROM pipeline.cluster_replay(%s)", (NAME,)).fetchall()
    assert sum(r[1] for r in rows) == 0 and sum(r[2] for r in rows) == 3
    assert per_node_rejects(coord) == rejects
    coord.execute(f"DROP TABLE {TABLE}, {TABLE}_staged")
