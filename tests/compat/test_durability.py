"""Restart durability: what was acknowledged with acks=all is there after a restart."""

import signal

from kafka_util import Record, assert_read_back, consume, create_topic, produce

PARTITIONS = 3
RECORDS = 3000


def records(prefix: str, count: int) -> list:
    return [
        Record(key=f"{prefix}-{i}".encode(), value=f"{prefix}-value-{i}".encode() * 3,
               headers=[("n", str(i).encode())])
        for i in range(count)
    ]


def read_back_after_restart(broker, topic, written, landed):
    consumed = consume(broker.bootstrap, topic, PARTITIONS, len(written))
    assert_read_back(written, landed, consumed)
    # Appends continue right after the recovered end of each partition.
    more = records("after", 300)
    more_landed = produce(broker.bootstrap, topic, more)
    for partition in range(PARTITIONS):
        old_end = 1 + max((w.offset for w in landed if w.partition == partition), default=-1)
        new = sorted(w.offset for w in more_landed if w.partition == partition)
        if new:
            assert new[0] == old_end, f"partition {partition}: {new[0]} after end {old_end}"
    consumed = consume(broker.bootstrap, topic, PARTITIONS, len(written) + len(more))
    assert_read_back(written + more, landed + more_landed, consumed)


def test_clean_restart_keeps_everything(broker):
    topic = "durable-sigterm"
    create_topic(broker.bootstrap, topic, PARTITIONS)
    written = records("sigterm", RECORDS)
    landed = produce(broker.bootstrap, topic, written, acks="all")

    code = broker.stop()
    assert code == 0, f"broker exited with {code} on SIGTERM, want a clean 0"
    broker.start()

    read_back_after_restart(broker, topic, written, landed)


def test_kill_9_loses_nothing_acknowledged_with_flush_every_message(broker_factory):
    broker = broker_factory({"log.flush.interval.messages": "1"})
    topic = "durable-sigkill"
    create_topic(broker.bootstrap, topic, PARTITIONS)
    written = records("sigkill", RECORDS)
    landed = produce(broker.bootstrap, topic, written, acks="all")

    broker.kill()
    assert broker.proc.returncode == -signal.SIGKILL
    broker.start()

    read_back_after_restart(broker, topic, written, landed)
