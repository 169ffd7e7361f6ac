#!/usr/bin/env bash
# Installs what building and testing Tarn needs on a fresh Debian machine, and nothing by hand:
#   - libclang-dev: the RocksDB bindings run bindgen at build time;
#   - a Python venv (.venv-tests, outside git) with the official Kusto SDKs for the compatibility tests.
# Safe to run again: each step checks before it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! dpkg -s libclang-dev >/dev/null 2>&1; then
    echo "setup: installing libclang-dev (bindgen for the RocksDB bindings)"
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libclang-dev >/dev/null
fi

if [ "${SKIP_PYTHON:-0}" = 1 ]; then exit 0; fi

VENV="${TARN_VENV:-$HOME/.cache/tarn-venv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import azure.kusto.ingest, pytest' 2>/dev/null; then
    echo "setup: creating the Python venv at $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -r tests/python/requirements.txt
fi
