"""`make check-asan` as part of `make test`: the extension built with
AddressSanitizer and UBSan, on a private server with the runtime preloaded,
through pg_regress, the isolation specs and the fuzz and limits suites
(scripts/asan.sh; a small fuzz budget here).  Fails on any sanitizer report
or crash.  Set PIPELINE_SKIP_ASAN=1 to leave it out.
"""

import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_regress_and_fuzz_under_sanitizers(terminal_report):
    if os.environ.get("PIPELINE_SKIP_ASAN"):
        pytest.skip("PIPELINE_SKIP_ASAN is set")
    if not shutil.which("gcc"):
        pytest.skip("no gcc")
    libasan = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(libasan) or not os.path.exists(libasan):
        pytest.skip("libasan is not installed")
    env = dict(os.environ)
    env.setdefault("FUZZ_EXAMPLES", "15")
    for k in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PIPELINE_SERVER_LOG"):
        env.pop(k, None)
    r = subprocess.run(["bash", os.path.join(ROOT, "scripts", "asan.sh")], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=1200)
    out = r.stdout + r.stderr
    summary = [line for line in out.splitlines()
               if "sanitizer reports:" in line or "tests passed" in line or "tests failed" in line
               or line.startswith("cases fuzzed") or " passed" in line and "in " in line]
    terminal_report.append(("sanitizers (scripts/asan.sh)", "\n".join(summary) or out[-2000:]))
    assert r.returncode == 0, out[-20000:]
