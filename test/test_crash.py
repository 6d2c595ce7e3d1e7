"""Crash safety: kill the server during quarantine COPYs, restart it, and
count.  Rows in the table plus rows in pipeline.rejects must be exactly the
rows of the committed transactions: each COPY batch is all there (its valid
rows in the table, its invalid ones quarantined) or not at all.

The test creates its own cluster under /tmp with initdb (the shared cluster
of the other tests is left alone), with the installed extension, and stops
it with `pg_ctl stop -m immediate` (every process gets SIGQUIT and exits at
once, without a checkpoint: the restart runs crash recovery).
"""

import os
import shutil
import subprocess
import tempfile
import threading
import time

import psycopg
import pytest

PG_CONFIG = os.environ.get("PG_CONFIG", "/usr/lib/postgresql/15/bin/pg_config")
ROWS = 1000          # rows per COPY batch; every third is invalid
WORKERS = 4
ROUNDS = 2


def _bindir():
    return subprocess.run([PG_CONFIG, "--bindir"], capture_output=True, text=True, check=True).stdout.strip()


def _as_pg(cmd, **kw):
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


class Cluster:
    def __init__(self):
        self.bindir = _bindir()
        self.dir = tempfile.mkdtemp(prefix="pipeline-crash-")
        os.chmod(self.dir, 0o777)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.port = 5400 + os.getpid() % 500
        r = _as_pg([f"{self.bindir}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync"])
        assert r.returncode == 0, r.stderr
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"listen_addresses = ''\nunix_socket_directories = '{self.dir}'\nport = {self.port}\n"
                    "jit = off\nfsync = off\n")

    def pg_ctl(self, *args):
        r = _as_pg([f"{self.bindir}/pg_ctl", "-D", self.data, "-l", self.log, "-w", *args])
        assert r.returncode == 0, r.stdout + r.stderr

    def connect(self, **kw):
        return psycopg.connect(host=self.dir, port=self.port, user="postgres", dbname="postgres", **kw)

    def destroy(self):
        _as_pg([f"{self.bindir}/pg_ctl", "-D", self.data, "stop", "-m", "immediate"])
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    if os.geteuid() == 0 and subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
        pytest.skip("running as root without a postgres user to run the server")
    c = Cluster()
    c.pg_ctl("start")
    yield c
    c.destroy()


def copy_batches(cluster, first_batch, outcome, stop):
    """Send COPY batches until the server dies; record each batch's fate."""
    batch = first_batch
    try:
        conn = cluster.connect()
    except psycopg.Error:
        return
    while not stop.is_set():
        outcome[batch] = "sent"
        try:
            with conn.transaction():
                with conn.cursor().copy("COPY crash_t (id, batch, n) FROM STDIN") as copy:
                    for k in range(ROWS):
                        copy.write_row((batch * ROWS + k, batch, -1 if k % 3 == 0 else k))
                outcome[batch] = "commit sent"
            outcome[batch] = "committed"
        except psycopg.Error:
            # lost in the middle of COPY (never committed) or of COMMIT (in doubt)
            outcome[batch] = "in doubt" if outcome[batch] == "commit sent" else "lost"
            return
        batch += WORKERS


def test_kill_during_quarantine_copy(cluster, terminal_report):
    with cluster.connect(autocommit=True) as c:
        c.execute("CREATE EXTENSION pipeline")
        c.execute("CREATE TABLE crash_t (id int PRIMARY KEY, batch int NOT NULL, n int NOT NULL)")
        c.execute("""SELECT pipeline.define('crash', '{"schema": {"properties": {"n": {"minimum": 0}}},
                                                         "on_error": "quarantine"}')""")
        c.execute("SELECT pipeline.attach('crash_t', 'crash')")
    outcome = {}
    report = []
    next_batch = 0
    for rnd in range(ROUNDS):
        stop = threading.Event()
        threads = [threading.Thread(target=copy_batches, args=(cluster, next_batch + w, outcome, stop))
                   for w in range(WORKERS)]
        for t in threads:
            t.start()
        # let some batches commit, then kill everything in the middle of others
        deadline = time.monotonic() + 30
        while sum(v == "committed" for v in outcome.values()) < 3 * (rnd + 1) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        in_flight = [b for b, v in outcome.items() if v == "sent"]
        cluster.pg_ctl("stop", "-m", "immediate")
        stop.set()
        for t in threads:
            t.join(30)
        assert in_flight, "no COPY was in flight when the server was killed"
        next_batch = max(outcome) + 1 + WORKERS
        cluster.pg_ctl("start")

        with cluster.connect(autocommit=True) as c:
            table = dict(c.execute("SELECT batch, count(*) FROM crash_t GROUP BY batch").fetchall())
            rejects = dict(c.execute("SELECT (record->>'batch')::int, count(*) FROM pipeline.rejects"
                                     " WHERE pipeline = 'crash' GROUP BY 1").fetchall())
            bad_rejects = c.execute("SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'crash'"
                                    " AND ((record->>'n')::int >= 0 OR relation <> 'crash_t'::regclass"
                                    " OR operation <> 'INSERT' OR jsonb_array_length(errors) <> 1)").fetchone()[0]
            bad_rows = c.execute("SELECT count(*) FROM crash_t WHERE n < 0").fetchone()[0]
        valid = sum(1 for k in range(ROWS) if k % 3 != 0)
        invalid = ROWS - valid
        assert bad_rejects == 0 and bad_rows == 0, "a row landed on the wrong side"
        for b in set(table) | set(rejects):
            assert b in outcome, f"rows of batch {b}, which was never sent"
        counts = {"committed": 0, "lost": 0, "in doubt": 0}
        for b, fate in outcome.items():
            t, r = table.get(b, 0), rejects.get(b, 0)
            if fate == "committed":
                assert (t, r) == (valid, invalid), f"committed batch {b}: {t} rows + {r} rejects"
            elif fate == "in doubt":
                assert (t, r) in ((0, 0), (valid, invalid)), f"batch {b} in doubt is partial: {t} + {r}"
                outcome[b] = "committed" if t else "lost"
            else:
                assert (t, r) == (0, 0), f"uncommitted batch {b} left {t} rows + {r} rejects"
                outcome[b] = "lost"
            counts[fate if fate in counts else "lost"] += 1
        committed = [b for b, v in outcome.items() if v == "committed"]
        total_t, total_r = sum(table.values()), sum(rejects.values())
        assert total_t + total_r == len(committed) * ROWS
        report.append(f"round {rnd + 1}: killed with {len(in_flight)} COPYs in flight; "
                      f"{len(committed)} batches committed so far = {total_t} rows in the table + "
                      f"{total_r} in pipeline.rejects = {len(committed) * ROWS} rows sent in committed "
                      f"transactions; {counts['lost']} batches lost whole, {counts['in doubt']} in doubt "
                      f"at the kill, 0 partial")
    terminal_report.append(("crash test (pg_ctl stop -m immediate during quarantine COPY)", "\n".join(report)))
