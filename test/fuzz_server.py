"""Server health for the fuzz and limits suites.

A crash of one backend makes the postmaster kill every session and restart:
the connection is lost, pg_postmaster_start_time() changes, and the log says
"server process (PID n) was terminated by signal 11".  ServerWatch checks
all three; run() turns every statement's outcome into ("ok", rows) or
("error", sqlstate) and fails the test on anything that is not an ordinary
ERROR with an errcode (a lost connection, or XX000 internal_error, which is
what elog(ERROR) without an errcode gives).
"""

import glob
import os

import psycopg
import pytest

CRASH_MARKERS = ("terminated by signal", "was terminated by exception", "server process",
                 "PANIC:", "TRAP:", "AddressSanitizer", "runtime error:")
# sqlstates that mean the server, not the statement, has a problem
BAD_SQLSTATE_CLASSES = ("XX", "58", "57P")


def server_log_path(conn):
    """The server's log file, if we can find it (None otherwise)."""
    explicit = os.environ.get("PIPELINE_SERVER_LOG")
    if explicit:
        return explicit
    try:
        row = conn.execute("SELECT pg_catalog.pg_current_logfile(), "
                           "pg_catalog.current_setting('data_directory')").fetchone()
    except psycopg.Error:
        return None
    logfile, datadir = row
    if logfile:
        return logfile if os.path.isabs(logfile) else os.path.join(datadir, logfile)
    # pg_virtualenv: <root>/data/15/<cluster> logs to <root>/log/postgresql-15-<cluster>.log
    parts = datadir.rstrip("/").split("/")
    if len(parts) >= 4 and parts[-3] == "data":
        root = "/".join(parts[:-3])
        cand = os.path.join(root, "log", f"postgresql-{parts[-2]}-{parts[-1]}.log")
        if os.path.exists(cand):
            return cand
    conf_root = os.environ.get("PG_CLUSTER_CONF_ROOT")
    if conf_root:
        found = glob.glob(os.path.join(os.path.dirname(conf_root), "log", "*.log"))
        if len(found) == 1:
            return found[0]
    return None


class ServerWatch:
    """Remember the postmaster's start time and the log's length; check later."""

    def __init__(self, conn):
        self.conn = conn
        self.start = conn.execute("SELECT pg_catalog.pg_postmaster_start_time()").fetchone()[0]
        self.log = server_log_path(conn)
        self.offset = os.path.getsize(self.log) if self.log and os.path.exists(self.log) else 0

    def new_log_lines(self):
        if not self.log or not os.path.exists(self.log):
            return []
        with open(self.log, "rb") as f:
            f.seek(self.offset)
            text = f.read().decode("utf-8", "replace")
        return text.splitlines()

    def crash_lines(self):
        return [line for line in self.new_log_lines()
                if any(m in line for m in CRASH_MARKERS)
                and ("terminated" in line or "PANIC" in line or "TRAP" in line
                     or "Sanitizer" in line or "runtime error" in line)]

    def check(self, conn=None):
        conn = conn or self.conn
        try:
            now = conn.execute("SELECT pg_catalog.pg_postmaster_start_time()").fetchone()[0]
        except psycopg.OperationalError as e:
            pytest.fail(f"lost the connection to the server (crash?): {e}")
        assert now == self.start, f"the server restarted (started {self.start}, now {now})"
        bad = self.crash_lines()
        assert not bad, "server log reports a crash:\n" + "\n".join(bad[:20])

    def describe(self):
        return self.log or "(server log not found; only the start time is checked)"


LAST_ERROR = [""]


def run(conn, query, params=None, context=None, allowed=None):
    """Run query; ("ok", rows) or ("error", sqlstate).  Fail on a lost
    connection or an error without a proper errcode.  allowed, if given, is
    the set of sqlstates that may occur."""
    try:
        cur = conn.execute(query, params)
        return "ok", (cur.fetchall() if cur.description else cur.rowcount)
    except psycopg.Error as e:
        where = f"\n  statement: {query}\n  params: {params!r:.2000}\n  context: {context!r:.2000}"
        if conn.broken or conn.closed or isinstance(e, psycopg.OperationalError) and e.sqlstate is None:
            pytest.fail(f"connection lost (server crash?): {e}{where}")
        state = e.sqlstate
        LAST_ERROR[0] = str(e)
        if state is None:
            pytest.fail(f"error without sqlstate: {e}{where}")
        if state.startswith(BAD_SQLSTATE_CLASSES):
            pytest.fail(f"internal error {state}: {e}{where}")
        if allowed is not None and state not in allowed:
            pytest.fail(f"unexpected sqlstate {state}: {e}{where}")
        return "error", state
