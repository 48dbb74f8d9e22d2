#!/usr/bin/env bash
# Issue #2's benchmark: machine limits, then `weir perf produce` (1 KiB records, acks=1,
# 3 partitions, unlimited rate) and `weir perf consume` against a release `weir broker`, all in
# one run so the figures can be quoted as ratios. Prints the ratios and the broker's peak RSS.
#   bench/produce-consume.sh [NUM_RECORDS [PERF_PRODUCE_FLAGS...]]   (default 3,000,000 ≈ 3 GiB)
# Flags after the count go to `weir perf produce` (e.g. --batch-size 262144 to see how much of
# the cost is per request rather than per byte). WEIR_BIN=<binary> measures that weir (broker
# and tools, e.g. an older commit's, built by hand) instead of this build: run the script
# alternately with and without it for a back-to-back comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-3000000}
shift $(( $# > 0 ? 1 : 0 ))
port=19399
work=$(mktemp -d)
# The broker shuts down cleanly on SIGTERM (controlled shutdown, checkpoints): wait for it
# before removing its directory.
trap 'kill "$broker_pid" 2>/dev/null || true; wait "$broker_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

if [ -z "${WEIR_BIN:-}" ]; then
  cargo build --release --quiet
fi
bin=${WEIR_BIN:-target/release/weir}
echo "== limits (../shared/bench/limits.sh)"
limits=$(bash ../shared/bench/limits.sh "$work")
echo "$limits"
page_cache=$(echo "$limits" | awk '/disk_write_page_cache/ {print $2}')

"$bin" broker --override listeners=PLAINTEXT://127.0.0.1:$port \
  --override log.dirs="$work/data" >"$work/broker.log" 2>&1 &
broker_pid=$!
sleep 1
bootstrap=127.0.0.1:$port
"$bin" topics --bootstrap-server $bootstrap --create --topic bench --partitions 3

echo "== perf produce"
"$bin" perf produce --bootstrap-server $bootstrap --topic bench \
  --num-records "$records" --record-size 1024 --throughput -1 --acks 1 "$@" | tee "$work/produce.txt"
echo "== perf consume"
"$bin" perf consume --bootstrap-server $bootstrap --topic bench \
  --messages "$records" | tee "$work/consume.txt"

rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$broker_pid/status")
produce_mb=$(grep -oE '[0-9.]+ MB/sec' "$work/produce.txt" | tail -1 | awk '{print $1}')
# kafka-consumer-perf-test's CSV line: the 4th column is MB.sec.
consume_mb=$(grep -E '^[0-9]{4}-' "$work/consume.txt" | tail -1 | awk -F', ' '{print $4}')
echo "== summary"
python3 - "$produce_mb" "$consume_mb" "$page_cache" "$rss_kib" <<'PY'
import sys
produce, consume, page_cache, rss_kib = map(float, sys.argv[1:])
print(f"produce: {produce:.0f} MB/s = {produce / page_cache:.2f}x disk page-cache write bandwidth")
print(f"consume: {consume:.0f} MB/s = {consume / page_cache:.2f}x disk page-cache write bandwidth")
print(f"broker peak RSS: {rss_kib / 1024:.1f} MiB")
PY
