#!/usr/bin/env bash
# asan.sh: build the extension with AddressSanitizer and UBSan, run it in a
# private PostgreSQL 15 server with the sanitizer runtime preloaded, run
# pg_regress (+ isolation) and the fuzz suite against it, and fail on any
# sanitizer report.  `make check-asan` runs this.
#
#   bash scripts/asan.sh                 # build, test, check reports, clean up
#   bash scripts/asan.sh serve           # build and leave the server running;
#                                        # prints the PG* variables to use it
#   bash scripts/asan.sh stop DIR        # stop a server left by `serve`
#
# Environment:
#   FUZZ_EXAMPLES  fuzz budget (default 30)
#   SANITIZE=0     build without sanitizers (a private server for debugging)
#   ASAN_WORK      work directory (default: a new one under /tmp; kept if given)
#   PYTEST_ARGS    extra pytest arguments (default: the fuzz and limits suites)
#   ASAN_PRELOAD=1 the library in shared_preload_libraries (pipeline.stats
#                  cluster-wide, as in scripts/test.sh); default: loaded per session
#
# Nothing touches the system's installation: the server binaries and share
# files are copied to a private tree (PostgreSQL finds its share and lib
# directories relative to its binary), the extension is installed there with
# DESTDIR, and the cluster lives in the work directory with its socket there.
# PostgreSQL itself is not instrumented: the runtime comes in by LD_PRELOAD,
# leak detection is off (backends free by memory context, not by free()),
# and a report aborts the backend (ASan) or is logged (UBSan).  Reports go to
# the server log (or $WORK/reports/{asan,ubsan}.PID where the runtime opens
# it); both are checked, as is every "terminated by signal".
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
SANITIZE=${SANITIZE:-1}
MODE=${1:-run}
source scripts/private_pg.sh

if [ "$MODE" = stop ]; then
    as_pg "$BINDIR/pg_ctl" -D "$2/data" stop -m fast || true
    exit 0
fi

bash scripts/deps.sh >/dev/null

private_workdir pipeline-asan "${ASAN_WORK:-}"
[ "$MODE" = serve ] && KEEP=1
REPORTS=$WORK/reports
LOG=$WORK/server.log
SOCK=$WORK/sock
PORT=${ASAN_PORT:-5439}

cleanup() {
    if [ -f "$WORK/data/postmaster.pid" ]; then
        as_pg "$BINDIR/pg_ctl" -D "$WORK/data" stop -m fast >/dev/null 2>&1 || true
    fi
    if [ "$KEEP" = 0 ]; then
        rm -rf "$WORK"
    fi
}
[ "$MODE" = serve ] || trap cleanup EXIT

private_install "$SANITIZE"

mkdir -p "$REPORTS" "$SOCK"
rm -f "$REPORTS"/*
chmod 777 "$REPORTS" "$SOCK"
private_reachable

ENVS=()
if [ "$SANITIZE" = 1 ]; then
    sanitizer_env "$REPORTS"
fi

echo "== cluster in $WORK/data (socket $SOCK, port $PORT)"
if [ -f "$WORK/data/postmaster.pid" ]; then
    as_pg "$BINDIR/pg_ctl" -D "$WORK/data" stop -m immediate >/dev/null 2>&1 || true
fi
rm -rf "$WORK/data" "$LOG"
as_pg "$PRIV$BINDIR/initdb" -D "$WORK/data" -A trust -U postgres --no-sync >/dev/null
cat >> "$WORK/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$SOCK'
port = $PORT
jit = off
fsync = off
# instrumented frames are bigger (about 2.2 kB per level of a recursive
# schema instead of under 2 kB): the regression tests' 1000 levels need more
max_stack_depth = 3MB
log_min_messages = warning
EOF
if [ "${ASAN_PRELOAD:-0}" = 1 ]; then
    echo "shared_preload_libraries = 'pipeline'" >> "$WORK/data/postgresql.conf"
fi
as_pg "${ENVS[@]}" "$PRIV$BINDIR/pg_ctl" -D "$WORK/data" -l "$LOG" -w start >/dev/null

export PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres PIPELINE_SERVER_LOG=$LOG
export PATH="$BINDIR:$PATH"

if [ "$MODE" = serve ]; then
    echo "server running; stop it with: bash scripts/asan.sh stop $WORK"
    echo "export PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres PIPELINE_SERVER_LOG=$LOG"
    exit 0
fi

status=0
echo "== pg_regress"
if ! make -s -C "$BUILD" installcheck PG_CONFIG="$PG_CONFIG" with_llvm=no; then
    status=1
    cat "$BUILD/regression.diffs" 2>/dev/null | head -200 || true
    cat "$BUILD/output_iso/regression.diffs" 2>/dev/null | head -200 || true
fi
echo "== pytest ${PYTEST_ARGS:-test/test_fuzz.py test/test_limits.py}"
# shellcheck disable=SC2086
(cd "$BUILD" && FUZZ_EXAMPLES=${FUZZ_EXAMPLES:-30} /usr/bin/python3 -m pytest -q -p no:cacheprovider \
    ${PYTEST_ARGS:-test/test_fuzz.py test/test_limits.py}) || status=1

as_pg "$BINDIR/pg_ctl" -D "$WORK/data" stop -m fast >/dev/null || true

echo "== sanitizer reports"
nreports=0
for f in "$REPORTS"/*; do
    [ -e "$f" ] || continue
    nreports=$((nreports + 1))
    echo "---- $f"
    head -60 "$f"
done
crashes=$(grep -c -E "terminated by signal|AddressSanitizer|runtime error:" "$LOG" || true)
echo "sanitizer reports: $nreports; crash lines in the server log: $crashes"
if [ "$nreports" -gt 0 ] || [ "$crashes" -gt 0 ]; then
    grep -E "terminated by signal|AddressSanitizer|runtime error:" "$LOG" | head -20 || true
    status=1
fi
exit $status
