#!/usr/bin/env bash
# demo.sh: install what is missing, build and install pipeline, then run the
# demo (python/demo.py) against a throwaway PostgreSQL 15 cluster, and the
# pgpipeline command-line tool against what the demo left in it.
# `make demo` runs this.  Extra arguments go to the demo (see --help).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/build.sh

echo "== demo on a throwaway cluster"
pg_virtualenv -v 15 -t bash -c '
    set -euo pipefail
    /usr/bin/python3 python/demo.py "$@"
    # the same package from the shell (installed: `pgpipeline ...`)
    cli() { echo; echo "\$ pgpipeline $*"; PYTHONPATH=python/src /usr/bin/python3 -m pgpipeline "$@"; }
    cli versions orders_ingest
    cli rejects orders_ingest --summary
    cli rejects orders_ingest --limit 1
' demo.sh "$@"
