#!/usr/bin/env bash
# Replication's cost (issue #15), in one run: produce throughput of three local nodes with a
# topic of three replicas and min.insync.replicas=2 at acks=all, as a ratio of one node at
# acks=1, for Weir and for the reference Kafka (bench/kafka-ref.sh --nodes 3), back to back,
# alternating (K W K W), and the p50/p99 produce latency at acks=all at half of each broker's
# own three-node peak, in steady state (after five seconds of warm-up at that rate). Every round starts its brokers fresh. Kafka's ProducerPerformance,
# NUM_RECORDS records of 1 KiB, 3 partitions, unlimited rate (enable.idempotence=false: Weir
# has no InitProducerId yet, #17).
#
#   bench/replicated.sh [NUM_RECORDS]      (default 500,000 ≈ 0.5 GiB; FIXED_RATE_S=15)
#
# Prints every run, then a table of means and ratios. Three replicas on two shared cores: the
# target is three-node acks=all ≥ 0.33× one-node acks=1, and Weir ≥ Kafka on the three nodes.
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-500000}
fixed_rate_s=${FIXED_RATE_S:-15}
record_size=1024
partitions=3
tool=tests/java/kafka-tool
work=$(mktemp -d)
weir_pids=()

stop_weir() {
  for pid in "${weir_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${weir_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  weir_pids=()
}
cleanup() {
  stop_weir
  bench/kafka-ref.sh stop --dir "$work/kafka" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A base port with PORT..PORT+5 free (node N: client PORT+2(N-1), controller one above).
free_base() {
  python3 - <<'PY'
import socket
while True:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); base = s.getsockname()[1]; s.close()
    try:
        held = []
        for p in range(base, base + 6):
            t = socket.socket(); t.bind(("127.0.0.1", p)); held.append(t)
        for t in held: t.close()
        print(base); break
    except OSError:
        for t in held: t.close()
PY
}

echo "== building (cargo build --release, the Java tools)" >&2
cargo build --release --quiet
"$tool" classpath > /dev/null
mvn -B -q -Dstyle.color=never -f tests/java/pom.xml compile

start_weir() { # nodes
  local nodes=$1 base voters="" n
  base=$(free_base)
  rm -rf "$work/weir"
  for n in $(seq 1 "$nodes"); do
    voters="$voters${voters:+,}$n@127.0.0.1:$((base + 2 * (n - 1) + 1))"
  done
  for n in $(seq 1 "$nodes"); do
    local client=$((base + 2 * (n - 1))) controller=$((base + 2 * (n - 1) + 1))
    mkdir -p "$work/weir/node-$n"
    target/release/weir broker --override node.id="$n" \
      --override process.roles=broker,controller \
      --override listeners="PLAINTEXT://127.0.0.1:$client,CONTROLLER://127.0.0.1:$controller" \
      --override advertised.listeners="PLAINTEXT://127.0.0.1:$client" \
      --override controller.listener.names=CONTROLLER \
      --override controller.quorum.voters="$voters" \
      --override log.dirs="$work/weir/node-$n/data" > "$work/weir/node-$n/broker.log" 2>&1 &
    weir_pids+=($!)
  done
  for n in $(seq 1 "$nodes"); do
    bench/metadata_probe.py $((base + 2 * (n - 1))) "$(date +%s%N)" > /dev/null
  done
  bootstrap=127.0.0.1:$base
}

start_kafka() { # nodes
  local base
  base=$(free_base)
  rm -rf "$work/kafka"
  bootstrap=$(bench/kafka-ref.sh start --dir "$work/kafka" --port "$base" --nodes "$1")
}

stop_broker() { # kind
  if [ "$1" = kafka ]; then bench/kafka-ref.sh stop --dir "$work/kafka" >&2; else stop_weir; fi
}

# Creates a topic, retrying while the cluster still gathers its brokers.
create() { # topic replication_factor
  local tries=0
  until "$tool" kafka-topics --bootstrap-server "$bootstrap" --create --topic "$1" \
      --partitions $partitions --replication-factor "$2" \
      --config min.insync.replicas=$(( $2 < 2 ? 1 : 2 )) > /dev/null 2>&1; do
    tries=$((tries + 1))
    [ $tries -lt 30 ] || { echo "cannot create $1 with $2 replicas" >&2; exit 1; }
    sleep 1
  done
}

# ProducerPerformance's summary line -> "records_per_s mb_per_s p50_ms p99_ms"
parse_producer() {
  grep -E 'records sent' | tail -1 | sed -E \
    's/.* ([0-9.]+) records\/sec \(([0-9.]+) MB\/sec\).*, ([0-9.]+) ms 50th, [0-9.]+ ms 95th, ([0-9.]+) ms 99th.*/\1 \2 \3 \4/'
}

produce() { # topic num_records throughput acks [warmup_records]
  "$tool" kafka-producer-perf-test --topic "$1" --num-records "$2" --record-size $record_size \
    --throughput "$3" --warmup-records "${5:-0}" \
    --producer-props bootstrap.servers="$bootstrap" acks="$4" enable.idempotence=false |
    parse_producer
}

results="$work/results.txt"
: > "$results"
for round in 1 2; do
  for kind in kafka weir; do
    echo "== round $round: $kind, one node, acks=1" >&2
    "start_$kind" 1
    create single 1
    read -r _ single_mb _ _ <<< "$(produce single "$records" -1 1)"
    stop_broker "$kind"
    echo "== round $round: $kind, three nodes, three replicas, acks=all" >&2
    "start_$kind" 3
    create peak 3
    create fixed 3
    read -r peak_rps replicated_mb _ _ <<< "$(produce peak "$records" -1 all)"
    rate=$(python3 -c "print(max(1, int(float('$peak_rps') / 2)))")
    # Latency in steady state: the first five seconds (the producer's JVM warming up, its
    # first metadata and connections) are sent but left out (ProducerPerformance's
    # --warmup-records; its last summary line is the steady state's).
    read -r _ _ p50 p99 <<< "$(produce fixed $((rate * (fixed_rate_s + 5))) "$rate" all $((rate * 5)))"
    stop_broker "$kind"
    line="$kind single_acks1_mb_s=$single_mb rf3_acks_all_mb_s=$replicated_mb"
    line="$line half_peak_rps=$rate p50_ms=$p50 p99_ms=$p99"
    echo "$line" | tee -a "$results"
  done
done

python3 - "$results" <<'PY'
import sys
runs = {"kafka": [], "weir": []}
for line in open(sys.argv[1]):
    kind, *fields = line.split()
    runs[kind].append({k: float(v) for k, v in (f.split("=") for f in fields)})
mean = lambda kind, key: sum(r[key] for r in runs[kind]) / len(runs[kind])
print("| figure | Kafka | Weir | Weir/Kafka |")
print("| --- | --- | --- | --- |")
for name, key in [
    ("one node, acks=1, MB/s", "single_acks1_mb_s"),
    ("three nodes, RF 3, acks=all, MB/s", "rf3_acks_all_mb_s"),
    ("p50 ms at half the RF 3 peak", "p50_ms"),
    ("p99 ms at half the RF 3 peak", "p99_ms"),
]:
    k, w = mean("kafka", key), mean("weir", key)
    print(f"| {name} | {k:.1f} | {w:.1f} | {w / k if k else float('inf'):.2f}× |")
for kind in ("kafka", "weir"):
    ratio = mean(kind, "rf3_acks_all_mb_s") / mean(kind, "single_acks1_mb_s")
    print(f"{kind}: three-node RF 3 acks=all / one-node acks=1 = {ratio:.2f}× (target ≥ 0.33×)")
PY
