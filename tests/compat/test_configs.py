"""DescribeConfigs and IncrementalAlterConfigs on topics; starting from Kafka's own
server.properties."""

import time

from confluent_kafka.admin import (
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    ResourceType,
)

from conftest import REPO_ROOT, free_port
from kafka_util import (
    CALL_TIMEOUT_S,
    Record,
    admin,
    assert_read_back,
    consume,
    create_topic,
    produce,
)


def describe(bootstrap: str, topic: str) -> dict:
    resource = ConfigResource(ResourceType.TOPIC, topic)
    # Keep the client alive until its futures resolve.
    client = admin(bootstrap)
    futures = client.describe_configs([resource], request_timeout=CALL_TIMEOUT_S)
    return futures[resource].result(timeout=CALL_TIMEOUT_S)


def source_of(entry: ConfigEntry) -> ConfigSource:
    # The C layer hands back an int; the Python class documents an enum. Accept both.
    return ConfigSource(entry.source)


def test_describe_shows_defaults_with_their_source(broker):
    create_topic(broker.bootstrap, "described", 1)
    configs = describe(broker.bootstrap, "described")
    defaults = {
        "segment.bytes": "1073741824",
        "cleanup.policy": "delete",
        "retention.ms": "604800000",
    }
    for name, value in defaults.items():
        assert name in configs, f"{name} missing from DescribeConfigs: {sorted(configs)}"
        entry = configs[name]
        assert entry.value == value, f"{name} = {entry.value}, want Kafka's default {value}"
        assert source_of(entry) in (
            ConfigSource.DEFAULT_CONFIG,
            ConfigSource.STATIC_BROKER_CONFIG,
        ), f"{name}: source {entry.source}, want a default/static source"


def test_topic_config_given_at_creation_is_a_dynamic_topic_config(broker):
    create_topic(broker.bootstrap, "segmented", 1, config={"segment.bytes": "1048576"})
    entry = describe(broker.bootstrap, "segmented")["segment.bytes"]
    assert entry.value == "1048576"
    assert source_of(entry) == ConfigSource.DYNAMIC_TOPIC_CONFIG, f"source {entry.source}"


def test_incremental_alter_then_describe_shows_new_value(broker):
    create_topic(broker.bootstrap, "altered", 1)
    resource = ConfigResource(
        ResourceType.TOPIC,
        "altered",
        incremental_configs=[
            ConfigEntry("retention.ms", "3600000", incremental_operation=AlterConfigOpType.SET)
        ],
    )
    # Keep the client alive until its futures resolve.
    client = admin(broker.bootstrap)
    futures = client.incremental_alter_configs(
        [resource], request_timeout=CALL_TIMEOUT_S
    )
    futures[resource].result(timeout=CALL_TIMEOUT_S)

    deadline = time.monotonic() + CALL_TIMEOUT_S
    entry = None
    while time.monotonic() < deadline:
        entry = describe(broker.bootstrap, "altered")["retention.ms"]
        if entry.value == "3600000":
            break
        time.sleep(0.1)
    assert entry.value == "3600000", f"retention.ms still {entry.value}"
    assert source_of(entry) == ConfigSource.DYNAMIC_TOPIC_CONFIG, f"source {entry.source}"


def test_kafkas_shipped_server_properties_starts_weir(broker_factory):
    """Kafka 4's config/server.properties, unchanged but for ports and log.dirs (as overrides):
    the broker starts, serves, and names the Kafka keys it does not act on in one warning."""
    controller = f"127.0.0.1:{free_port()}"
    broker = broker_factory(
        {
            "listeners": f"PLAINTEXT://127.0.0.1:{{port}},CONTROLLER://{controller}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{{port}},CONTROLLER://{controller}",
            "controller.quorum.bootstrap.servers": controller,
        },
        properties=REPO_ROOT / "tests" / "fixtures" / "kafka-server.properties",
    )
    create_topic(broker.bootstrap, "from-kafka-config", 1)
    records = [Record(key=b"k", value=b"v", partition=0)]
    landed = produce(broker.bootstrap, "from-kafka-config", records)
    assert_read_back(records, landed, consume(broker.bootstrap, "from-kafka-config", 1, 1))
    log = broker.log_path.read_text(errors="replace")
    warnings = [line for line in log.splitlines() if "accepted but not acted on yet" in line]
    assert len(warnings) == 1, log
    for key in ["num.network.threads", "offsets.topic.replication.factor"]:
        assert key in warnings[0], warnings[0]
    # Kafka's request handler threads are Weir's runtime workers: acted on, not warned about.
    assert "num.io.threads" not in warnings[0], warnings[0]
    assert "unknown configuration key" not in log, log
