# build.sh: sourced by test.sh, demo.sh and bench.sh from the repo root.
# Installs what is missing, then builds and installs the extension for
# PostgreSQL 15 (with sudo when not root).  With CI=true, warnings are errors.
# Leaves PG_CONFIG exported and PostgreSQL 15's binaries first on PATH.

bash scripts/deps.sh

export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
# pg_regress, psql and friends of PostgreSQL 15 come first
export PATH="/usr/lib/postgresql/15/bin:$PATH"

MAKE_ARGS=(PG_CONFIG="$PG_CONFIG")
if [ "${CI:-}" = "true" ]; then
    MAKE_ARGS+=(COPT=-Werror)
fi

echo "== build"
make -s -j"$(nproc)" "${MAKE_ARGS[@]}"

echo "== install"
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo)
fi
"${SUDO[@]}" make -s install "${MAKE_ARGS[@]}"
