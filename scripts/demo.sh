#!/usr/bin/env bash
# demo.sh: install what is missing, build and install pipeline, then run the
# demo (python/demo.py) against a throwaway PostgreSQL 15 cluster.
# `make demo` runs this.  Extra arguments go to the demo (see --help).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/build.sh

echo "== demo on a throwaway cluster"
pg_virtualenv -v 15 -t /usr/bin/python3 python/demo.py "$@"
