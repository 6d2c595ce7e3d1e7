#!/usr/bin/env bash
# test.sh: install what is missing, build, install, then run pg_regress (and
# the isolation specs) and pytest against a throwaway PostgreSQL 15 cluster
# (pg_virtualenv).  `make test` runs this; so does .ci/run.  With CI=true,
# warnings are errors and a missing JSON Schema Test Suite fails the run.
#
#   bash scripts/test.sh [PYTEST ARGS]          every test (`make test`)
#   bash scripts/test.sh --check [PYTEST ARGS]  the day-to-day subset (`make check`)
#
# The last line printed is pytest's summary line (CI reads it).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

MODE=full
if [ "${1:-}" = "--check" ]; then
    MODE=check
    shift
fi

# The subset: pg_regress and isolation, and the pytest files that run in
# seconds.  Left to `make test`: the conformance suite, the reference
# pipeline's property tests, fuzzing, limits, crash recovery, sanitizers,
# the C-vs-Python differential run, the CLI, the offline install, mypy.
CHECK_TESTS=(test/test_registry.py test/test_trigger.py test/test_draft2019.py
             test/test_python_api.py test/test_docs.py test/test_upgrade.py
             --deselect test/test_python_api.py::test_mypy_strict)

# Say first whether the JSON Schema Test Suite's conformance tests will run.
SUITE=${JSON_SCHEMA_TEST_SUITE:-$ROOT/../shared/jsonschema-test-suite}
suite_field() { sed -n "s/^$1 = \"\(.*\)\"$/\1/p" test/conformance_known_failures.py; }
if [ "$MODE" = check ]; then
    SUITE_NOTE="conformance tests: not part of make check (make test runs them)"
elif [ -d "$SUITE" ]; then
    SUITE_NOTE="conformance tests: JSON Schema Test Suite at $SUITE"
    export JSON_SCHEMA_TEST_SUITE=$SUITE
else
    how="get $(suite_field SUITE_URL) (the known-failure list was made at commit $(suite_field SUITE_COMMIT)) and set JSON_SCHEMA_TEST_SUITE=/path/to/it"
    if [ "${CI:-}" = "true" ]; then
        SUITE_NOTE="conformance tests: FAIL: no JSON Schema Test Suite at $SUITE (CI=true needs it); $how"
    else
        SUITE_NOTE="conformance tests: SKIPPED: no JSON Schema Test Suite at $SUITE; $how"
    fi
fi
echo "== $SUITE_NOTE"

source scripts/build.sh

OUT=$(mktemp -d -t pipeline-test.XXXXXX)
chmod 755 "$OUT"
trap 'rm -rf "$OUT"' EXIT

PYTEST_ARGS=("$@")
if [ "$MODE" = check ]; then
    PYTEST_ARGS=("${CHECK_TESTS[@]}" "$@")
else
    PYTEST_ARGS=(test "$@")
fi

echo "== tests on a throwaway cluster ($MODE)"
# pg_regress and pytest share one cluster, dropped afterwards.  The inner
# command always exits 0 (its verdict goes to $OUT/status): pg_virtualenv
# would otherwise dump the last 100 lines of every server log it can see;
# on failure the lines that matter are printed here instead.  The library is
# preloaded, so pipeline.stats is cluster-wide here (test/test_stats.py's
# cluster tests run); the other servers (pg17.sh, asan.sh) run it
# per session, and the pg_regress output is the same in both.
run_tests() {
    pg_virtualenv -v 15 -o shared_preload_libraries=pipeline -t bash -c '
        set -uo pipefail
        root=$1 out=$2; shift 2
        touch "$out/started"
        cd "$root"
        status=0
        echo "== pg_regress"
        rm -f regression.diffs regression.out
        if make -s installcheck PG_CONFIG="$PG_CONFIG"; then
            echo ok > "$out/regress"
        else
            status=1
            echo FAILED > "$out/regress"
            if [ -f regression.diffs ]; then
                n=$(wc -l < regression.diffs)
                echo "---- regression.diffs (first 150 of $n lines; the whole file: regression.diffs) ----"
                head -n 150 regression.diffs
                echo "---- end of regression.diffs ----"
            fi
        fi
        echo "== pytest"
        /usr/bin/python3 -m pytest -q "$@" 2>&1 | tee "$out/pytest"
        [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
        if [ "$status" -ne 0 ]; then
            # the server log: only what points at a crash, with context
            log=$(pg_lsclusters -h 2>/dev/null | awk "\$2 == \"regress\" {print \$NF}" | head -n 1)
            if [ -n "$log" ] && [ -r "$log" ]; then
                hits=$(grep -c -E "PANIC|TRAP:|terminated by signal|was terminated|stack depth|out of memory" "$log" || true)
                if [ "$hits" -gt 0 ]; then
                    echo "---- server log: lines about crashes ($hits) ----"
                    grep -B 3 -A 2 -E "PANIC|TRAP:|terminated by signal|was terminated|stack depth|out of memory" "$log" | head -n 40
                    echo "---- end of server log lines ----"
                else
                    echo "== server log: no crash ($(wc -l < "$log") lines; its ERRORs are the tests own)"
                fi
            fi
        fi
        echo "$status" > "$out/status"
        exit 0
    ' test.sh "$ROOT" "$OUT" "${PYTEST_ARGS[@]}"
}

status=0
for attempt in 1 2 3; do
    status=0
    run_tests || status=$?
    if [ -e "$OUT/started" ]; then
        status=$(cat "$OUT/status" 2>/dev/null || echo 1)
        break
    fi
    # pg_virtualenv can lose a race for a port with another cluster being
    # created at the same moment; try again only if the tests never started.
    echo "== pg_virtualenv failed before the tests started (attempt $attempt); retrying" >&2
    sleep 2
done

# The second major version: the whole suite again on PostgreSQL 17
# (scripts/pg17.sh, a Debian trixie root made once per machine).
PG17_NOTE="PostgreSQL 17: not part of make check (make check-pg17 runs it)"
if [ "$MODE" = full ]; then
    echo "== PostgreSQL 17"
    rc=0
    bash scripts/pg17.sh 2>&1 | tee "$OUT/pg17" || rc=$?
    if [ "$rc" -eq 0 ]; then
        PG17_NOTE="PostgreSQL 17: ok ($(grep -E '^[0-9]+ passed' "$OUT/pg17" | tail -n 1))"
    else
        PG17_NOTE="PostgreSQL 17: FAILED (the lines above; make check-pg17 runs it alone)"
        status=1
    fi
fi

# Scale-out: the test/citus suite on a coordinator and two workers
# (scripts/citus.sh; skipped, exit 77, without the Citus source beside the
# repository).
CITUS_NOTE="citus: not part of make check (make check-citus runs it)"
if [ "$MODE" = full ]; then
    echo "== Citus"
    rc=0
    bash scripts/citus.sh > "$OUT/citus" 2>&1 || rc=$?
    case $rc in
        0) CITUS_NOTE="citus: ok ($(grep -E '^[0-9]+ passed' "$OUT/citus" | tail -n 1))" ;;
        77) CITUS_NOTE="citus: skipped ($(tail -n 1 "$OUT/citus"))" ;;
        *) CITUS_NOTE="citus: FAILED (make check-citus runs it alone)"; status=1; tail -n 80 "$OUT/citus" ;;
    esac
    echo "$CITUS_NOTE"
fi

# Repeat the verdicts after the clusters are gone, pytest's summary line last.
echo "== summary"
echo "pg_regress: $(cat "$OUT/regress" 2>/dev/null || echo 'did not run')"
echo "$SUITE_NOTE"
echo "$PG17_NOTE"
echo "$CITUS_NOTE"
if [ -s "$OUT/pytest" ]; then
    tail -n 1 "$OUT/pytest"
else
    echo "pytest: did not run"
fi
exit "$status"
