#!/usr/bin/env bash
# demo.sh: install what is missing, build and install pipeline, then run the
# demo (python/demo.py) against a throwaway PostgreSQL 15 cluster.
# `make demo` runs this.  Extra arguments go to the demo (see --help).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/deps.sh

export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
export PATH="/usr/lib/postgresql/15/bin:$PATH"

echo "== build"
make -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG"

echo "== install"
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo)
fi
"${SUDO[@]}" make -s install PG_CONFIG="$PG_CONFIG"

echo "== demo on a throwaway cluster"
pg_virtualenv -v 15 -t /usr/bin/python3 python/demo.py "$@"
