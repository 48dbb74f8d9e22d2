"""Produce 10,000 keyed records with headers in each codec, read them all back exactly."""

import pytest

from kafka_util import Record, assert_read_back, consume, create_topic, produce

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
