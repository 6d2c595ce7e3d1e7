#!/usr/bin/env bash
# test.sh: install what is missing, build, install, then run pg_regress and
# pytest against a throwaway PostgreSQL 15 cluster (pg_virtualenv).
# `make test` runs this; so does .ci/run.  With CI=true, warnings are errors.
# Extra arguments are passed to pytest (e.g. `bash scripts/test.sh -k conformance`).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

source scripts/build.sh

OUT=$(mktemp -d -t pipeline-test.XXXXXX)
chmod 755 "$OUT"
trap 'rm -rf "$OUT"' EXIT

echo "== tests on a throwaway cluster"
# pg_regress and pytest share one cluster, dropped afterwards.
run_tests() {
    pg_virtualenv -v 15 -t bash -c '
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
                echo "---- regression.diffs ----"
                cat regression.diffs
                echo "---- end of regression.diffs ----"
            fi
        fi
        echo "== pytest"
        /usr/bin/python3 -m pytest test -q "$@" 2>&1 | tee "$out/pytest"
        [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
        exit $status
    ' test.sh "$ROOT" "$OUT" "$@"
}

status=0
for attempt in 1 2 3; do
    status=0
    run_tests "$@" || status=$?
    # pg_virtualenv can lose a race for a port with another cluster being
    # created at the same moment; try again only if the tests never started.
    if [ "$status" -eq 0 ] || [ -e "$OUT/started" ]; then
        break
    fi
    echo "== pg_virtualenv failed before the tests started (attempt $attempt); retrying" >&2
    sleep 2
done

# Repeat the verdicts after the cluster is gone, pytest's summary line last.
echo "== summary"
echo "pg_regress: $(cat "$OUT/regress" 2>/dev/null || echo 'did not run')"
if [ -s "$OUT/pytest" ]; then
    tail -n 1 "$OUT/pytest"
else
    echo "pytest: did not run"
fi
exit $status
