#!/usr/bin/env bash
# Issue #14's group-commit benchmark: machine limits, then `weir perf produce` (1 KiB records,
# acks=1, 3 partitions, unlimited rate) to a topic with flush.messages=1, so every produce
# request waits for an fsync. Prints MB/s as a ratio of limits.sh's write+fdatasync figure, all
# in one run, beside two figures that say what that ratio can reach on this machine:
#   - the same broker and client without flush.messages (no fsync at all): the ceiling;
#   - with KAFKA=1, the reference Kafka (bench/kafka-ref.sh) under the same load, with and
#     without flush.messages=1.
# Another broker binary (an older commit, built by hand) can be measured in the same run for a
# before/after:
#   PRODUCERS=N KAFKA=0|1 bench/group-commit.sh [NUM_RECORDS [OTHER_WEIR_BINARY]]
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
kafka_dir=
stop_broker() {
  if [ -n "$broker_pid" ]; then
    kill "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
    broker_pid=
  fi
  if [ -n "$kafka_dir" ]; then
    bench/kafka-ref.sh stop --dir "$kafka_dir" >/dev/null 2>&1 || true
    kafka_dir=
  fi
}
trap 'stop_broker; rm -rf "$work"' EXIT

cargo build --release --quiet
echo "== limits (../shared/bench/limits.sh)"
limits=$(bash ../shared/bench/limits.sh "$work")
echo "$limits"
fdatasync=$(echo "$limits" | awk '/disk_write_fdatasync/ {print $2}')

# Runs the producers against the broker at $1 into topic `durable` created with topic configs
# $3 (e.g. "--config flush.messages=1", or empty); prints "label MB/s" with label $2.
produce_to() {
  local bootstrap=$1 label=$2 configs=$3
  target/release/weir topics --bootstrap-server "$bootstrap" --create --topic durable \
    --partitions 3 $configs >/dev/null
  local pids=() n
  for n in $(seq "$producers"); do
    target/release/weir perf produce --bootstrap-server "$bootstrap" --topic durable \
      --num-records $((records / producers)) --record-size 1024 --throughput -1 --acks 1 \
      ${PRODUCE_FLAGS:-} >"$work/produce-$label-$n.txt" &
    pids+=($!)
  done
  wait "${pids[@]}"
  local total
  # Each producer's last line is its summary.
  total=$(for f in "$work"/produce-"$label"-*.txt; do
    grep -oE '[0-9.]+ MB/sec' "$f" | tail -1 | awk '{print $1}'
  done | paste -sd+ | bc)
  echo "$label $total"
}

# Weir binary $1, labelled $2, topic configs $3.
measure() {
  local binary=$1 label=$2 data="$work/data-$2"
  "$binary" broker --override listeners=PLAINTEXT://127.0.0.1:$port \
    --override log.dirs="$data" >"$work/broker-$label.log" 2>&1 &
  broker_pid=$!
  sleep 1
  produce_to 127.0.0.1:$port "$label" "$3"
  stop_broker
  rm -rf "$data"
}

# The reference Kafka, labelled $1, topic configs $2.
measure_kafka() {
  kafka_dir="$work/kafka-$1"
  local bootstrap
  bootstrap=$(bench/kafka-ref.sh start --dir "$kafka_dir" --port $((port + 100)) | tail -1)
  produce_to "$bootstrap" "$1" "$2"
  stop_broker
  rm -rf "$work/kafka-$1"
}

flush="--config flush.messages=1"
results=$(measure target/release/weir this "$flush")
if [ -n "$other" ]; then
  results="$results"$'\n'"$(measure "$other" other "$flush")"
fi
results="$results"$'\n'"$(measure target/release/weir this-without-flush "")"
if [ "${KAFKA:-0}" = 1 ]; then
  results="$results"$'\n'"$(measure_kafka kafka "$flush")"
  results="$results"$'\n'"$(measure_kafka kafka-without-flush "")"
fi
echo "== summary (flush.messages=1 unless labelled without, 1 KiB records, acks=1," \
  "$producers producer(s))"
echo "$results" | while read -r label mb; do
  python3 -c "import sys; l, mb, f = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]); \
print(f'{l}: {mb:.1f} MB/s = {mb / f:.3f}x disk write+fdatasync ({f:.0f} MB/s)')" \
    "$label" "$mb" "$fdatasync"
done
