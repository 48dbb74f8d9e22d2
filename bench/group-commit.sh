#!/usr/bin/env bash
# Issue #14's group-commit benchmark: machine limits, then `weir perf produce` (1 KiB records,
# acks=1, 3 partitions, unlimited rate) to a topic with flush.messages=1, so every produce
# request waits for an fsync. Prints MB/s as a ratio of limits.sh's write+fdatasync figure, all
# in one run. Another broker binary (an older commit, built by hand) can be measured in the
# same run for a before/after:
#   PRODUCERS=N bench/group-commit.sh [NUM_RECORDS [OTHER_WEIR_BINARY]]
# NUM_RECORDS (default 300,000 ≈ 300 MiB) is split between N producers (default 1), each its
# own process and connection, whose figures are added up. PRODUCE_FLAGS go to every
# `weir perf produce` (e.g. PRODUCE_FLAGS="--batch-size 262144").
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-300000}
other=${2:-}
producers=${PRODUCERS:-1}
port=19398
work=$(mktemp -d)
broker_pid=
stop_broker() {
  if [ -n "$broker_pid" ]; then
    kill "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
    broker_pid=
  fi
}
trap 'stop_broker; rm -rf "$work"' EXIT

cargo build --release --quiet
echo "== limits (../shared/bench/limits.sh)"
limits=$(bash ../shared/bench/limits.sh "$work")
echo "$limits"
fdatasync=$(echo "$limits" | awk '/disk_write_fdatasync/ {print $2}')

# Runs the benchmark against broker binary $1, labelled $2; prints "label MB/s".
measure() {
  local binary=$1 label=$2 data="$work/data-$2"
  "$binary" broker --override listeners=PLAINTEXT://127.0.0.1:$port \
    --override log.dirs="$data" >"$work/broker-$label.log" 2>&1 &
  broker_pid=$!
  sleep 1
  local bootstrap=127.0.0.1:$port
  target/release/weir topics --bootstrap-server $bootstrap --create --topic durable \
    --partitions 3 --config flush.messages=1 >/dev/null
  local pids=() n
  for n in $(seq "$producers"); do
    target/release/weir perf produce --bootstrap-server $bootstrap --topic durable \
      --num-records $((records / producers)) --record-size 1024 --throughput -1 --acks 1 \
      ${PRODUCE_FLAGS:-} >"$work/produce-$label-$n.txt" &
    pids+=($!)
  done
  wait "${pids[@]}"
  stop_broker
  rm -rf "$data"
  local total
  # Each producer's last line is its summary.
  total=$(for f in "$work"/produce-"$label"-*.txt; do
    grep -oE '[0-9.]+ MB/sec' "$f" | tail -1 | awk '{print $1}'
  done | paste -sd+ | bc)
  echo "$label $total"
}

results=$(measure target/release/weir this)
if [ -n "$other" ]; then
  results="$results"$'\n'"$(measure "$other" other)"
fi
echo "== summary (flush.messages=1, 1 KiB records, acks=1, $producers producer(s))"
echo "$results" | while read -r label mb; do
  python3 -c "import sys; l, mb, f = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]); \
print(f'{l}: {mb:.1f} MB/s = {mb / f:.3f}x disk write+fdatasync ({f:.0f} MB/s)')" \
    "$label" "$mb" "$fdatasync"
done
