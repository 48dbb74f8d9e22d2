"""Client helpers for the compat tests: every call bounded in time, every failure explicit.

`produce` records what each delivery report said (partition, offset, timestamp), and `consume`
reads partitions from the beginning to their end; `assert_read_back` compares the two exactly:
keys, values, headers, timestamps, offsets and per-partition order.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Optional

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic

# Client logs go through Python logging: pytest shows them with a failing test, and a client
# kept alive by a failed test's traceback cannot print reconnect errors after the summary.
CLIENT_LOG = logging.getLogger("librdkafka")

CALL_TIMEOUT_S = 30.0
FLUSH_TIMEOUT_S = 90.0
CONSUME_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class Record:
    """A record as produced, and where the broker said it landed (from the delivery report)."""

    key: Optional[bytes]
    value: Optional[bytes]
    headers: Optional[list] = None
    partition: Optional[int] = None
    timestamp: Optional[int] = None


@dataclass(frozen=True)
class Landed:
    partition: int
    offset: int
    timestamp: int


@dataclass(frozen=True)
class Consumed:
    partition: int
    offset: int
    key: Optional[bytes]
    value: Optional[bytes]
    headers: Optional[list]
    timestamp: int


def admin(bootstrap: str) -> AdminClient:
    return AdminClient(
        {"bootstrap.servers": bootstrap, "socket.timeout.ms": 10000, "logger": CLIENT_LOG}
    )


def create_topic(bootstrap: str, topic: str, partitions: int = 3, config=None,
                 replication_factor: int = 1) -> None:
    # Keep the client alive until its futures resolve.
    client = admin(bootstrap)
    new = NewTopic(topic, num_partitions=partitions, replication_factor=replication_factor,
                   config=config or {})
    futures = client.create_topics(
        [new],
        operation_timeout=CALL_TIMEOUT_S,
        request_timeout=CALL_TIMEOUT_S,
    )
    futures[topic].result(timeout=CALL_TIMEOUT_S)
    wait_for_topic(bootstrap, topic, partitions)


def wait_for_topic(bootstrap: str, topic: str, partitions: int) -> None:
    """Until Metadata lists `topic` with `partitions` partitions, each with a leader."""
    client = admin(bootstrap)
    deadline = time.monotonic() + CALL_TIMEOUT_S
    last = None
    while time.monotonic() < deadline:
        metadata = client.list_topics(timeout=10)
        last = metadata.topics.get(topic)
        if (
            last is not None
            and last.error is None
            and len(last.partitions) == partitions
            and all(p.leader >= 0 and p.error is None for p in last.partitions.values())
        ):
            return
        time.sleep(0.1)
    raise AssertionError(f"topic {topic} not ready with {partitions} partitions: {last}")


def producer(bootstrap: str, **conf) -> Producer:
    settings = {
        "bootstrap.servers": bootstrap,
        "linger.ms": 5,
        "acks": "all",
        "message.timeout.ms": 60000,
        "request.timeout.ms": 15000,
        "socket.timeout.ms": 15000,
        "logger": CLIENT_LOG,
    }
    settings.update(conf)
    return Producer(settings)


def produce(bootstrap: str, topic: str, records: list, **conf) -> list:
    """Produces `records` in order; returns one `Landed` per record, from its delivery report."""
    client = producer(bootstrap, **conf)
    landed = [None] * len(records)
    errors = []

    def report(index):
        def on_delivery(err, msg):
            if err is not None:
                errors.append((index, err))
            else:
                landed[index] = Landed(msg.partition(), msg.offset(), msg.timestamp()[1])

        return on_delivery

    deadline = time.monotonic() + FLUSH_TIMEOUT_S
    for index, record in enumerate(records):
        kwargs = {"key": record.key, "value": record.value, "on_delivery": report(index)}
        if record.headers is not None:
            kwargs["headers"] = record.headers
        if record.partition is not None:
            kwargs["partition"] = record.partition
        if record.timestamp is not None:
            kwargs["timestamp"] = record.timestamp
        while True:
            try:
                client.produce(topic, **kwargs)
                break
            except BufferError:
                assert time.monotonic() < deadline, "producer queue stayed full"
                client.poll(0.1)
        client.poll(0)
    remaining = client.flush(max(1.0, deadline - time.monotonic()))
    assert remaining == 0, f"{remaining} records still undelivered after flush"
    assert not errors, f"{len(errors)} delivery errors, first: {errors[:3]}"
    assert all(item is not None for item in landed), "a delivery report is missing"
    return landed


def consumer(bootstrap: str, **conf) -> Consumer:
    settings = {
        "bootstrap.servers": bootstrap,
        # librdkafka insists on a group id even for assign(); nothing is committed.
        "group.id": f"weir-compat-{uuid.uuid4().hex[:8]}",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "earliest",
        "fetch.wait.max.ms": 100,
        "socket.timeout.ms": 15000,
        "logger": CLIENT_LOG,
    }
    settings.update(conf)
    return Consumer(settings)


def consume(bootstrap: str, topic: str, partitions: int, expected: int) -> list:
    """Reads partitions 0..`partitions` from the beginning until every one reports its end and
    at least `expected` records have arrived. Returns `Consumed` records in arrival order."""
    client = consumer(bootstrap)
    try:
        client.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        got = []
        at_end = set()
        deadline = time.monotonic() + CONSUME_TIMEOUT_S
        while len(got) < expected or len(at_end) < partitions:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"consumed {len(got)} of {expected} records from {topic} in "
                    f"{CONSUME_TIMEOUT_S:.0f}s; partitions at end: {sorted(at_end)}"
                )
            for msg in client.consume(num_messages=1000, timeout=0.5):
                err = msg.error()
                if err is not None and err.code() == KafkaError._PARTITION_EOF:
                    at_end.add(msg.partition())
                    continue
                if err is not None:
                    raise KafkaException(err)
                at_end.discard(msg.partition())
                got.append(
                    Consumed(
                        msg.partition(),
                        msg.offset(),
                        msg.key(),
                        msg.value(),
                        msg.headers(),
                        msg.timestamp()[1],
                    )
                )
        return got
    finally:
        client.close()


def assert_read_back(records: list, landed: list, consumed: list) -> None:
    """What was consumed is exactly what was acknowledged: same offsets, keys, values, headers,
    timestamps; every partition read in offset order, holding records in the order produced."""
    expected = {}
    for index, (record, where) in enumerate(zip(records, landed)):
        slot = (where.partition, where.offset)
        assert slot not in expected, f"two records acknowledged at {slot}"
        expected[slot] = (index, record, where)

    seen = {}
    last_offset = {}
    for msg in consumed:
        assert msg.offset > last_offset.get(msg.partition, -1), (
            f"partition {msg.partition} went from offset {last_offset.get(msg.partition)} "
            f"to {msg.offset}: not in order"
        )
        last_offset[msg.partition] = msg.offset
        slot = (msg.partition, msg.offset)
        assert slot not in seen, f"offset {slot} consumed twice"
        seen[slot] = msg

    missing = sorted(set(expected) - set(seen))
    extra = sorted(set(seen) - set(expected))
    assert not missing, f"{len(missing)} acknowledged records not read back, first {missing[:5]}"
    assert not extra, f"{len(extra)} records read that were never acknowledged: {extra[:5]}"

    for slot, (index, record, where) in expected.items():
        msg = seen[slot]
        assert msg.key == record.key, f"key at {slot}: {msg.key!r} != {record.key!r}"
        assert msg.value == record.value, f"value at {slot} differs (record {index})"
        assert (msg.headers or []) == (record.headers or []), (
            f"headers at {slot}: {msg.headers!r} != {record.headers!r}"
        )
        assert msg.timestamp == where.timestamp, (
            f"timestamp at {slot}: {msg.timestamp} != acknowledged {where.timestamp}"
        )

    # Producer order within a partition is offset order (no retries on loopback).
    by_partition = {}
    for index, where in enumerate(landed):
        by_partition.setdefault(where.partition, []).append((where.offset, index))
    for partition, pairs in by_partition.items():
        indexes = [index for _, index in sorted(pairs)]
        assert indexes == sorted(indexes), f"partition {partition} reordered the producer's sends"
        # One producer, no transactions: a partition's offsets leave no gaps.
        offsets = [offset for offset, _ in sorted(pairs)]
        assert offsets == list(range(offsets[0], offsets[0] + len(offsets))), (
            f"partition {partition}: acknowledged offsets have gaps: {offsets[:10]}..."
        )


def kafka_error_code(exc: BaseException) -> Optional[int]:
    """The Kafka error code inside an admin future's exception, if any."""
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        return exc.args[0].code()
    return None
