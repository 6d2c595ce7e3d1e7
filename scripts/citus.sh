#!/usr/bin/env bash
# citus.sh: run the scale-out tests (test/citus/) on a three-node Citus
# cluster: a coordinator and two workers on 127.0.0.1.  `make check-citus`
# runs this.
#
#   bash scripts/citus.sh              # build what is missing, test, clean up
#   bash scripts/citus.sh build        # only build Citus into the cache
#   bash scripts/citus.sh serve        # leave the cluster running; prints the
#                                      # PG* variables of the coordinator
#   bash scripts/citus.sh stop DIR     # stop a cluster left by `serve`
#
# Environment:
#   CITUS_SRC      directory holding citus-<version>.tar.gz and its PostgreSQL
#                  15 patch (default: shared/citus in the directory that
#                  holds the repository)
#   CITUS_CACHE    where Citus is built once per machine
#                  (default /var/cache/pipeline-citus)
#   CITUS_PORT     coordinator port; the workers use the next two (default 5450)
#   CITUS_WORK     work directory (default: a new one under /tmp; kept if given)
#   PYTEST_ARGS    pytest arguments (default: test/citus)
#   SANITIZE=1     build this extension with ASan and UBSan and fail on any
#                  report (as scripts/asan.sh does for one node; Citus itself
#                  is not instrumented)
#
# Exit status 77 (skipped) when the Citus source is not there.
#
# Citus is a test dependency: its source is never copied into the repository.
# It is built outside it, into a staging tree in the cache (DESTDIR), and
# copied, with this extension (installed with DESTDIR too), into a private
# copy of the PostgreSQL installation in the work directory: nothing is
# installed system-wide.  The three clusters live in the work directory and
# are stopped and removed at exit, whatever the outcome.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
CITUS_SRC=${CITUS_SRC:-$ROOT/../shared/citus}
CITUS_CACHE=${CITUS_CACHE:-/var/cache/pipeline-citus}
PORT=${CITUS_PORT:-5450}
MODE=${1:-run}

source scripts/private_pg.sh

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    else
        sudo "$@"
    fi
}

if [ "$MODE" = stop ]; then
    for d in "$2"/node[0-9]; do
        as_pg "$BINDIR/pg_ctl" -D "$d" stop -m fast || true
    done
    exit 0
fi

tarball=$(ls "$CITUS_SRC"/citus-*.tar.gz 2>/dev/null | head -1 || true)
if [ -z "$tarball" ]; then
    echo "citus.sh: skipped: no Citus source (citus-*.tar.gz) in $CITUS_SRC"
    exit 77
fi
CITUS_VERSION=$(basename "$tarball" .tar.gz)
STAGE=$CITUS_CACHE/$CITUS_VERSION/stage

# install_citus_deps: the libraries Citus' configure looks for, when missing
install_citus_deps() {
    local p missing=()
    for p in liblz4-dev libzstd-dev libkrb5-dev libssl-dev; do
        [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "citus.sh: installing ${missing[*]}" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# build_citus: configure, build and stage Citus once per machine; a lock
# keeps two concurrent runs from building into the same tree
build_citus() {
    local start src
    [ -f "$STAGE/.complete" ] && return 0
    as_root mkdir -p "$CITUS_CACHE"
    as_root chown "$(id -u)" "$CITUS_CACHE"
    exec 9>"$CITUS_CACHE/.lock"
    flock 9
    if [ -f "$STAGE/.complete" ]; then
        exec 9>&-
        return 0
    fi
    start=$(date +%s)
    bash scripts/deps.sh
    install_citus_deps
    src=$CITUS_CACHE/$CITUS_VERSION/src
    rm -rf "$src" "$STAGE"
    mkdir -p "$src"
    tar -xzf "$tarball" -C "$src" --strip-components=1
    for p in "$CITUS_SRC"/*.patch; do
        [ -e "$p" ] && patch -s -d "$src" -p1 < "$p"
    done
    echo "== building $CITUS_VERSION in $src (once per machine)"
    (cd "$src" && ./configure -q --without-libcurl PG_CONFIG="$PG_CONFIG" >/dev/null &&
        make -s -j"$(nproc)" with_llvm=no >/dev/null 2>"$src/build.err" &&
        make -s install with_llvm=no DESTDIR="$STAGE" >/dev/null 2>>"$src/build.err") || {
        tail -30 "$src/build.err" >&2 || true
        exit 1
    }
    touch "$STAGE/.complete"
    echo "== Citus built in $(( $(date +%s) - start ))s"
    exec 9>&-
}

build_citus
[ "$MODE" = build ] && exit 0

bash scripts/deps.sh >/dev/null

private_workdir pipeline-citus "${CITUS_WORK:-}"
[ "$MODE" = serve ] && KEEP=1
SOCK=$WORK/sock
NODES=(node0 node1 node2)  # coordinator, worker, worker

stop_nodes() {
    local n
    for n in "${NODES[@]}"; do
        if [ -f "$WORK/$n/postmaster.pid" ]; then
            as_pg "$BINDIR/pg_ctl" -D "$WORK/$n" stop -m immediate >/dev/null 2>&1 || true
        fi
    done
}

cleanup() {
    stop_nodes
    if [ "$KEEP" = 0 ]; then
        rm -rf "$WORK"
    fi
}
if [ "$MODE" != serve ]; then
    trap cleanup EXIT
    trap 'exit 130' INT TERM    # through the EXIT trap
fi

REPORTS=$WORK/reports
ENVS=()
private_install "${SANITIZE:-0}" "$STAGE"
rm -f "$PRIV/.complete"
test -f "$PRIV$PKGLIBDIR/citus.so"
mkdir -p "$REPORTS"
chmod 777 "$REPORTS"
if [ "${SANITIZE:-0}" = 1 ]; then
    sanitizer_env "$REPORTS"    # Citus itself is not instrumented
fi

mkdir -p "$SOCK"
chmod 777 "$SOCK"
private_reachable

echo "== coordinator on 127.0.0.1:$PORT, workers on :$((PORT + 1)) and :$((PORT + 2))"
stop_nodes
for i in 0 1 2; do
    n=${NODES[$i]}
    rm -rf "${WORK:?}/$n"
    as_pg "$PRIV$BINDIR/initdb" -D "$WORK/$n" -A trust -U postgres --no-sync >/dev/null
    cat >> "$WORK/$n/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
port = $((PORT + i))
shared_preload_libraries = 'citus, pipeline'
# Citus commits the transactions it spreads over nodes with two-phase commit
max_prepared_transactions = 100
max_worker_processes = 16
jit = off
fsync = off
synchronous_commit = off
log_min_messages = warning
CONF
    as_pg "${ENVS[@]}" "$PRIV$BINDIR/pg_ctl" -D "$WORK/$n" -l "$WORK/$n.log" -w start >/dev/null
done

psql_node() {
    "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d postgres -p "$1" -c "$2" >/dev/null
}
for i in 0 1 2; do
    psql_node $((PORT + i)) "CREATE EXTENSION citus"
done
psql_node "$PORT" "SELECT pg_catalog.citus_set_coordinator_host('127.0.0.1', $PORT)"
psql_node "$PORT" "SELECT pg_catalog.citus_add_node('127.0.0.1', $((PORT + 1)))"
psql_node "$PORT" "SELECT pg_catalog.citus_add_node('127.0.0.1', $((PORT + 2)))"

export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
export CITUS_PORTS="$PORT $((PORT + 1)) $((PORT + 2))"
export CITUS_DATA="$WORK/node0 $WORK/node1 $WORK/node2"
# the tests stop and start a worker: through a pg_ctl that sets what the servers need
printf '#!/bin/sh\nexec env %s "%s" "$@"\n' "${ENVS[*]@Q}" "$PRIV$BINDIR/pg_ctl" > "$WORK/pg_ctl"
chmod 755 "$WORK/pg_ctl"
export CITUS_PG_CTL="$WORK/pg_ctl"
export PATH="$BINDIR:$PATH"

if [ "$MODE" = serve ]; then
    echo "cluster running; stop it with: bash scripts/citus.sh stop $WORK"
    echo "export PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER PGDATABASE=$PGDATABASE CITUS_PORTS='$CITUS_PORTS' CITUS_DATA='$CITUS_DATA' CITUS_PG_CTL=$CITUS_PG_CTL"
    exit 0
fi

echo "== pytest ${PYTEST_ARGS:-test/citus}"
start=$(date +%s)
status=0
# shellcheck disable=SC2086
(cd "$BUILD" && /usr/bin/python3 -m pytest -q -p no:cacheprovider ${PYTEST_ARGS:-test/citus}) || status=1
echo "== tests took $(( $(date +%s) - start ))s"
stop_nodes
reports=$(ls "$REPORTS" | wc -l)
crashes=$(cat "$WORK"/node[0-9].log | grep -c -E "terminated by signal|AddressSanitizer|runtime error:" || true)
echo "== sanitizer reports: $reports; crash lines in the server logs: $crashes"
if [ "$reports" -gt 0 ] || [ "$crashes" -gt 0 ]; then
    head -60 "$REPORTS"/* 2>/dev/null || true
    status=1
fi
if [ $status -ne 0 ]; then
    for i in 0 1 2; do
        echo "---- ${NODES[$i]} log (last lines)"
        tail -20 "$WORK/${NODES[$i]}.log" || true
    done
fi
exit $status
