#!/usr/bin/env bash
# Weir beside Apache Kafka on this machine, in one run: the same load from the same Java tools
# against the reference Kafka (bench/kafka-ref.sh, its own default heap and GC flags) and
# against a release `weir broker`, back to back, twice each, alternating (K W K W), so the
# figures can be quoted as ratios. Every round starts its broker fresh and measures:
#   - start-up: process launch to the first answered Metadata request (bench/metadata_probe.py);
#   - produce MB/s: Kafka's ProducerPerformance, NUM_RECORDS records of 1 KiB, 3 partitions,
#     acks=1, unlimited rate (enable.idempotence=false: Weir has no InitProducerId yet, #17);
#   - consume MB/s: the Java consumer with assign() reading them all back
#     (tests/java AssignConsumerPerf: kafka-consumer-perf-test needs consumer groups, #16);
#   - p50/p99 produce latency at a fixed rate of half Kafka's peak records/s (the first round's
#     Kafka peak), for FIXED_RATE_S seconds;
#   - the broker's peak RSS (VmHWM) at the end of the round.
#
#   bench/compare.sh [NUM_RECORDS]      (default 1,000,000 ≈ 1 GiB; FIXED_RATE_S=15)
#
# Prints every run, then the ratios Weir/Kafka of the means. Data goes under a temp dir on the
# same disk for both brokers; everything started is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
fixed_rate_s=${FIXED_RATE_S:-15}
record_size=1024
partitions=3
tool=tests/java/kafka-tool
work=$(mktemp -d)
weir_pid=""

cleanup() {
  if [ -n "$weir_pid" ]; then kill "$weir_pid" 2>/dev/null || true; wait "$weir_pid" 2>/dev/null || true; fi
  bench/kafka-ref.sh stop --dir "$work/kafka" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== building (cargo build --release, the Java tools)" >&2
cargo build --release --quiet
"$tool" classpath > /dev/null
mvn -B -q -Dstyle.color=never -f tests/java/pom.xml compile

# The broker of this round: sets broker_pid and bootstrap, prints the start-up ms.
start_kafka() {
  local port
  port=$(free_port)
  while ! python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',$port+1))" 2>/dev/null; do
    port=$(free_port)
  done
  bench/kafka-ref.sh format --dir "$work/kafka" --port "$port" >&2
  local t0
  t0=$(date +%s%N)
  bench/kafka-ref.sh start --formatted --dir "$work/kafka" --port "$port" > /dev/null &
  local starter=$!
  startup_ms=$(bench/metadata_probe.py "$port" "$t0")
  wait "$starter"
  broker_pid=$(bench/kafka-ref.sh pids --dir "$work/kafka")
  bootstrap=127.0.0.1:$port
}

start_weir() {
  local port t0
  port=$(free_port)
  rm -rf "$work/weir"
  mkdir -p "$work/weir"
  t0=$(date +%s%N)
  target/release/weir broker --override listeners=PLAINTEXT://127.0.0.1:$port \
    --override log.dirs="$work/weir/data" > "$work/weir/broker.log" 2>&1 &
  weir_pid=$!
  startup_ms=$(bench/metadata_probe.py "$port" "$t0")
  broker_pid=$weir_pid
  bootstrap=127.0.0.1:$port
}

stop_broker() { # kind
  if [ "$1" = kafka ]; then
    bench/kafka-ref.sh stop --dir "$work/kafka" >&2
  else
    kill "$weir_pid"
    wait "$weir_pid" || true
    weir_pid=""
  fi
}

# ProducerPerformance's summary line -> "records_per_s mb_per_s p50_ms p99_ms"
parse_producer() {
  grep -E 'records sent' | tail -1 | sed -E \
    's/.* ([0-9.]+) records\/sec \(([0-9.]+) MB\/sec\).*, ([0-9.]+) ms 50th, [0-9.]+ ms 95th, ([0-9.]+) ms 99th.*/\1 \2 \3 \4/'
}

produce() { # topic num_records throughput
  "$tool" kafka-producer-perf-test --topic "$1" --num-records "$2" --record-size $record_size \
    --throughput "$3" --producer-props bootstrap.servers="$bootstrap" acks=1 \
    enable.idempotence=false | parse_producer
}

results="$work/results.txt"
: > "$results"
fixed_rate=""
for round in 1 2; do
  for kind in kafka weir; do
    echo "== round $round: $kind" >&2
    "start_$kind"
    "$tool" kafka-topics --bootstrap-server "$bootstrap" --create --topic peak \
      --partitions $partitions --replication-factor 1 > /dev/null
    "$tool" kafka-topics --bootstrap-server "$bootstrap" --create --topic fixed \
      --partitions $partitions --replication-factor 1 > /dev/null
    read -r peak_rps produce_mb _ _ <<< "$(produce peak "$records" -1)"
    if [ -z "$fixed_rate" ]; then
      fixed_rate=$(python3 -c "print(max(1, int(float('$peak_rps') / 2)))")
    fi
    consume_mb=$("$tool" assign-consumer-perf "$bootstrap" peak "$records" |
      sed -E 's/.*mb_per_s=([0-9.]+).*/\1/')
    read -r _ _ p50 p99 <<< "$(produce fixed $((fixed_rate * fixed_rate_s)) "$fixed_rate")"
    rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$broker_pid/status")
    stop_broker "$kind"
    line="$kind startup_ms=$startup_ms produce_mb_s=$produce_mb consume_mb_s=$consume_mb"
    line="$line p50_ms=$p50 p99_ms=$p99 rss_mib=$((rss_kib / 1024))"
    echo "$line" | tee -a "$results"
  done
done

echo "== fixed rate: $fixed_rate records/s of $record_size B (half of Kafka's round-1 peak)"
python3 - "$results" <<'PY'
import sys
runs = {"kafka": [], "weir": []}
for line in open(sys.argv[1]):
    kind, *fields = line.split()
    runs[kind].append({k: float(v) for k, v in (f.split("=") for f in fields)})
mean = lambda kind, key: sum(r[key] for r in runs[kind]) / len(runs[kind])
rows = [
    ("produce MB/s", "produce_mb_s", "≥ 1.0"),
    ("consume MB/s", "consume_mb_s", "≥ 1.0"),
    ("p50 produce latency ms (fixed rate)", "p50_ms", "lower"),
    ("p99 produce latency ms (fixed rate)", "p99_ms", "< 1.0"),
    ("peak RSS MiB", "rss_mib", "≤ 0.1"),
    ("start-up to first Metadata ms", "startup_ms", "lower"),
]
print(f"| figure | Kafka | Weir | Weir/Kafka | target |")
print(f"| --- | --- | --- | --- | --- |")
for name, key, target in rows:
    k, w = mean("kafka", key), mean("weir", key)
    ratio = w / k if k else float("inf")
    print(f"| {name} | {k:.1f} | {w:.1f} | {ratio:.2f}× | {target} |")
PY
