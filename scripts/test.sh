#!/usr/bin/env bash
# The whole test suite, as README.md names it: one command on a fresh machine.
#
#   scripts/test.sh              everything (what CI runs via .ci/run)
#   WEIR_SKIP_SIM=1 scripts/test.sh   skip the slow simulator build (local use only)
#
# Installs what it needs, only if missing: kcat (Debian's, librdkafka 2.0.2), a virtualenv
# at .venv with confluent-kafka and pytest, Java 17 and Maven (Debian's), whose first run fetches
# Kafka's jars from Maven Central, and franz-go through the Go module proxy. Then runs, stopping
# at the first failing stage: rustfmt, clippy, the release build (the compat tests run
# target/release/weir), the Rust tests in the normal build, the Rust tests in the simulator
# build (--cfg madsim, own target dir), the Python + kcat compatibility tests in tests/compat,
# the JUnit suite in tests/java (the Java client, Kafka's own tools, the on-disk format both
# ways and differential tests against a real Kafka broker) and the franz-go tests in tests/go.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# Pinned: 2.16.x wheels bundle librdkafka 2.16, the client version KAFKA-COMPAT.md targets.
CONFLUENT_KAFKA_VERSION="2.16.1"
PYTEST_VERSION="8.3.4"
PYTEST_TIMEOUT_VERSION="2.3.1"

suite_start=$SECONDS
stage_name=""
stage_start=$SECONDS

stage() {
  stage_name="$1"
  stage_start=$SECONDS
  printf '\n==> [%4ds] %s\n' "$((SECONDS - suite_start))" "$stage_name"
}

stage_done() {
  printf '==> [%4ds] %s: ok (%ds)\n' "$((SECONDS - suite_start))" "$stage_name" \
    "$((SECONDS - stage_start))"
}

on_exit() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    printf '\n==> FAILED at stage "%s" (exit %d, after %ds)\n' "$stage_name" "$status" \
      "$((SECONDS - suite_start))" >&2
  fi
}
trap on_exit EXIT

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

stage "install kcat (if missing)"
if ! command -v kcat >/dev/null 2>&1; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat </dev/null
fi
kcat -V | sed -n 4p
stage_done

stage "python venv at .venv (if missing)"
venv_ok() {
  .venv/bin/python - "$CONFLUENT_KAFKA_VERSION" "$PYTEST_VERSION" "$PYTEST_TIMEOUT_VERSION" \
    <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
import confluent_kafka, pytest, pytest_timeout  # noqa: F401 (they must import, not just exist)
wanted = dict(zip(["confluent-kafka", "pytest", "pytest-timeout"], sys.argv[1:]))
sys.exit(any(version(name) != pinned for name, pinned in wanted.items()))
PY
}
if ! venv_ok; then
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check \
    "confluent-kafka==$CONFLUENT_KAFKA_VERSION" "pytest==$PYTEST_VERSION" \
    "pytest-timeout==$PYTEST_TIMEOUT_VERSION"
fi
venv_ok || { echo "the venv at .venv does not have the pinned packages" >&2; exit 1; }
.venv/bin/python -c "import confluent_kafka as ck
print('confluent-kafka', ck.version(), 'librdkafka', ck.libversion()[0])"
stage_done

stage "java 17 and maven (if missing), go"
if ! command -v mvn >/dev/null 2>&1 || ! command -v java >/dev/null 2>&1; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless \
    maven </dev/null
fi
java -version 2>&1 | sed -n 1p
mvn -B -v 2>/dev/null | sed -n 1p
# The Go toolchain's usual home, in case this shell's PATH lacks it.
command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null 2>&1 || {
  echo "go is missing: tests/go needs Go 1.26 or later (franz-go 1.22 requires it)" >&2
  exit 1
}
go version
stage_done

stage "cargo fmt --check"
cargo fmt --all -- --check
stage_done

stage "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
stage_done

stage "cargo build --release"
cargo build --release
stage_done

stage "cargo test (normal build)"
cargo test --workspace --all-targets --no-fail-fast
stage_done

if [ "${WEIR_SKIP_SIM:-0}" = "1" ] && [ "${CI:-}" != "true" ]; then
  stage "cargo test (simulator build)"
  echo "skipped: WEIR_SKIP_SIM=1"
else
  stage "cargo test (simulator build, --cfg madsim)"
  RUSTFLAGS="--cfg madsim" cargo test --workspace --all-targets --no-fail-fast \
    --target-dir target/sim
  stage_done

  # The simulator proper, in release (as sim/run builds it): the canary and determinism tests,
  # a sweep of every scenario, the regression seeds, and --check-determinism on a few seeds.
  stage "simulator: canaries and determinism tests (release, --cfg madsim)"
  RUSTFLAGS="--cfg madsim" cargo test --release -p weir-sim --target-dir target/sim \
    --test canaries --test determinism --test quorum --test election_trace --test unclean \
    -- --include-ignored --nocapture
  stage_done

  stage "simulator: sweep every scenario over seeds ${WEIR_SIM_SEEDS:=0..100}"
  sim/run sweep scenarios --seeds "$WEIR_SIM_SEEDS"
  stage_done

  stage "simulator: regression seeds"
  sim/run regress scenarios/regression
  stage_done

  stage "simulator: --check-determinism on several seeds"
  for seed in 1 2 3; do
    sim/run run scenarios/crash-restart-fsync.toml --seed "$seed" --check-determinism
    sim/run run scenarios/cluster-crashes.toml --seed "$seed" --check-determinism
  done
  stage_done
fi

stage "compat tests (confluent-kafka + kcat against target/release/weir)"
set +e
.venv/bin/pytest -q tests/compat
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure, not a pass" >&2
  exit 5
elif [ "$status" -ne 0 ]; then
  exit "$status"
fi
stage_done

stage "Java tests (tests/java: Java client, Kafka's tools, on-disk format, differential)"
# Kafka's jars from Maven Central on a fresh machine, and the classpath kafka-tool and
# bench/kafka-ref.sh run the tools and the reference broker with, before any test needs them.
tests/java/kafka-tool classpath > /dev/null
# Not -q: Surefire's "Tests run: N, Failures: F" lines are the closing lines CI reads.
mvn -B -ntp -Dstyle.color=never -f tests/java/pom.xml test
stage_done

stage "franz-go tests (tests/go)"
(cd tests/go && go test -count=1 ./...)
stage_done

printf '\n==> all stages passed in %ds\n' "$((SECONDS - suite_start))"
