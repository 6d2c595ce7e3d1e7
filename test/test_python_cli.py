"""pgpipeline's command-line tool, run as a user would (subprocess).

`python -m pgpipeline` from the source tree; the installed console script
is tested in test_python_package.py.  Every user error must give a message
and an exit code, never a traceback.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "python" / "src"

SPEC = {"schema": {"type": "object", "required": ["id", "email"],
                   "properties": {"id": {"type": "integer"},
                                  "email": {"type": "string", "format": "email"}}},
        "transform": [{"op": "trim", "path": "/email"}],
        "on_error": "quarantine"}


@pytest.fixture
def cli(dbname, conn, tmp_path):
    """run(*args, input=None, env=None) -> CompletedProcess, in the module's database."""
    conn.execute("DROP TABLE IF EXISTS orders_in")
    conn.execute("DELETE FROM pipeline.rejects")
    conn.execute("DELETE FROM pipeline.pipelines")

    def run(*args, input=None, env=None):
        e = dict(os.environ, PGDATABASE=dbname, PYTHONPATH=str(SRC))
        e.update(env or {})
        r = subprocess.run([sys.executable, "-m", "pgpipeline", *map(str, args)],
                           input=input, capture_output=True, text=True, env=e, cwd=tmp_path,
                           timeout=120)
        assert "Traceback" not in r.stderr, r.stderr
        return r
    return run


def write(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    return name         # the tool runs in tmp_path


def test_define_check_ingest_rejects_replay_profile(cli, conn, tmp_path):
    spec = write(tmp_path, "orders.json", json.dumps(SPEC))
    r = cli("define", "orders", spec)
    assert (r.returncode, r.stdout) == (0, 'defined pipeline "orders", version 1\n')
    data = write(tmp_path, "orders.jsonl",
                 '{"id": 1, "email": " a@example.com "}\n'
                 '{"id": "2", "email": "b@example.com"}\n'
                 '\n'
                 '{"id": 3}\n'
                 '{"id": 4, "email": "d@example.com"}\n')
    r = cli("check", data, "--pipeline", "orders")
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        "orders.jsonl:2: /id: expected integer, got string [/schema/properties/id/type]",
        'orders.jsonl:4: /: required property "email" is missing [/schema/required]',
        'checked 4 records against pipeline "orders": 2 passed, 2 failed']
    conn.execute("CREATE TABLE orders_in (doc jsonb)")
    conn.execute("SELECT pipeline.attach('orders_in', 'orders', 'doc')")
    r = cli("ingest", data, "--table", "orders_in", "--column", "doc")
    assert (r.returncode, r.stdout) == (0, "sent 4, stored 2, quarantined 2, skipped 0\n")
    assert conn.execute("SELECT doc->>'email' FROM orders_in ORDER BY 1").fetchall() == \
        [("a@example.com",), ("d@example.com",)]
    r = cli("rejects", "orders")
    assert r.returncode == 0 and "2 quarantined record(s)" in r.stdout
    assert "  /id: expected integer, got string [/schema/properties/id/type]" in r.stdout
    r = cli("rejects", "orders", "--summary")
    assert r.returncode == 0
    assert r.stdout.splitlines()[1].split() == ["1", "1", "/schema/properties/id/type:",
                                                "expected", "integer,", "got", "string"]
    r = cli("rejects", "orders", "--json", "--limit", "1")
    assert json.loads(r.stdout)["record"] == {"id": "2", "email": "b@example.com"}
    fixed = dict(SPEC, transform=SPEC["transform"] + [{"op": "coerce", "path": "/id", "to": "integer"}])
    assert cli("define", "orders", write(tmp_path, "v2.json", json.dumps(fixed))).returncode == 0
    r = cli("replay", "orders")
    assert (r.returncode, r.stdout) == (0, "replayed 1, rejected again 1\n")
    r = cli("profile", "orders_in", "--column", "doc")
    assert r.returncode == 0 and r.stdout.startswith("3 documents\n")
    assert json.loads(cli("profile", "orders_in", "--json").stdout)["documents"] == 3
    r = cli("versions", "orders")
    assert [ln.split()[:3] for ln in r.stdout.splitlines()] == [["orders", "version", "1"],
                                                                ["orders", "version", "2"]]
    conn.execute("SELECT pipeline.detach('orders_in', 'orders')")
    assert cli("drop", "orders").returncode == 0


def test_check_csv_and_stdin(cli, tmp_path):
    cli("define", "o", write(tmp_path, "s.json", json.dumps(SPEC["schema"])))
    r = cli("check", write(tmp_path, "in.csv", "id,email\n1,a@example.com\n2,\n"),
            "--pipeline", "o")
    assert r.returncode == 1
    assert r.stdout.splitlines()[0] == \
        "in.csv:2: /id: expected integer, got string [/schema/properties/id/type]"
    r = cli("check", "-", "--pipeline", "o", input='{"id": 1, "email": "a@example.com"}\n')
    assert (r.returncode, r.stdout) == (0, 'checked 1 records against pipeline "o": 1 passed, 0 failed\n')


def test_ingest_raise_mode_names_the_line(cli, conn, tmp_path):
    conn.execute("CREATE TABLE orders_in (id integer, email text)")
    cli("define", "strict", write(tmp_path, "s.json", json.dumps(SPEC["schema"])))
    conn.execute("SELECT pipeline.attach('orders_in', 'strict')")
    r = cli("ingest", write(tmp_path, "in.jsonl", '{"id": 1, "email": "a@example.com"}\n'
                            '{"id": 2, "email": "bad"}\n'), "--table", "orders_in")
    assert r.returncode == 1
    assert r.stderr.splitlines()[:2] == [
        'pgpipeline: in.jsonl:2: new row for relation "orders_in" violates pipeline "strict"',
        "  /email: string is not a valid email"]


@pytest.mark.parametrize("args,code,message", [
    (["check", "missing.jsonl", "--pipeline", "o"], 2, "missing.jsonl: No such file or directory"),
    (["check", "bad.jsonl", "--pipeline", "o"], 2, "bad.jsonl:2: not valid JSON"),
    (["check", "bad.csv", "--pipeline", "o"], 2, "bad.csv:3: 3 fields where the header has 2"),
    (["check", "good.jsonl", "--pipeline", "nope"], 2, 'pipeline "nope" does not exist'),
    (["define", "o", "bad.json"], 2, "bad.json:1: not valid JSON"),
    (["define", "o", "typo.json"], 2, 'unknown member "on_eror"'),
    (["ingest", "good.jsonl", "--table", "nope"], 2, 'table "nope" does not exist'),
    (["ingest", "good.jsonl", "--table", "orders_in", "--column", "nope"], 2,
     'column "nope" of table orders_in does not exist'),
    (["rejects", "nope"], 2, 'pipeline "nope" does not exist'),
    (["replay", "nope"], 2, 'pipeline "nope" does not exist'),
    (["drop", "nope"], 2, 'pipeline "nope" does not exist'),
    (["profile", "nope"], 2, 'table "nope" does not exist'),
    (["check", "good.jsonl", "--pipeline", "o", "--batch", "0"], 2, "must be at least 1"),
    ([], 2, "the following arguments are required: COMMAND"),
])
def test_user_errors(cli, conn, tmp_path, args, code, message):
    conn.execute("CREATE TABLE orders_in (doc jsonb)")
    cli("define", "o", write(tmp_path, "s.json", json.dumps(SPEC["schema"])))
    write(tmp_path, "bad.jsonl", '{"id": 1}\n{"id": \n')
    write(tmp_path, "bad.csv", "id,email\n1,a\n2,b,c\n")
    write(tmp_path, "bad.json", "{'single': 'quotes'}")
    write(tmp_path, "typo.json", '{"schema": {}, "on_eror": "skip"}')
    write(tmp_path, "good.jsonl", '{"id": 1}\n')
    r = cli(*args)
    assert r.returncode == code, (r.stdout, r.stderr)
    assert message in r.stderr


def test_missing_server(cli, tmp_path):
    r = cli("check", "x.jsonl", "--pipeline", "o",
            env={"PGHOST": str(tmp_path), "PGPORT": "1"})
    assert r.returncode == 3
    assert r.stderr.startswith("pgpipeline: cannot connect to the server: ")
    assert "(set PGHOST, PGPORT, PGDATABASE, PGUSER, or give --dsn)" in r.stderr
    r = cli("--dsn", "dbname=no_such_database_here", "versions")
    assert r.returncode == 3 and 'database "no_such_database_here" does not exist' in r.stderr


def test_refused_by_server(cli, conn, tmp_path):
    """A role without pipeline_admin may not define: exit 4, the server's words."""
    conn.execute("DROP ROLE IF EXISTS pp_cli_user")
    # a password: pg_virtualenv's clusters authenticate TCP logins by password
    conn.execute("CREATE ROLE pp_cli_user LOGIN PASSWORD 'pp_cli_pw'")
    try:
        r = cli("define", "o", write(tmp_path, "s.json", "{}"), env={"PGUSER": "pp_cli_user", "PGPASSWORD": "pp_cli_pw"})
        assert r.returncode == 4
        assert "permission denied for function define (SQLSTATE 42501)" in r.stderr
    finally:
        conn.execute("DROP ROLE pp_cli_user")


def test_help(cli):
    r = cli("--help")
    assert r.returncode == 0
    for cmd in ("define", "check", "ingest", "rejects", "replay", "profile"):
        assert cmd in r.stdout
    assert "exit status: 0 done, 1 records failed" in r.stdout
