#!/usr/bin/env bash
# Issue #14's isolation experiment: does a loaded topic that fsyncs every append
# (flush.messages=1) slow down a light producer on another topic that does not? One broker;
# the light producer (2,000 records/s of 100 bytes, acks=1, 20 s) runs alone, then beside
# `weir perf produce` at full speed to the flushed topic. Prints the light producer's p99 in
# both runs and their ratio (the target is at most 2x). Another broker binary (an older
# commit) can be measured in the same run:
#   bench/isolation.sh [OTHER_WEIR_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
other=${1:-}
port=19397
work=$(mktemp -d)
broker_pid=
load_pid=
stop() {
  for pid in $load_pid $broker_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  load_pid= broker_pid=
}
trap 'stop; rm -rf "$work"' EXIT

cargo build --release --quiet
weir=target/release/weir
bootstrap=127.0.0.1:$port

# The light producer's 99th percentile latency in ms, from its summary line.
light() {
  "$weir" perf produce --bootstrap-server $bootstrap --topic light --num-records 40000 \
    --record-size 100 --throughput 2000 --acks 1 | tail -1 | grep -oE '[0-9.]+ ms 99th' \
    | awk '{print $1}'
}

# Both runs against broker binary $1; prints "label alone loaded".
measure() {
  local binary=$1 label=$2
  "$binary" broker --override listeners=PLAINTEXT://$bootstrap \
    --override log.dirs="$work/data-$label" >"$work/broker-$label.log" 2>&1 &
  broker_pid=$!
  sleep 1
  "$weir" topics --bootstrap-server $bootstrap --create --topic light --partitions 1 >/dev/null
  "$weir" topics --bootstrap-server $bootstrap --create --topic durable --partitions 3 \
    --config flush.messages=1 >/dev/null
  local alone loaded
  alone=$(light)
  "$weir" perf produce --bootstrap-server $bootstrap --topic durable --num-records 100000000 \
    --record-size 1024 --throughput -1 --acks 1 >"$work/load-$label.txt" 2>&1 &
  load_pid=$!
  sleep 2
  loaded=$(light)
  stop
  rm -rf "$work/data-$label"
  echo "$label $alone $loaded"
}

results=$(measure "$weir" this)
if [ -n "$other" ]; then
  results="$results"$'\n'"$(measure "$other" other)"
fi
echo "== light producer p99 (2,000 x 100 B/s, acks=1), alone and beside a flush.messages=1 load"
echo "$results" | while read -r label alone loaded; do
  python3 -c "import sys; l, a, b = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]); \
print(f'{l}: alone {a:.0f} ms, loaded {b:.0f} ms = {b / max(a, 1):.1f}x')" "$label" "$alone" "$loaded"
done
