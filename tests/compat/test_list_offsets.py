"""ListOffsets: by timestamp (first offset whose timestamp is >= the target), earliest, latest."""

import time

from confluent_kafka import TopicPartition

from kafka_util import CALL_TIMEOUT_S, Record, consumer, create_topic, produce

STEP_MS = 1000


def test_offsets_for_times_finds_first_offset_at_or_after_target(broker):
    topic = "times"
    create_topic(broker.bootstrap, topic, 1)
    base = (int(time.time() * 1000) // 1000 - 3600) * 1000
    # Two produce calls, so the targets land both inside a batch and between batches.
    first = [Record(key=b"k%d" % i, value=b"v%d" % i, partition=0, timestamp=base + i * STEP_MS)
             for i in range(10)]
    second = [Record(key=b"k%d" % i, value=b"v%d" % i, partition=0,
                     timestamp=base + i * STEP_MS) for i in range(10, 20)]
    landed = produce(broker.bootstrap, topic, first, **{"linger.ms": 100})
    landed += produce(broker.bootstrap, topic, second, **{"linger.ms": 100})
    assert [w.offset for w in landed] == list(range(20))
    assert [w.timestamp for w in landed] == [base + i * STEP_MS for i in range(20)]

    cases = {
        base - 1: 0,
        base: 0,
        base + 1: 1,
        base + 5 * STEP_MS: 5,
        base + 5 * STEP_MS + 500: 6,
        base + 9 * STEP_MS + 1: 10,  # between the two batches
        base + 10 * STEP_MS: 10,
        base + 19 * STEP_MS: 19,
        base + 19 * STEP_MS + 1: -1,  # after the last record: no such offset
    }
    client = consumer(broker.bootstrap)
    try:
        for target, expected in cases.items():
            [answer] = client.offsets_for_times(
                [TopicPartition(topic, 0, target)], timeout=CALL_TIMEOUT_S
            )
            assert answer.error is None, f"target {target - base}: {answer.error}"
            assert answer.offset == expected, (
                f"timestamp base+{target - base} ms: offset {answer.offset}, want {expected}"
            )
        low, high = client.get_watermark_offsets(
            TopicPartition(topic, 0), timeout=CALL_TIMEOUT_S, cached=False
        )
        assert (low, high) == (0, 20)
    finally:
        client.close()
