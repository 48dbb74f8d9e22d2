#!/usr/bin/env bash
# The reference broker: a real Apache Kafka (the kafka_2.13 jar that tests/java/pom.xml pins,
# fetched through Maven) in KRaft combined mode on loopback, with a generated config. Tests and
# benchmarks send it the same requests as Weir and compare.
#
#   bench/kafka-ref.sh start --dir DIR [--port 19092] [--nodes 1|3]
#       formats and starts the node(s) in the background, waits until every node serves
#       (bounded), prints the bootstrap address on stdout; logs in DIR/node-N/server.log
#   bench/kafka-ref.sh format --dir DIR [--port ..] [--nodes ..]
#       only writes the configs and formats the storage (start --formatted then skips that,
#       so a benchmark can time the broker's start-up alone)
#   bench/kafka-ref.sh stop --dir DIR      stops what start began (SIGTERM, then SIGKILL)
#   bench/kafka-ref.sh pids --dir DIR      the running node pids, one a line
#
# Node N (1-based) listens on PORT+2(N-1) for clients and PORT+2(N-1)+1 for the controller.
# KAFKA_HEAP_OPTS sets the JVM heap (default Kafka's own: -Xmx1G -Xms1G).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
tool="$repo/tests/java/kafka-tool"
start_timeout_s=${KAFKA_REF_START_TIMEOUT_S:-90}
stop_timeout_s=20

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

command="${1:-}"
[ -n "$command" ] || usage
shift
dir="" port=19092 nodes=1 formatted=0
while [ $# -gt 0 ]; do
  case "$1" in
    --formatted) formatted=1; shift ;;
    --dir) dir="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --nodes) nodes="$2"; shift 2 ;;
    *) echo "kafka-ref: unknown argument '$1'" >&2; usage ;;
  esac
done
[ -n "$dir" ] || { echo "kafka-ref: --dir is required" >&2; usage; }
case "$nodes" in 1 | 3) ;; *) echo "kafka-ref: --nodes must be 1 or 3, not '$nodes'" >&2; exit 2 ;; esac

client_port() { echo $((port + 2 * ($1 - 1))); }
controller_port() { echo $((port + 2 * ($1 - 1) + 1)); }

voters() {
  local n list=""
  for n in $(seq 1 "$nodes"); do list="$list${list:+,}$n@127.0.0.1:$(controller_port "$n")"; done
  echo "$list"
}

write_config() {
  local n="$1" replication=$(( nodes < 3 ? nodes : 3 )) min_isr=$(( nodes < 3 ? 1 : 2 ))
  cat > "$dir/node-$n/server.properties" <<PROPS
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$(voters)
listeners=PLAINTEXT://127.0.0.1:$(client_port "$n"),CONTROLLER://127.0.0.1:$(controller_port "$n")
advertised.listeners=PLAINTEXT://127.0.0.1:$(client_port "$n")
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/node-$n/data
num.partitions=1
offsets.topic.replication.factor=$replication
offsets.topic.num.partitions=${KAFKA_REF_OFFSETS_PARTITIONS:-50}
transaction.state.log.replication.factor=$replication
transaction.state.log.min.isr=$min_isr
share.coordinator.state.topic.replication.factor=$replication
share.coordinator.state.topic.min.isr=$min_isr
group.initial.rebalance.delay.ms=0
PROPS
}

node_pid() { cat "$dir/node-$1/pid" 2>/dev/null || true; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

stop_all() {
  local n pid deadline
  for n in 1 2 3; do
    pid="$(node_pid "$n")"
    alive "$pid" && kill -TERM "$pid" 2>/dev/null || true
  done
  deadline=$((SECONDS + stop_timeout_s))
  for n in 1 2 3; do
    pid="$(node_pid "$n")"
    while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    if alive "$pid"; then
      echo "kafka-ref: node $n (pid $pid) ignored SIGTERM for ${stop_timeout_s}s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/node-$n/pid"
  done
}

wait_ready() {
  local n="$1" pid deadline=$((SECONDS + start_timeout_s))
  pid="$(node_pid "$n")"
  while [ $SECONDS -lt $deadline ]; do
    if ! alive "$pid"; then
      echo "kafka-ref: node $n exited during start-up; last lines of its log:" >&2
      tail -n 30 "$dir/node-$n/server.log" >&2
      return 1
    fi
    if grep -q "Kafka Server started" "$dir/node-$n/server.log" 2>/dev/null &&
      (exec 3<>"/dev/tcp/127.0.0.1/$(client_port "$n")") 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  echo "kafka-ref: node $n did not start within ${start_timeout_s}s; last lines of its log:" >&2
  tail -n 30 "$dir/node-$n/server.log" >&2
  return 1
}

format_all() {
  local n cluster_id
  "$tool" classpath > /dev/null
  # Any cluster id works; a fixed one keeps the logs comparable from run to run.
  cluster_id="${KAFKA_REF_CLUSTER_ID:-V2VpclJlZmVyZW5jZUthZg}"
  for n in $(seq 1 "$nodes"); do
    rm -rf "$dir/node-$n"
    mkdir -p "$dir/node-$n"
    write_config "$n"
    KAFKA_HEAP_OPTS="-Xmx256m" "$tool" kafka-storage format --ignore-formatted \
      -t "$cluster_id" -c "$dir/node-$n/server.properties" > "$dir/node-$n/format.log" 2>&1 || {
      echo "kafka-ref: kafka-storage format failed for node $n:" >&2
      cat "$dir/node-$n/format.log" >&2
      exit 1
    }
  done
}

start_all() {
  local n
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  for n in $(seq 1 "$nodes"); do
    if alive "$(node_pid "$n")"; then
      echo "kafka-ref: node $n already runs in $dir (pid $(node_pid "$n")); stop it first" >&2
      exit 1
    fi
  done
  [ "$formatted" = 1 ] || format_all
  for n in $(seq 1 "$nodes"); do
    # Kafka's own launch flags (kafka-run-class.sh): G1 with short pauses.
    KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}" \
      KAFKA_JVM_OPTS="-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
        -Djava.awt.headless=true" \
      KAFKA_LOG_LEVEL=info \
      setsid "$tool" kafka-server-start "$dir/node-$n/server.properties" \
      > "$dir/node-$n/server.log" 2>&1 < /dev/null &
    echo $! > "$dir/node-$n/pid"
  done
  for n in $(seq 1 "$nodes"); do
    wait_ready "$n" || { stop_all; exit 1; }
  done
  local bootstrap=""
  for n in $(seq 1 "$nodes"); do bootstrap="$bootstrap${bootstrap:+,}127.0.0.1:$(client_port "$n")"; done
  echo "$bootstrap"
}

case "$command" in
  start) start_all ;;
  format) mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"; format_all ;;
  stop) stop_all ;;
  pids) for n in 1 2 3; do pid="$(node_pid "$n")"; alive "$pid" && echo "$pid"; done; true ;;
  *) echo "kafka-ref: unknown command '$command'" >&2; usage ;;
esac
