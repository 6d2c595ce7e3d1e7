"""pgpipeline installs as the README says, offline, and its script works.

A venv made with Debian's Python (--system-site-packages, so Debian's
psycopg, setuptools and wheel count), then
`pip install --no-build-isolation --no-index ./python`: no network.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    if not Path("/usr/bin/python3").exists():
        pytest.skip("needs Debian's /usr/bin/python3")
    base = tmp_path_factory.mktemp("pkg")
    src = base / "python"
    # a copy: pip builds in the source tree (build/, *.egg-info)
    shutil.copytree(ROOT / "python", src, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", ".mypy_cache"))
    env = base / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(env)],
                   check=True)
    r = subprocess.run([str(env / "bin" / "pip"), "install", "--no-build-isolation", "--no-index",
                        "--disable-pip-version-check", "-q", str(src)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return env


def test_installed_package_is_typed(venv):
    r = subprocess.run([str(venv / "bin" / "python"), "-c",
                        "import pgpipeline, pathlib; "
                        "print(pgpipeline.__version__, "
                        "(pathlib.Path(pgpipeline.__file__).parent / 'py.typed').exists())"],
                       capture_output=True, text=True, cwd="/")
    assert (r.returncode, r.stdout) == (0, "0.2.0 True\n"), r.stderr


def test_console_script_and_module(venv, conn, dbname):
    conn.execute("SELECT pipeline.define('pkg', '{\"schema\": {\"type\": \"object\"}}')")
    env = dict(os.environ, PGDATABASE=dbname)
    env.pop("PYTHONPATH", None)
    for cmd in ([str(venv / "bin" / "pgpipeline")], [str(venv / "bin" / "python"), "-m", "pgpipeline"]):
        r = subprocess.run([*cmd, "versions", "pkg"], capture_output=True, text=True, env=env, cwd="/")
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("pkg  version 1  defined ")
        r = subprocess.run([*cmd, "--version"], capture_output=True, text=True, env=env, cwd="/")
        assert r.stdout == "pgpipeline 0.2.0\n"
