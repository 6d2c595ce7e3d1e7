"""pytest fixtures for pipeline.

The tests talk to a running PostgreSQL 15 server that has the extension
installed; `make test` (scripts/test.sh) builds, installs and starts a
throwaway cluster with pg_virtualenv, which exports PGHOST, PGPORT, PGUSER,
PGPASSWORD and PGDATABASE.  Run by hand against such a cluster:

    pg_virtualenv -v 15 -t /usr/bin/python3 -m pytest test -q

Fixtures:
    admin_conn  session: autocommit connection to $PGDATABASE (the cluster)
    dbname      module:  a fresh database for this test module (dropped after)
    conn        module:  autocommit connection to `dbname`, extension created
    connect     module:  factory, connect(**kw) -> another connection to `dbname`
                         (autocommit unless autocommit=False), closed at teardown;
                         waits for the server to come back after a crash
    cur         function: a cursor on `conn`
    terminal_report  session: list of (title, text) printed in pytest's summary
"""

import os
import re
import time

import psycopg
from psycopg import sql
import pytest

_REPORT_KEY = pytest.StashKey[list]()


def _require_server():
    if not os.environ.get("PGHOST"):
        pytest.fail(
            "PGHOST is not set: these tests need a PostgreSQL 15 server with the "
            "pipeline extension installed. Run `make test`, or run pytest inside "
            "`pg_virtualenv -v 15 -t ...` after `make install`.",
            pytrace=False,
        )


def _connect_retrying(seconds=60, autocommit=True, **kwargs):
    """Connect; after a backend crash the server restarts, so wait for it."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return psycopg.connect(autocommit=autocommit, **kwargs)
        except psycopg.OperationalError as e:
            if time.monotonic() > deadline:
                pytest.fail(f"cannot connect to the server from the PG* variables: {e}",
                            pytrace=False)
            time.sleep(0.5)


class _Admin:
    """The session's connection to $PGDATABASE, reopened if a crash broke it."""

    def __init__(self):
        self._conn = None

    @property
    def conn(self):
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = _connect_retrying()
        return self._conn

    def execute(self, stmt, attempts=5):
        """Run a statement, retrying when a crash elsewhere kills the session."""
        for i in range(attempts):
            try:
                return self.conn.execute(stmt)
            except psycopg.OperationalError:
                if i == attempts - 1:
                    raise
                time.sleep(1)

    def close(self):
        if self._conn is not None:
            self._conn.close()


@pytest.fixture(scope="session")
def _admin():
    _require_server()
    a = _Admin()
    a.conn
    yield a
    a.close()


@pytest.fixture(scope="session")
def admin_conn(_admin):
    return _admin.conn


def _module_dbname(request):
    base = re.sub(r"[^a-z0-9_]", "_", request.module.__name__.rsplit(".", 1)[-1].lower())
    return f"pltest_{base}_{os.getpid()}"[:63]


@pytest.fixture(scope="module")
def dbname(request, _admin):
    """A fresh database per test module: creating one from template1 is cheap."""
    name = _module_dbname(request)
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    _admin.execute(drop)
    _admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    _admin.execute(drop)


@pytest.fixture(scope="module")
def connect(dbname):
    """Factory for more sessions on the module's database (e.g. to see
    another backend pick up a new pipeline version)."""
    opened = []

    def _connect(autocommit=True, **kwargs):
        c = _connect_retrying(dbname=dbname, autocommit=autocommit, **kwargs)
        opened.append(c)
        return c

    yield _connect
    for c in opened:
        c.close()


@pytest.fixture(scope="module")
def conn(connect):
    c = connect()
    c.execute("CREATE EXTENSION IF NOT EXISTS pipeline")
    return c


@pytest.fixture
def cur(conn):
    with conn.cursor() as c:
        yield c


@pytest.fixture(scope="session")
def terminal_report(pytestconfig):
    """Append (title, text) to have it printed at the end of the run, before
    pytest's own summary line."""
    return pytestconfig.stash.setdefault(_REPORT_KEY, [])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for title, text in config.stash.get(_REPORT_KEY, []):
        terminalreporter.write_sep("=", title)
        for line in text.rstrip("\n").split("\n"):
            terminalreporter.write_line(line)
