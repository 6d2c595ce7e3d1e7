#!/usr/bin/env bash
# pg17.sh: build the extension against PostgreSQL 17 and run the whole suite
# (pg_regress, isolation, pytest) on a PostgreSQL 17 server.  `make
# check-pg17` runs this; so does `make test`, after the PostgreSQL 15 suite.
#
# Debian 12 ships PostgreSQL 15 only; Debian 13 ("trixie") ships 17.  The
# first run makes a minimal trixie root with debootstrap from the mirror apt
# already uses, installs PostgreSQL 17, its headers, a compiler and the test
# suite's Python packages into it, and keeps it in $PG17_CACHE (outside the
# repository, default /var/cache/pipeline-pg17): later runs reuse it.  Each
# run copies the source tree into the root, builds and installs it there
# (nothing touches the host's PostgreSQL), starts a server inside the root on
# 127.0.0.1 (port $PG17_PORT, default 5417), runs the tests as the host's
# `make test` does, then stops the server and unmounts /proc even on failure.
#
#   bash scripts/pg17.sh [PYTEST ARGS]   build, test, stop
#   bash scripts/pg17.sh serve            build, start, print the PG* variables
#                                         (the host's /tmp is mounted on the
#                                         root's, so server-side files match)
#   bash scripts/pg17.sh stop             stop a server left by `serve`
# Needs root (chroot, mount): run as root or with sudo available.
#   PG17_CACHE  where the trixie root is kept
#   PG17_PORT   the server's port
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
CACHE=${PG17_CACHE:-/var/cache/pipeline-pg17}
FS=$CACHE/rootfs
PORT=${PG17_PORT:-5417}
PG17=/usr/lib/postgresql/17/bin
MODE=run
case "${1:-}" in serve|stop) MODE=$1; shift ;; esac
PACKAGES=(postgresql-17 postgresql-server-dev-17 gcc make libc6-dev
          python3-psycopg python3-pytest python3-jsonschema
          python3-fastjsonschema python3-hypothesis python3-pip python3-venv
          python3-setuptools python3-pydantic python3-tqdm mypy)

if [ "$(id -u)" -ne 0 ]; then
    exec sudo -E bash "$0" "$@"
fi

# the Debian mirror apt uses here, so the root comes from the same place
mirror() {
    local uri
    uri=$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
          | grep -oE 'https?://[^ ]+' | head -n 1 || true)
    echo "${uri:-http://deb.debian.org/debian}"
}

in_root() {
    chroot "$FS" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root "$@"
}

mount_proc() {
    mountpoint -q "$FS/proc" || mount -t proc proc "$FS/proc"
}

# Make the trixie root with PostgreSQL 17 once; a half-made one is redone;
# packages added to the list since are installed into the existing root.
make_root() {
    if [ -e "$CACHE/ready" ]; then
        [ "$(cat "$CACHE/ready")" = "${PACKAGES[*]}" ] && return 0
        echo "== pg17: installing new packages into $FS"
        mount_proc
        in_root apt-get update -q >/dev/null
        in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "${PACKAGES[@]}" >"$CACHE/apt.log" 2>&1 || { tail -20 "$CACHE/apt.log"; exit 1; }
        echo "${PACKAGES[*]}" >"$CACHE/ready"
        return 0
    fi
    echo "== pg17: making a Debian trixie root in $FS (once per machine)"
    command -v debootstrap >/dev/null || apt-get install -y -q -o DPkg::Lock::Timeout=600 debootstrap >/dev/null
    mkdir -p "$CACHE"
    mountpoint -q "$FS/proc" && umount "$FS/proc"
    rm -rf "$FS"
    debootstrap --variant=minbase trixie "$FS" "$(mirror)" >"$CACHE/debootstrap.log" 2>&1 \
        || { tail -20 "$CACHE/debootstrap.log"; exit 1; }
    mount_proc
    in_root apt-get update -q >/dev/null
    in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${PACKAGES[@]}" >"$CACHE/apt.log" 2>&1 || { tail -20 "$CACHE/apt.log"; exit 1; }
    echo "${PACKAGES[*]}" >"$CACHE/ready"
}

# Copy the source tree (and the JSON Schema Test Suite, if beside it) in.
copy_tree() {
    rm -rf "$FS/build"
    mkdir -p "$FS/build/pipeline"
    tar -C "$ROOT" --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
        --exclude=results --exclude=output_iso --exclude=__pycache__ --exclude=.hypothesis \
        -cf - . | tar -C "$FS/build/pipeline" -xf -
    local suite=${JSON_SCHEMA_TEST_SUITE:-$ROOT/../shared/jsonschema-test-suite}
    if [ -d "$suite" ]; then
        mkdir -p "$FS/build/shared"
        cp -a "$suite" "$FS/build/shared/jsonschema-test-suite"
    fi
}

build() {
    echo "== pg17: build and install (PostgreSQL $(in_root "$PG17/pg_config" --version))"
    local copt=()
    [ "${CI:-}" = "true" ] && copt=(COPT=-Werror)
    in_root make -s -C /build/pipeline -j"$(nproc)" PG_CONFIG="$PG17/pg_config" with_llvm=no "${copt[@]}"
    in_root make -s -C /build/pipeline install PG_CONFIG="$PG17/pg_config" with_llvm=no >/dev/null
}

as_pg() {
    in_root runuser -u postgres -- "$@"
}

start_server() {
    rm -rf "$FS/tmp/pg17"
    mkdir -p "$FS/tmp/pg17/sock"
    in_root chown -R postgres /tmp/pg17
    as_pg "$PG17/initdb" -D /tmp/pg17/data -A trust -U postgres --no-sync >/dev/null
    cat >>"$FS/tmp/pg17/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp/pg17/sock'
port = $PORT
jit = off
fsync = off
log_min_messages = warning
EOF
    as_pg "$PG17/pg_ctl" -D /tmp/pg17/data -l /tmp/pg17/server.log -w start >/dev/null
}

stop_all() {
    if [ -f "$FS/tmp/pg17/data/postmaster.pid" ]; then
        as_pg "$PG17/pg_ctl" -D /tmp/pg17/data stop -m fast >/dev/null 2>&1 || true
    fi
    local m
    for m in "$FS/tmp" "$FS/proc"; do
        if mountpoint -q "$m"; then umount "$m" || umount -l "$m"; fi
    done
}

if [ "$MODE" = stop ]; then
    stop_all
    exit 0
fi

[ "$MODE" = run ] && trap stop_all EXIT
make_root
mount_proc
copy_tree
build
if [ "$MODE" = serve ]; then
    mountpoint -q "$FS/tmp" || mount --bind /tmp "$FS/tmp"
    start_server || { stop_all; exit 1; }
    echo "export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres"
    exit 0
fi
start_server
echo "== pg17: tests on a PostgreSQL 17 server (127.0.0.1:$PORT)"
# the sanitizer pass builds against the host's PostgreSQL 15: not here
in_root env PGHOST=/tmp/pg17/sock PGPORT="$PORT" PGUSER=postgres PGDATABASE=postgres \
    PG_CONFIG="$PG17/pg_config" PIPELINE_SERVER_LOG=/tmp/pg17/server.log PATH="$PG17:/usr/sbin:/usr/bin:/sbin:/bin" \
    bash -c '
        cd /build/pipeline
        status=0
        echo "== pg17: pg_regress"
        if ! make -s installcheck PG_CONFIG="$PG_CONFIG" with_llvm=no; then
            status=1
            head -200 regression.diffs output_iso/regression.diffs 2>/dev/null || true
        fi
        echo "== pg17: pytest"
        python3 -m pytest test -q -p no:cacheprovider --ignore=test/test_sanitizers.py "$@" || status=1
        exit $status
    ' pg17 "$@"
