#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs (scripts/setup.sh), builds the
# workspace once (debug profile: test binaries and the tarnd they start come from the same build),
# then runs
#   1. every Rust test with cargo nextest (unit, property, golden .slt, API, crash tests),
#   2. the loom model check of the group-commit hand-off (its own small build, cfg(loom)),
#   3. the Python SDK compatibility tests against a real tarnd,
#   4. the benchmark tools on a tiny data set (bench/run.sh --quick: no thresholds, it only keeps
#      the generator, load test, query suite, peers and report working) and the micro-benchmarks
#      once each in test mode.
# CARGO_TARGET_DIR defaults to a cache outside the clone so rebuilds are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tarn-target}"
VENV="${TARN_VENV:-$HOME/.cache/tarn-venv}"
section() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

section "build"
cargo build --workspace --bins --tests --locked

section "cargo nextest"
cargo nextest run --workspace --locked --no-fail-fast

section "doc tests"
cargo test --workspace --doc --locked

section "loom: group-commit hand-off"
CARGO_TARGET_DIR="${TARN_LOOM_TARGET_DIR:-$HOME/.cache/tarn-loom-target}" RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 \
    cargo test -p tarn-handoff --release --locked

section "Python SDK compatibility"
TARND_BIN="$CARGO_TARGET_DIR/debug/tarnd" "$VENV/bin/python" -m pytest -q tests/python

section "benchmark tools, quick profile"
cargo test --workspace --bench kernels --locked
TARN_BENCH_SKIP_BUILD=1 bash bench/run.sh --quick --out "${TMPDIR:-/tmp}/tarn-bench-quick"
"${TARN_BENCH_VENV:-$HOME/.cache/tarn-bench-venv}/bin/python" -m pytest -q bench/peers/test_report.py

section "all tests passed"
