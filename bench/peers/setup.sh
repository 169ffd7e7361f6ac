#!/usr/bin/env bash
# Creates the Python venv the peers and the report run in (outside git, shared between clones):
#   ${TARN_BENCH_VENV:-$HOME/.cache/tarn-bench-venv}
# Safe to run again: pip is only called when an installed version differs from requirements.txt.
set -euo pipefail
cd "$(dirname "$0")"

VENV="${TARN_BENCH_VENV:-$HOME/.cache/tarn-bench-venv}"
if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating the benchmark venv at $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
fi

# `pip freeze` prints name==version lines in the same form as requirements.txt, so every pinned
# line being present in it means everything is installed at the pinned version.
pinned_lines() { grep -E '^[A-Za-z0-9_.-]+==' requirements.txt | tr '[:upper:]_' '[:lower:]-'; }
installed_lines() { "$VENV/bin/pip" freeze 2>/dev/null | tr '[:upper:]_' '[:lower:]-'; }
missing="$(comm -23 <(pinned_lines | sort) <(installed_lines | sort))"
if [ -n "$missing" ]; then
    echo "setup: installing into $VENV:" $missing
    "$VENV/bin/pip" install -q -r requirements.txt
fi
echo "setup: venv ready at $VENV"
