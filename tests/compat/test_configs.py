"""DescribeConfigs and IncrementalAlterConfigs on topics."""

import time

from confluent_kafka.admin import (
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    ResourceType,
)

from kafka_util import CALL_TIMEOUT_S, admin, create_topic


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
