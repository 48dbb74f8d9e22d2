"""Topic management as admin clients see it: auto-creation, name and argument validation."""

import time

import pytest
from confluent_kafka import KafkaError
from confluent_kafka.admin import NewPartitions, NewTopic

from kafka_util import (
    CALL_TIMEOUT_S,
    Record,
    admin,
    assert_read_back,
    consume,
    create_topic,
    kafka_error_code,
    produce,
    producer,
)

DEFAULT_NUM_PARTITIONS = 1  # Kafka's num.partitions default


def test_produce_to_unknown_topic_creates_it(broker):
    records = [Record(key=b"k%d" % i, value=b"v%d" % i) for i in range(50)]
    landed = produce(broker.bootstrap, "auto-by-produce", records)
    meta = admin(broker.bootstrap).list_topics(timeout=CALL_TIMEOUT_S)
    assert len(meta.topics["auto-by-produce"].partitions) == DEFAULT_NUM_PARTITIONS
    consumed = consume(broker.bootstrap, "auto-by-produce", DEFAULT_NUM_PARTITIONS, len(records))
    assert_read_back(records, landed, consumed)


def test_metadata_for_unknown_topic_creates_it(broker):
    # A producer's metadata request sets allow_auto_topic_creation=true.
    client = producer(broker.bootstrap)
    deadline = time.monotonic() + CALL_TIMEOUT_S
    topic = None
    while time.monotonic() < deadline:
        topic = client.list_topics(topic="auto-by-metadata", timeout=10).topics["auto-by-metadata"]
        if topic.error is None and topic.partitions:
            break
        # LEADER_NOT_AVAILABLE while it is being created is what Kafka answers too.
        time.sleep(0.2)
    assert topic is not None and topic.error is None, f"not auto-created: {topic.error}"
    assert len(topic.partitions) == DEFAULT_NUM_PARTITIONS
    listed = admin(broker.bootstrap).list_topics(timeout=CALL_TIMEOUT_S).topics
    assert "auto-by-metadata" in listed


def create_error(bootstrap: str, new_topic: NewTopic) -> int:
    # Keep the client alive until its futures resolve.
    client = admin(bootstrap)
    futures = client.create_topics(
        [new_topic], operation_timeout=CALL_TIMEOUT_S, request_timeout=CALL_TIMEOUT_S
    )
    with pytest.raises(Exception) as caught:
        futures[new_topic.topic].result(timeout=CALL_TIMEOUT_S)
    return kafka_error_code(caught.value)


@pytest.mark.parametrize(
    "name",
    ["bad name!", ".", "..", "t" * 250, "__consumer_offsets", "a/b", "ümlaut"],
    ids=["space-bang", "dot", "dotdot", "250-chars", "consumer-offsets", "slash", "non-ascii"],
)
def test_invalid_topic_names_are_refused(broker, name):
    code = create_error(broker.bootstrap, NewTopic(name, num_partitions=1, replication_factor=1))
    assert code == KafkaError.TOPIC_EXCEPTION, f"{name!r}: error {code}, want 17"
    listed = admin(broker.bootstrap).list_topics(timeout=CALL_TIMEOUT_S).topics
    assert name not in listed


def test_replication_factor_above_broker_count_is_refused(broker):
    code = create_error(broker.bootstrap, NewTopic("rf3", num_partitions=1, replication_factor=3))
    assert code == KafkaError.INVALID_REPLICATION_FACTOR, f"error {code}, want 38"


def test_creating_an_existing_topic_is_refused(broker):
    create_topic(broker.bootstrap, "twice", 1)
    code = create_error(broker.bootstrap, NewTopic("twice", num_partitions=1, replication_factor=1))
    assert code == KafkaError.TOPIC_ALREADY_EXISTS, f"error {code}, want 36"


def test_partitions_grow_but_never_shrink(broker):
    create_topic(broker.bootstrap, "resize", 3)
    client = admin(broker.bootstrap)

    futures = client.create_partitions(
        [NewPartitions("resize", 1)], operation_timeout=CALL_TIMEOUT_S,
        request_timeout=CALL_TIMEOUT_S,
    )
    with pytest.raises(Exception) as caught:
        futures["resize"].result(timeout=CALL_TIMEOUT_S)
    code = kafka_error_code(caught.value)
    assert code == KafkaError.INVALID_PARTITIONS, f"shrink: error {code}, want 37"

    futures = client.create_partitions(
        [NewPartitions("resize", 5)], operation_timeout=CALL_TIMEOUT_S,
        request_timeout=CALL_TIMEOUT_S,
    )
    futures["resize"].result(timeout=CALL_TIMEOUT_S)
    deadline = time.monotonic() + CALL_TIMEOUT_S
    while time.monotonic() < deadline:
        topic = client.list_topics(timeout=10).topics["resize"]
        if len(topic.partitions) == 5:
            break
        time.sleep(0.1)
    assert len(topic.partitions) == 5
    landed = produce(broker.bootstrap, "resize", [Record(b"k", b"v", partition=4)])
    assert (landed[0].partition, landed[0].offset) == (4, 0)
