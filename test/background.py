"""Statements run in a thread, so that a hang fails a test instead of
stopping the run, and a wait for another session to be running one."""

import threading
import time

import psycopg


def run_in_thread(conn, query):
    """Start query on conn in a daemon thread.  Returns (thread, out): out
    gets "state" (the SQLSTATE, None on success), "msg", "elapsed" (seconds)
    and "ended" (time.monotonic() at the end)."""
    out = {}

    def target():
        t0 = time.monotonic()
        try:
            conn.execute(query)
            out["state"] = None
        except psycopg.Error as e:
            out["state"] = e.sqlstate
            out["msg"] = str(e)
        out["ended"] = time.monotonic()
        out["elapsed"] = out["ended"] - t0

    th = threading.Thread(target=target, daemon=True)
    th.start()
    return th, out


def wait_until_active(observer, pid, seconds=10):
    """Wait (polling pg_stat_activity on observer) until backend pid runs a
    statement; False if it did not within seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = observer.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        if row and row[0] == "active":
            return True
        time.sleep(0.02)
    return False
