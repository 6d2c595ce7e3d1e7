#!/usr/bin/env bash
# bench.sh: install what is missing, build and install pipeline, then run the
# benchmark (bench/run.py) against a throwaway PostgreSQL 15 cluster
# (pg_virtualenv), which is dropped afterwards.
#   `make bench`        full run: results in bench/results/latest.{md,png,json}
#   `make bench-quick`  under 3 minutes: results in bench/results/tmp/quick.*
# Extra arguments go to bench/run.py (e.g. `bash scripts/bench.sh --quick
# --sections per_record,ingest`). docs/benchmarks.md explains the method.
# With PG=17 the server is PostgreSQL 17 (scripts/pg17.sh serve: a Debian
# trixie root), the client side the same; results are named *-pg17.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

PG=${PG:-15}
case "$PG" in
    15) source scripts/build.sh ;;
    17) bash scripts/deps.sh ;;
    *) echo "bench.sh: PG=$PG: PostgreSQL 15 or 17" >&2; exit 2 ;;
esac

OUT=$(mktemp -d -t pipeline-bench.XXXXXX)
chmod 755 "$OUT"
trap 'rm -rf "$OUT"' EXIT

# ajv (node) for the side-by-side column: Debian's nodejs and npm if missing
if ! command -v npm >/dev/null; then
    SUDO=(); [ "$(id -u)" -ne 0 ] && SUDO=(sudo)
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 \
        nodejs npm >/dev/null || echo "bench.sh: no node; the ajv column is left out" >&2
fi
if command -v npm >/dev/null && [ ! -d bench/ajv/node_modules/ajv ]; then
    (cd bench/ajv && npm ci --no-audit --no-fund --loglevel=error) || echo "bench.sh: npm ci failed; no ajv column" >&2
fi

if [ "$PG" = 17 ]; then
    # the host's /tmp is the root's too: the server reads $OUT's files
    eval "$(bash scripts/pg17.sh serve | grep '^export ')"
    trap 'bash scripts/pg17.sh stop; rm -rf "$OUT"' EXIT
    FS=${PG17_CACHE:-/var/cache/pipeline-pg17}/rootfs
    NOOP_ARGS=()
    if chroot "$FS" gcc -O2 -fPIC -shared -I"$(chroot "$FS" /usr/lib/postgresql/17/bin/pg_config --includedir-server)" \
            -o "$OUT/noop_trigger.so" /build/pipeline/bench/noop_trigger.c; then
        chmod 755 "$OUT/noop_trigger.so"
        NOOP_ARGS=(--noop-trigger "$OUT/noop_trigger.so")
    fi
    name=latest
    for a in "$@"; do [ "$a" = --quick ] && name=quick; done
    echo "== benchmark on PostgreSQL 17 ($PGHOST:$PGPORT)"
    /usr/bin/python3 bench/run.py --name "$name-pg17" "${NOOP_ARGS[@]}" "$@"
    exit $?
fi

# A no-op C row trigger, to tell what any C trigger costs COPY from what
# pipeline's trigger adds. Loaded by absolute path from the temporary
# directory; never installed. Without it the bench still runs.
NOOP_ARGS=()
if gcc -O2 -fPIC -shared -I"$("$PG_CONFIG" --includedir-server)" \
        -o "$OUT/noop_trigger.so" bench/noop_trigger.c; then
    chmod 755 "$OUT/noop_trigger.so"
    NOOP_ARGS=(--noop-trigger "$OUT/noop_trigger.so")
else
    echo "bench.sh: could not compile bench/noop_trigger.c; running without the no-op C trigger" >&2
fi

echo "== benchmark on a throwaway cluster"
status=0
for attempt in 1 2 3; do
    status=0
    pg_virtualenv -v 15 -t bash -c '
        root=$1 out=$2; shift 2
        touch "$out/started"
        cd "$root"
        exec /usr/bin/python3 bench/run.py "$@"
    ' bench.sh "$ROOT" "$OUT" "${NOOP_ARGS[@]}" "$@" || status=$?
    # pg_virtualenv can lose a race for a port with another cluster being
    # created at the same moment; try again only if the bench never started.
    if [ "$status" -eq 0 ] || [ -e "$OUT/started" ]; then
        break
    fi
    echo "== pg_virtualenv failed before the bench started (attempt $attempt); retrying" >&2
    sleep 2
done
exit $status
