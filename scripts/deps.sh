#!/usr/bin/env bash
# deps.sh: install what building and testing pipeline needs on Debian 12.
# Idempotent and fast on a warm machine: apt is not touched when every package
# is already installed.  Runs apt as root, or through sudo when not root.
set -euo pipefail

PACKAGES=(
    postgresql-15
    postgresql-common
    postgresql-server-dev-15
    build-essential
    gcc
    make
    python3-psycopg
    python3-pytest
    python3-jsonschema
    python3-fastjsonschema
    python3-hypothesis
    python3-matplotlib
    python3-mypy
    python3-pip
    python3-venv
    python3-setuptools
    python3-pydantic
    python3-tqdm
)

missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "deps.sh: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "deps.sh: need root or sudo to install: ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
