"""Produce 10,000 keyed records with headers in each codec, read them all back exactly."""

import time

import pytest
from confluent_kafka import KafkaError, TopicPartition

from kafka_util import (
    CALL_TIMEOUT_S,
    Record,
    assert_read_back,
    consume,
    consumer,
    create_topic,
    produce,
    producer,
)

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
RECORDS_PER_CODEC = 10_000
PARTITIONS = 3


def make_records(codec: str, count: int) -> list:
    records = []
    for i in range(count):
        headers = [
            ("codec", codec.encode()),
            ("seq", str(i).encode()),
            ("dup", b"first"),
            ("dup", b"second"),
            ("empty", b""),
        ]
        # Repetitive values so that every codec actually has something to compress.
        value = f"{codec}:{i}:".encode() + b"weir" * (i % 64)
        records.append(Record(key=f"key-{i % 1000}-{i}".encode(), value=value, headers=headers))
    return records


@pytest.mark.parametrize("codec", CODECS)
def test_every_codec_round_trips_exactly(broker, codec):
    topic = f"codec-{codec}"
    create_topic(broker.bootstrap, topic, PARTITIONS)
    records = make_records(codec, RECORDS_PER_CODEC)

    landed = produce(broker.bootstrap, topic, records, **{"compression.type": codec})

    assert {where.partition for where in landed} == set(range(PARTITIONS)), (
        "keyed records should spread over all partitions"
    )
    consumed = consume(broker.bootstrap, topic, PARTITIONS, len(records))
    assert_read_back(records, landed, consumed)
    for partition in range(PARTITIONS):
        offsets = sorted(w.offset for w in landed if w.partition == partition)
        assert offsets[0] == 0, f"a new topic's partition {partition} starts at offset 0"


def test_null_values_and_null_header_values_survive(broker):
    topic = "nulls"
    create_topic(broker.bootstrap, topic, 1)
    records = [
        Record(key=b"tombstone", value=None, headers=[("h", None)]),
        Record(key=None, value=b"keyless", headers=None),
        Record(key=b"", value=b"", headers=[("empty", b"")]),
    ]
    landed = produce(broker.bootstrap, topic, records, **{"linger.ms": 50})
    consumed = consume(broker.bootstrap, topic, 1, len(records))
    assert_read_back(records, landed, consumed)


@pytest.mark.parametrize("codec", ["none", "zstd"])
def test_fetch_from_the_middle_of_a_batch(broker, codec):
    """A fetch starting inside a batch gets the whole batch; the client skips what it does not
    need (a broker that dropped such batches made clients hang)."""
    topic = f"mid-batch-{codec}"
    create_topic(broker.bootstrap, topic, 1)
    records = [Record(key=b"k%d" % i, value=b"v%d" % i, partition=0) for i in range(100)]
    landed = produce(
        broker.bootstrap, topic, records, **{"compression.type": codec, "linger.ms": 200}
    )
    assert [w.offset for w in landed] == list(range(100))

    client = consumer(broker.bootstrap)
    try:
        client.assign([TopicPartition(topic, 0, 37)])
        got = []
        deadline = time.monotonic() + CALL_TIMEOUT_S
        while len(got) < 63 and time.monotonic() < deadline:
            for msg in client.consume(num_messages=100, timeout=0.5):
                if msg.error() is None:
                    got.append((msg.offset(), msg.key()))
        assert got == [(i, b"k%d" % i) for i in range(37, 100)]
    finally:
        client.close()


def test_record_over_max_message_bytes_is_refused(broker):
    topic = "small-messages"
    create_topic(broker.bootstrap, topic, 1, config={"max.message.bytes": "10000"})
    client = producer(broker.bootstrap, **{"message.max.bytes": 1_000_000, "retries": 0})
    errors = []
    client.produce(topic, key=b"big", value=b"x" * 20_000, partition=0,
                   on_delivery=lambda err, msg: errors.append(err))
    assert client.flush(CALL_TIMEOUT_S) == 0
    assert len(errors) == 1 and errors[0] is not None, "a 20 kB record was accepted"
    assert errors[0].code() == KafkaError.MSG_SIZE_TOO_LARGE, f"{errors[0]}, want 10"

    # The partition still takes records that fit.
    landed = produce(broker.bootstrap, topic, [Record(b"small", b"y" * 100, partition=0)])
    assert (landed[0].partition, landed[0].offset) == (0, 0)
