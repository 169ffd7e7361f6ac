#!/usr/bin/env bash
# The whole benchmark in one run: generate IoT telemetry, start a fresh tarnd, load the data into
# Tarn and into its peers (DuckDB, chDB), run the query suite on all three, run the ingestion load
# test, check the answers agree and write the report with plots.
#
#   bash bench/run.sh --quick                 # seconds, tiny data, debug build: what CI runs
#   bash bench/run.sh --profile medium        # release build; profiles: quick small medium large
#
# Options: --profile P, --out DIR (default bench/results/<profile>-<UTC time>), --runs N (hot runs
# per query, default 5), --ingest-seconds S (load test length, default 60; quick: 5),
# --clients N (load-test clients, default 4), --engines duckdb,chdb.
# Generated data is cached per profile in $TARN_BENCH_DATA (default ~/.cache/tarn-bench-data).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

PROFILE=small
QUICK=0
OUT=""
RUNS=5
INGEST_SECONDS=60
CLIENTS=4
ENGINES=duckdb,chdb
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1; PROFILE=quick; RUNS=2; INGEST_SECONDS=5; CLIENTS=2 ;;
        --profile) PROFILE="$2"; shift ;;
        --out) OUT="$2"; shift ;;
        --runs) RUNS="$2"; shift ;;
        --ingest-seconds) INGEST_SECONDS="$2"; shift ;;
        --clients) CLIENTS="$2"; shift ;;
        --engines) ENGINES="$2"; shift ;;
        *) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tarn-target}"
BUILD_PROFILE=release
if [ "$QUICK" = 1 ]; then BUILD_PROFILE=debug; fi
BIN="$CARGO_TARGET_DIR/$BUILD_PROFILE"
OUT="${OUT:-$ROOT/bench/results/$PROFILE-$(date -u +%Y%m%dT%H%M%SZ)}"
DATA="${TARN_BENCH_DATA:-$HOME/.cache/tarn-bench-data}/$PROFILE"
VENV="${TARN_BENCH_VENV:-$HOME/.cache/tarn-bench-venv}"
mkdir -p "$OUT"
section() { printf '\n== bench: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

section "build ($BUILD_PROFILE)"
SKIP_PYTHON=1 bash scripts/setup.sh
# scripts/test.sh has built the whole workspace already (TARN_BENCH_SKIP_BUILD=1); building two
# packages alone would unify features differently and rebuild shared crates.
if [ "${TARN_BENCH_SKIP_BUILD:-0}" != 1 ]; then
    if [ "$BUILD_PROFILE" = release ]; then
        cargo build --release --locked --bin tarnd --bin tarn-bench
    else
        cargo build --locked --bin tarnd --bin tarn-bench
    fi
fi
bash bench/peers/setup.sh

section "generate ($PROFILE) into $DATA"
if [ ! -f "$DATA/manifest.json" ]; then
    rm -rf "$DATA.partial"
    # CSV only: the load, the peers and the report read nothing else (all three formats of the
    # large profile would be 61 GB).
    "$BIN/tarn-bench" gen --profile "$PROFILE" --formats csv --out "$DATA.partial"
    mv "$DATA.partial" "$DATA"
fi

section "start tarnd"
NODE_DIR="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT"
TARND_PID=""
start_tarnd() {
    "$BIN/tarnd" --data-dir "$NODE_DIR" --http-addr "127.0.0.1:$PORT" >> "$OUT/tarnd.log" 2>&1 &
    TARND_PID=$!
    for _ in $(seq 1 100); do
        if curl -sf "$URL/readyz" >/dev/null; then break; fi
        sleep 0.1
    done
    curl -sf "$URL/readyz" >/dev/null || { echo "tarnd did not become ready; see $OUT/tarnd.log" >&2; exit 1; }
}
stop_tarnd() {
    if [ -n "$TARND_PID" ]; then kill "$TARND_PID" 2>/dev/null || true; wait "$TARND_PID" 2>/dev/null || true; fi
    TARND_PID=""
}
cleanup() { stop_tarnd; rm -rf "$NODE_DIR"; }
trap cleanup EXIT
start_tarnd

section "load into Tarn"
"$BIN/tarn-bench" load --url "$URL" --data "$DATA" --out "$OUT/load.json"

section "wait for merges to settle"
# Queries measured while background merges still run would be measuring the merges too: wait until
# the merge count has not moved for 3 s (at most 2 minutes).
merges() { curl -sf "$URL/metrics" | awk '/^tarn_merges_total / {print $2}'; }
last="$(merges)"; still=0
for _ in $(seq 1 120); do
    sleep 1
    now="$(merges)"
    if [ "$now" = "$last" ]; then still=$((still + 1)); else still=0; last="$now"; fi
    if [ "$still" -ge 3 ]; then break; fi
done
echo "merges so far: $last"
# RocksDB still compacts and collects the blobs of merged-away extents after the last merge: wait
# until tarnd uses under 5% of a core over 2 s (at most 5 minutes), so the queries have the cores.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$TARND_PID/stat" 2>/dev/null || echo 0; }
ticks_per_s="$(getconf CLK_TCK)"
for _ in $(seq 1 150); do
    before="$(cpu_ticks)"; sleep 2; after="$(cpu_ticks)"
    if [ $(( (after - before) * 100 )) -lt $(( ticks_per_s * 2 * 5 )) ]; then break; fi
done
echo "tarnd idle: $(( (after - before) * 100 / (ticks_per_s * 2) ))% of a core over the last 2 s"

section "queries on Tarn"
"$BIN/tarn-bench" query --url "$URL" --suite bench/queries/iot.toml --runs "$RUNS" --out "$OUT/tarn-queries.json"

section "restart tarnd"
# The queries filled the decoded-column cache; a restart empties it, so the load test's RSS is the
# ingest path's own and not the cache of the readings the queries read.
stop_tarnd
start_tarnd

section "ingestion load test (${INGEST_SECONDS}s, $CLIENTS clients)"
"$BIN/tarn-bench" ingest --url "$URL" --clients "$CLIENTS" --duration "${INGEST_SECONDS}s" \
    --server-pid "$TARND_PID" --out "$OUT/ingest.json"

stop_tarnd  # its memory (the column cache above all) is not the peers' to share

section "peers: $ENGINES"
"$VENV/bin/python" bench/peers/peers.py --data "$DATA" --suite bench/queries/iot.toml \
    --engines "$ENGINES" --runs "$RUNS" --out "$OUT/peers.json"

section "report"
# report.py exits 3 when the engines' answers disagree: the run fails, after the report is written.
report_status=0
"$VENV/bin/python" bench/peers/report.py --results "$OUT" --out "$OUT/report.body.md" || report_status=$?
{
    echo "<!-- written by bench/run.sh -->"
    echo "Run: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' (with local changes)'),"
    echo "profile $PROFILE ($BUILD_PROFILE build), $RUNS hot runs per query, load test ${INGEST_SECONDS}s with $CLIENTS clients."
    echo "Machine: $(uname -m), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r); client, server and peers share it."
    echo
    cat "$OUT/report.body.md"
} > "$OUT/report.md"
rm "$OUT/report.body.md"
echo "bench: report in $OUT/report.md"
exit "$report_status"
