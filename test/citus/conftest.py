"""Fixtures for the scale-out tests: a Citus coordinator and two workers.

scripts/citus.sh (`make check-citus`) starts the three servers and exports

    CITUS_PORTS   "coordinator worker1 worker2" ports on 127.0.0.1
    CITUS_DATA    their data directories, in the same order
    CITUS_PG_CTL  the pg_ctl that runs them

Without CITUS_PORTS nothing in this directory is collected, so the
single-node suite (`pytest test`) passes over it.

Fixtures:
    nodes      session: [coordinator, worker1, worker2], each .port and .conn()
    coord      session: autocommit connection to the coordinator, extension created
    node_conns module:  one autocommit connection per node, opened once
                        (they see changes "from their next statement")
"""

import os
import subprocess
import time

import psycopg
import pytest

if not os.environ.get("CITUS_PORTS"):
    collect_ignore_glob = ["test_*.py"]


class Node:
    """One server of the cluster."""

    def __init__(self, port, data):
        self.port = port
        self.data = data

    @property
    def name(self):
        return f"127.0.0.1:{self.port}"

    def conn(self, autocommit=True):
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                               dbname="postgres", autocommit=autocommit)

    def _pg_ctl(self, *args):
        cmd = [os.environ["CITUS_PG_CTL"], "-D", self.data, *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    def stop(self):
        self._pg_ctl("stop", "-m", "fast")

    def start(self):
        self._pg_ctl("-l", self.data + ".log", "-w", "start")
        deadline = time.monotonic() + 30
        while True:
            try:
                self.conn().close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


@pytest.fixture(scope="session")
def nodes():
    ports = [int(p) for p in os.environ["CITUS_PORTS"].split()]
    data = os.environ["CITUS_DATA"].split()
    return [Node(p, d) for p, d in zip(ports, data)]


@pytest.fixture(scope="session")
def coord(nodes):
    conn = nodes[0].conn()
    # Citus creates the extension on the workers too
    conn.execute("CREATE EXTENSION IF NOT EXISTS pipeline")
    conn.execute("SET citus.enable_unsafe_triggers = on")
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def node_conns(nodes, coord):
    conns = [n.conn() for n in nodes]
    yield conns
    for c in conns:
        c.close()
