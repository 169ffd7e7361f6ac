#!/usr/bin/env bash
# Starts one Tarn node with embedded defaults: data in ./tarn-data, HTTP on 127.0.0.1:8080, database
# NetDefaultDB. Extra arguments go to tarnd (--data-dir, --http-addr, --node-id, --config FILE).
# The first run builds the release binary (about half an hour on 2 cores); later runs start at once.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SKIP_PYTHON=1 bash "$ROOT/scripts/setup.sh"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tarn-target}"
cargo build --release --locked --bin tarnd --manifest-path "$ROOT/Cargo.toml"
exec "$CARGO_TARGET_DIR/release/tarnd" "$@"
