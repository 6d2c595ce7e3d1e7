"""Every ```sql and ```python block of README.md and docs/*.md runs as written.

The convention (for whoever writes docs):
  * Each document gets a fresh database with the extension already created
    (CREATE EXTENSION IF NOT EXISTS pipeline is harmless in a block).  Its
    blocks run in the order they appear, so a block can use what an earlier
    block of the same document set up visibly (a table, a pipeline).
  * ```sql blocks run through psql (-X, ON_ERROR_STOP): what a reader pastes
    into psql.  psql's own syntax works, e.g. COPY ... FROM STDIN with the
    data and a closing \\. line in the block.  A block fails on the first
    error.  An SQL block meant to show an error must catch it itself (a DO
    block with an EXCEPTION clause), or be ```text.
  * ```python blocks are complete scripts, run with /usr/bin/python3 in an
    empty temporary directory; psycopg.connect() (no arguments) reaches the
    document's database through the PG* environment, and `import pgpipeline`
    finds python/src.
  * Everything else (```text, ```sh, ```json, ...) is not run: use ```text
    for output, fragments and illustrations.
  * Roles are shared by the whole cluster: a document that creates one drops
    it at its end (or uses IF NOT EXISTS logic), so documents stay independent.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)
RUN = ("sql", "python")


def blocks(path):
    """(language, first line number, code) of each runnable block."""
    text = path.read_text()
    for m in FENCE.finditer(text):
        if m.group(1) in RUN:
            yield m.group(1), text.count("\n", 0, m.start()) + 1, m.group(2)


CASES = [(doc, lang, line, code) for doc in DOCS for lang, line, code in blocks(doc)]


def case_id(case):
    doc, lang, line, _ = case
    return f"{doc.relative_to(ROOT)}:{line}:{lang}"


@pytest.fixture(scope="module")
def doc_databases(_admin):
    """doc path -> the name of its fresh database (created on first use)."""
    made = {}

    def get(doc):
        if doc not in made:
            name = f"pldoc_{re.sub(r'[^a-z0-9]', '_', doc.stem.lower())}_{os.getpid()}"[:63]
            ident = sql.Identifier(name)
            _admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
            _admin.execute(sql.SQL("CREATE DATABASE {}").format(ident))
            subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", name, "-c",
                            "CREATE EXTENSION pipeline"], check=True, capture_output=True)
            made[doc] = name
        return made[doc]

    yield get
    for name in made.values():
        _admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_there_are_blocks_to_run():
    assert len(CASES) >= 20, [case_id(c) for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_block_runs(case, doc_databases, tmp_path):
    doc, lang, line, code = case
    env = dict(os.environ, PGDATABASE=doc_databases(doc),
               PYTHONPATH=str(ROOT / "python" / "src"))
    if lang == "sql":
        cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"]
    else:
        cmd = ["/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable, "-"]
    r = subprocess.run(cmd, input=code, capture_output=True, text=True, env=env, cwd=tmp_path,
                       timeout=300)
    assert r.returncode == 0, (f"{case_id(case)} failed (exit {r.returncode}):\n"
                               f"{r.stderr[-3000:]}\n--- stdout ---\n{r.stdout[-2000:]}")
