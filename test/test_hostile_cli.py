"""pgpipeline's command-line tool on hostile input files.

Python's JSON reader stops at its own limits with errors that are not
JSONDecodeError (a traceback, and exit status 1, which means "records
failed"), takes NaN and Infinity, and gives strings jsonb cannot hold; every
such file must be an input error: a message naming the file and the line,
exit status 2, never a traceback.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "python" / "src"
sys.path.insert(0, str(SRC))

import pgpipeline as pp  # noqa: E402

HOSTILE = {
    "deep": "[" * 100000 + "]" * 100000,
    "bigint": '{"a": ' + "9" * 5000 + "}",
    "nan": '{"a": NaN}',
    "infinity": '{"a": -Infinity}',
    "nul": '{"a": "x\\u0000"}',
    "surrogate": '{"a": "\\ud800"}',
    "key_nul": '{"\\u0000": 1}',
}


@pytest.fixture
def cli(dbname, conn, tmp_path):
    """run(*args, input=None) -> CompletedProcess, in the module's database."""
    conn.execute("DELETE FROM pipeline.rejects")
    conn.execute("DELETE FROM pipeline.pipelines")
    conn.execute("""SELECT pipeline.define('hc', '{"schema": {"type": "object"}}')""")

    def run(*args, input=None):
        e = dict(os.environ, PGDATABASE=dbname, PYTHONPATH=str(SRC))
        r = subprocess.run([sys.executable, "-m", "pgpipeline", *map(str, args)],
                           input=input, capture_output=True, env=e, cwd=tmp_path, timeout=120)
        r.stderr = r.stderr.decode("utf-8", "replace")
        r.stdout = r.stdout.decode("utf-8", "replace")
        assert "Traceback" not in r.stderr, r.stderr
        return r
    return run


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_check_hostile_line(cli, tmp_path, kind):
    (tmp_path / "in.jsonl").write_text('{"ok": 1}\n' + HOSTILE[kind] + "\n")
    r = cli("check", "in.jsonl", "--pipeline", "hc")
    assert r.returncode == 2, r.stderr
    assert "in.jsonl:2: " in r.stderr


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_define_hostile_spec(cli, tmp_path, kind):
    (tmp_path / "spec.json").write_text('{"schema": {"const": ' + HOSTILE[kind] + "}}")
    r = cli("define", "hc2", "spec.json")
    assert r.returncode == 2, r.stderr
    assert "spec.json" in r.stderr


def test_stdin_not_utf8(cli):
    r = cli("check", "-", "--pipeline", "hc", input=b'{"a": "\xff"}\n')
    assert r.returncode == 2, r.stderr
    assert "<stdin>: not UTF-8" in r.stderr


def test_spec_not_utf8(cli, tmp_path):
    (tmp_path / "spec.json").write_bytes(b'{"schema": {"const": "\xff"}}')
    r = cli("define", "hc2", "spec.json")
    assert r.returncode == 2, r.stderr
    assert "spec.json: not UTF-8" in r.stderr


def test_csv_nul(cli, conn, tmp_path):
    conn.execute("DROP TABLE IF EXISTS hc_in")
    conn.execute("CREATE TABLE hc_in (a text)")
    (tmp_path / "in.csv").write_text("a\nfine\nx\x00y\n")
    r = cli("ingest", "in.csv", "--table", "hc_in")
    assert r.returncode == 2, r.stderr
    assert "in.csv:3: " in r.stderr


def test_paired_surrogates_and_escapes_pass(cli, tmp_path):
    # an escaped pair is one character; an escaped backslash before "u0000" is text
    (tmp_path / "in.jsonl").write_text('{"a": "\\ud83d\\ude00", "b": "\\\\u0000"}\n')
    r = cli("check", "in.jsonl", "--pipeline", "hc")
    assert r.returncode == 0, r.stderr


def test_replay_reports_failed_and_skipped(cli, conn):
    # the CLI and the API said "replayed 0, rejected again 0" for rejects that
    # stayed because their insert failed or their table was gone
    for t in ("hc_a", "hc_b"):
        conn.execute(f"DROP TABLE IF EXISTS {t}")
        conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, doc jsonb)")
    conn.execute("""SELECT pipeline.define('hc', '{"schema": {"required": ["a"]}, "on_error": "quarantine"}')""")
    for t in ("hc_a", "hc_b"):
        conn.execute(f"SELECT pipeline.attach('{t}', 'hc', 'doc')")
        conn.execute(f"INSERT INTO {t} VALUES (1, '{{}}')")
    conn.execute("""SELECT pipeline.define('hc', '{"on_error": "quarantine"}')""")
    conn.execute("INSERT INTO hc_a VALUES (1, '{}')")      # the replay's insert will collide
    conn.execute("DROP TABLE hc_b")
    r = cli("replay", "hc")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "replayed 0, rejected again 0, failed 1, skipped 1"
    assert pp.replay(conn, "hc") == pp.ReplayResult(0, 0, 1, 1)
    conn.execute("DROP TABLE hc_a")
