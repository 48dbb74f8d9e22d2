package dev.weir.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.harness.WeirBrokerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Java consumer without a group (no group.id, no commits), positioned only by the
 * application: assign, seek, seekToBeginning/seekToEnd, position, offsetsForTimes,
 * beginningOffsets/endOffsets, pause/resume. These are what stream processors and replication
 * tools build on; they exercise ListOffsets (earliest, latest, by timestamp) and Fetch from
 * arbitrary offsets, including offsets inside a batch.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConsumerTest {
    /** Timestamps set on produce: a whole second an hour ago. */
    private static final long BASE_TS = (System.currentTimeMillis() / 1000) * 1000 - 3_600_000;

    @RegisterExtension
    static final WeirBrokerExtension weir = new WeirBrokerExtension(Map.of("num.partitions", "1"));
    private static Admin admin;

    @BeforeAll
    static void start() {
        admin = weir.closeAtEnd(Clients.admin(weir.broker()));
    }

    /**
     * Writes {@code count} records to one partition, value "p{partition}-{i}", record i with
     * timestamp {@code BASE_TS + 10 * i}; all in one batch, so seeks land inside batches.
     */
    private static void produce(String topic, int partition, int from, int count) throws Exception {
        Map<String, Object> linger = Map.of("linger.ms", "20");
        try (KafkaProducer<String, String> producer = Clients.producer(weir.broker(), linger)) {
            List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
            for (int i = from; i < from + count; i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, partition, BASE_TS + 10L * i,
                        "k" + i, "p" + partition + "-" + i)));
            }
            producer.flush();
            for (var future : sent) {
                future.get(Clients.WAIT.toSeconds(), TimeUnit.SECONDS);
            }
        }
    }

    /** What offsetsForTimes answers: the record's offset, timestamp and leader epoch (0: never moved). */
    private static OffsetAndTimestamp at(long offset, long timestamp) {
        return new OffsetAndTimestamp(offset, timestamp, Optional.of(0));
    }

    private static List<Long> offsets(List<ConsumerRecord<String, String>> records) {
        return records.stream().map(ConsumerRecord::offset).toList();
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i < to; i++) {
            out.add(i);
        }
        return out;
    }

    /** Polls for a while and returns whatever came (for "nothing more arrives" checks). */
    private static List<ConsumerRecord<String, String>> pollFor(KafkaConsumer<String, String> consumer,
            Duration duration) {
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        long deadline = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(100)).forEach(out::add);
        }
        return out;
    }

    @Test
    void assignAndSeekReadFromAnyOffset() throws Exception {
        String topic = "consumer-seek";
        Clients.createTopic(admin, topic, 1);
        produce(topic, 0, 0, 10);
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = Clients.consumer(weir.broker(), Map.of())) {
            consumer.assign(List.of(tp));
            assertEquals(Set.of(tp), consumer.assignment());
            // Offset 4 is in the middle of the one batch: the broker returns the whole batch
            // and the client drops records 0-3.
            consumer.seek(tp, 4);
            assertEquals(4, consumer.position(tp, Clients.WAIT));
            List<ConsumerRecord<String, String>> records = Clients.poll(consumer, 6);
            assertEquals(range(4, 10), offsets(records));
            assertEquals("p0-4", records.get(0).value());
            assertEquals(BASE_TS + 40, records.get(0).timestamp());
            assertEquals(10, consumer.position(tp, Clients.WAIT), "position after the last record");
            // Seeking backwards re-reads.
            consumer.seek(tp, 9);
            assertEquals(List.of(9L), offsets(Clients.poll(consumer, 1)));
        }
    }

    @Test
    void seekToBeginningAndEnd() throws Exception {
        String topic = "consumer-seek-ends";
        Clients.createTopic(admin, topic, 1);
        produce(topic, 0, 0, 5);
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = Clients.consumer(weir.broker(), Map.of())) {
            consumer.assign(List.of(tp));
            consumer.seekToEnd(List.of(tp));
            assertEquals(5, consumer.position(tp, Clients.WAIT), "position after seekToEnd");
            assertEquals(List.of(), pollFor(consumer, Duration.ofMillis(500)), "nothing past the end");
            // What arrives after seekToEnd is read, and only that.
            produce(topic, 0, 5, 2);
            assertEquals(List.of(5L, 6L), offsets(Clients.poll(consumer, 2)));
            consumer.seekToBeginning(List.of(tp));
            assertEquals(0, consumer.position(tp, Clients.WAIT), "position after seekToBeginning");
            assertEquals(range(0, 7), offsets(Clients.poll(consumer, 7)));
        }
    }

    @Test
    void autoOffsetResetDecidesTheFirstPosition() throws Exception {
        String topic = "consumer-reset";
        Clients.createTopic(admin, topic, 1);
        produce(topic, 0, 0, 3);
        TopicPartition tp = new TopicPartition(topic, 0);
        // Without a group there is no committed offset: auto.offset.reset alone decides.
        for (Map.Entry<String, Long> reset : Map.of("earliest", 0L, "latest", 3L).entrySet()) {
            try (KafkaConsumer<String, String> consumer = Clients.consumer(weir.broker(),
                    Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, reset.getKey()))) {
                consumer.assign(List.of(tp));
                assertEquals(reset.getValue(), consumer.position(tp, Clients.WAIT),
                        "position with auto.offset.reset=" + reset.getKey());
            }
        }
    }

    @Test
    void beginningAndEndOffsets() throws Exception {
        String topic = "consumer-ends";
        Clients.createTopic(admin, topic, 3);
        produce(topic, 0, 0, 3);
        produce(topic, 1, 0, 5);
        // Partition 2 stays empty: its beginning and end are both 0.
        List<TopicPartition> tps = Clients.partitions(topic, 3);
        try (KafkaConsumer<String, String> consumer = Clients.consumer(weir.broker(), Map.of())) {
            assertEquals(Map.of(tps.get(0), 0L, tps.get(1), 0L, tps.get(2), 0L),
                    consumer.beginningOffsets(tps, Clients.WAIT));
            assertEquals(Map.of(tps.get(0), 3L, tps.get(1), 5L, tps.get(2), 0L),
                    consumer.endOffsets(tps, Clients.WAIT));
        }
    }

    @Test
    void offsetsForTimesFindsTheFirstRecordAtOrAfter() throws Exception {
        String topic = "consumer-times";
        Clients.createTopic(admin, topic, 2);
        produce(topic, 0, 0, 10); // timestamps BASE_TS, +10, ..., +90
        produce(topic, 1, 0, 3); // timestamps BASE_TS, +10, +20
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        try (KafkaConsumer<String, String> consumer = Clients.consumer(weir.broker(), Map.of())) {
            // An exact timestamp, one between two records, one before everything.
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(
                    Map.of(p0, BASE_TS + 30, p1, BASE_TS + 15), Clients.WAIT);
            assertEquals(at(3, BASE_TS + 30), found.get(p0));
            assertEquals(at(2, BASE_TS + 20), found.get(p1));
            found = consumer.offsetsForTimes(Map.of(p0, BASE_TS - 60_000), Clients.WAIT);
            assertEquals(at(0, BASE_TS), found.get(p0));
            // The last record exactly, then one millisecond past it: no such record, null.
            found = consumer.offsetsForTimes(Map.of(p0, BASE_TS + 90), Clients.WAIT);
            assertEquals(at(9, BASE_TS + 90), found.get(p0));
            found = consumer.offsetsForTimes(Map.of(p0, BASE_TS + 91, p1, BASE_TS + 3_600_000), Clients.WAIT);
            assertTrue(found.containsKey(p0) && found.containsKey(p1), "both partitions answered: " + found);
            assertNull(found.get(p0), "a timestamp past the last record");
            assertNull(found.get(p1), "a timestamp past the last record");
            // What offsetsForTimes returns is where a seek starts reading.
            consumer.assign(List.of(p0));
            consumer.seek(p0, consumer.offsetsForTimes(Map.of(p0, BASE_TS + 55), Clients.WAIT).get(p0).offset());
            ConsumerRecord<String, String> first = Clients.poll(consumer, 4).get(0);
            assertEquals(6, first.offset());
            assertEquals(BASE_TS + 60, first.timestamp());
        }
    }

    @Test
    void pausedPartitionsReturnNothingUntilResumed() throws Exception {
        String topic = "consumer-pause";
        Clients.createTopic(admin, topic, 2);
        produce(topic, 0, 0, 5);
        produce(topic, 1, 0, 5);
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        try (KafkaConsumer<String, String> consumer = Clients.consumer(weir.broker(), Map.of())) {
            consumer.assign(List.of(p0, p1));
            consumer.seekToBeginning(List.of(p0, p1));
            consumer.pause(List.of(p0));
            assertEquals(Set.of(p0), consumer.paused());
            List<ConsumerRecord<String, String>> first = Clients.poll(consumer, 5);
            assertTrue(first.stream().allMatch(r -> r.partition() == 1), "only partition 1 while 0 is paused");
            assertEquals(range(0, 5), offsets(first));
            // Still paused: more polling brings nothing from partition 0.
            assertEquals(List.of(), pollFor(consumer, Duration.ofMillis(500)), "while partition 0 is paused");
            assertEquals(0, consumer.position(p0, Clients.WAIT), "a paused partition's position stays");

            // Partition 1 grows while 0 is resumed: both continue where they were.
            produce(topic, 1, 5, 2);
            consumer.resume(List.of(p0));
            assertEquals(Set.of(), consumer.paused());
            Map<Integer, List<Long>> byPartition = new HashMap<>();
            for (ConsumerRecord<String, String> record : Clients.poll(consumer, 7)) {
                byPartition.computeIfAbsent(record.partition(), p -> new ArrayList<>()).add(record.offset());
            }
            assertEquals(Map.of(0, range(0, 5), 1, range(5, 7)), byPartition);
        }
    }
}
