"""A busy disk delays only what waits for it (issue #14), on a real broker process.

One broker, its disk kept busy two ways at once for a few seconds: a producer at full speed to
a topic that fsyncs every append (`flush.messages=1`), and a consumer reading a topic from its
first, older segment over and over. Meanwhile a light producer writes to a third topic, and the
broker's heartbeats to its own controller go on. The broker must stay unfenced (every metadata
sample shows it leading the light topic, with a session timeout of 3 s) and every light record
must be acknowledged within a bound.
"""

import threading
import time

from confluent_kafka import OFFSET_BEGINNING, KafkaError, TopicPartition

from kafka_util import Record, admin, consumer, create_topic, produce, producer

LOAD_S = 6.0
LIGHT_EVERY_S = 0.05
# A heartbeat is due every 500 ms and a broker silent for 3 s is fenced; an ack slower than
# this would mean a stall of the same order.
ACK_BOUND_S = 2.0
COLD_RECORDS = 20_000
RECORD = b"x" * 1024


def _flushed_load(bootstrap: str, stop: threading.Event, acked: list) -> None:
    client = producer(bootstrap, acks="1", **{"linger.ms": 0})

    def on_delivery(err, _msg):
        if err is None:
            acked.append(1)

    while not stop.is_set():
        try:
            client.produce("flushed", value=RECORD, on_delivery=on_delivery)
        except BufferError:
            client.poll(0.05)
        client.poll(0)
    client.flush(30)


def _cold_reads(bootstrap: str, stop: threading.Event, read: list) -> None:
    client = consumer(bootstrap)
    try:
        client.assign([TopicPartition("cold", 0, OFFSET_BEGINNING)])
        while not stop.is_set():
            for msg in client.consume(num_messages=500, timeout=0.2):
                err = msg.error()
                if err is not None and err.code() == KafkaError._PARTITION_EOF:
                    # Back to the oldest segment: the reads stay off the active one.
                    client.seek(TopicPartition("cold", 0, OFFSET_BEGINNING))
                elif err is None:
                    read.append(1)
    finally:
        client.close()


def test_a_busy_disk_delays_neither_heartbeats_nor_other_partitions(broker_factory):
    broker = broker_factory(
        {"broker.session.timeout.ms": "3000", "broker.heartbeat.interval.ms": "500"}
    )
    bootstrap = broker.bootstrap
    create_topic(bootstrap, "flushed", 3, {"flush.messages": "1"})
    # Small segments, so that offset 0 is in an older segment than the active one.
    create_topic(bootstrap, "cold", 1, {"segment.bytes": str(1 << 20)})
    create_topic(bootstrap, "light", 1)
    produce(bootstrap, "cold", [Record(key=None, value=RECORD) for _ in range(COLD_RECORDS)], acks="1")

    stop = threading.Event()
    flushed_acks, cold_read = [], []
    load = [
        threading.Thread(target=_flushed_load, args=(bootstrap, stop, flushed_acks)),
        threading.Thread(target=_cold_reads, args=(bootstrap, stop, cold_read)),
    ]
    for thread in load:
        thread.start()
    light = producer(bootstrap, acks="1", **{"linger.ms": 0})
    latencies, errors, leaders = [], [], []
    try:
        metadata = admin(bootstrap)
        start = time.monotonic()
        next_sample = start
        while time.monotonic() - start < LOAD_S:
            sent = time.monotonic()

            def on_delivery(err, _msg, sent=sent):
                if err is not None:
                    errors.append(err)
                else:
                    latencies.append(time.monotonic() - sent)

            light.produce("light", value=b"light", on_delivery=on_delivery)
            light.poll(0)
            if time.monotonic() >= next_sample:
                topic = metadata.list_topics("light", timeout=ACK_BOUND_S).topics["light"]
                leaders.append(topic.partitions[0].leader)
                next_sample += 0.5
            time.sleep(LIGHT_EVERY_S)
        assert light.flush(30) == 0, "light records still undelivered"
    finally:
        stop.set()
        for thread in load:
            thread.join(60)

    print(
        f"light acks: {len(latencies)}, slowest {max(latencies, default=0):.3f}s; flushed acks: "
        f"{len(flushed_acks)}; cold records read: {len(cold_read)}; leaders seen: {set(leaders)}"
    )
    assert not errors, f"light records failed: {errors[:3]}"
    assert latencies, "no light record was acknowledged"
    assert max(latencies) < ACK_BOUND_S, f"slowest light ack {max(latencies):.2f}s"
    assert leaders and all(leader == 1 for leader in leaders), f"leaders seen: {leaders}"
    # The load was real: both kept the disk busy.
    assert flushed_acks, "the flushed topic acknowledged nothing"
    assert len(cold_read) > COLD_RECORDS // 2, f"the cold reader read {len(cold_read)} records"
