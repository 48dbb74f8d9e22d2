package dev.weir.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.harness.WeirBrokerExtension;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java producer against Weir, with idempotence off (its default needs InitProducerId, see
 * {@link DefaultProducerTest}): keys, headers, null values, every codec, every acks setting,
 * five requests in flight, a custom partitioner, and what the send callback reports. Every test
 * reads what it produced back with an assigned consumer and compares it field by field, because
 * a broker can acknowledge a write and still serve something else.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProducerTest {
    /** Timestamps set on produce: a whole second an hour ago, inside any timestamp bounds. */
    private static final long BASE_TS = (System.currentTimeMillis() / 1000) * 1000 - 3_600_000;

    @RegisterExtension
    static final WeirBrokerExtension weir = new WeirBrokerExtension(Map.of("num.partitions", "1"));
    private static Admin admin;

    @BeforeAll
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    static void start() {
        admin = weir.closeAtEnd(Clients.admin(weir.broker()));
    }

    /** What a test sent, to compare with what comes back. */
    private record Sent(String key, String value, long timestamp, List<Header> headers) {
        ProducerRecord<String, String> toRecord(String topic, Integer partition) {
            return new ProducerRecord<>(topic, partition, timestamp, key, value, headers);
        }
    }

    /** Sends everything, waits for every acknowledgement, returns the metadata in send order. */
    private static List<RecordMetadata> sendAll(KafkaProducer<String, String> producer,
            List<ProducerRecord<String, String>> records) throws Exception {
        List<Future<RecordMetadata>> futures = new ArrayList<>();
        for (ProducerRecord<String, String> record : records) {
            futures.add(producer.send(record));
        }
        producer.flush();
        List<RecordMetadata> acks = new ArrayList<>();
        for (Future<RecordMetadata> future : futures) {
            acks.add(future.get(Clients.WAIT.toSeconds(), TimeUnit.SECONDS));
        }
        return acks;
    }

    private static void assertRecord(String topic, int partition, long offset, Sent sent,
            ConsumerRecord<String, String> got) {
        String where = topic + "-" + partition + "@" + offset;
        assertEquals(partition, got.partition(), where + " partition");
        assertEquals(offset, got.offset(), where + " offset");
        assertEquals(sent.key(), got.key(), where + " key");
        assertEquals(sent.value(), got.value(), where + " value");
        assertEquals(sent.timestamp(), got.timestamp(), where + " timestamp");
        assertEquals(TimestampType.CREATE_TIME, got.timestampType(), where + " timestamp type");
        assertEquals(Clients.headers(sent.headers()), Clients.headers(got.headers()), where + " headers");
    }

    /** Sends {@code sent} to partition 0 of {@code topic} and reads each back in order. */
    private static void sendAndReadBack(String topic, List<Sent> sent, Map<String, Object> config)
            throws Exception {
        try (KafkaProducer<String, String> producer = Clients.producer(weir.broker(), config)) {
            sendAll(producer, sent.stream().map(s -> s.toRecord(topic, null)).toList());
        }
        List<ConsumerRecord<String, String>> got =
                Clients.readAll(weir.broker(), topic, sent.size());
        for (int i = 0; i < sent.size(); i++) {
            assertRecord(topic, 0, i, sent.get(i), got.get(i));
        }
    }

    private static Header header(String key, String value) {
        return new RecordHeader(key, value == null ? null : value.getBytes());
    }

    @Test
    void keysHeadersAndNullsComeBackExactly() throws Exception {
        String topic = "producer-fields";
        Clients.createTopic(admin, topic, 1);
        // Each record exercises one edge of the record format: null key, null value (a
        // tombstone), empty strings (not null), a header with a null value, repeated header
        // keys (order must survive), no headers at all, non-ASCII text.
        List<Sent> sent = List.of(
                new Sent("k1", "v1", BASE_TS, List.of(header("h1", "a"), header("h2", "b"))),
                new Sent(null, "no-key", BASE_TS + 1, List.of()),
                new Sent("tombstone", null, BASE_TS + 2, List.of(header("why", "deleted"))),
                new Sent(null, null, BASE_TS + 3, List.of()),
                new Sent("", "", BASE_TS + 4, List.of(header("", ""))),
                new Sent("k5", "v5", BASE_TS + 5, List.of(header("nullable", null))),
                new Sent("k6", "v6", BASE_TS + 6, List.of(header("dup", "1"), header("dup", "2"),
                        header("dup", "3"))),
                new Sent("ключ", "värde ✓", BASE_TS + 7, List.of(header("ü", "ß"))));
        try (KafkaProducer<String, String> producer = Clients.producer(weir.broker(), Map.of())) {
            List<RecordMetadata> acks = sendAll(producer,
                    sent.stream().map(s -> s.toRecord(topic, null)).toList());
            for (int i = 0; i < sent.size(); i++) {
                assertEquals(i, acks.get(i).offset(), "acknowledged offset of record " + i);
            }
        }
        List<ConsumerRecord<String, String>> got =
                Clients.readAll(weir.broker(), topic, sent.size());
        for (int i = 0; i < sent.size(); i++) {
            assertRecord(topic, 0, i, sent.get(i), got.get(i));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void everyCodecRoundTrips(String codec) throws Exception {
        String topic = "producer-codec-" + codec;
        Clients.createTopic(admin, topic, 1);
        // Repetitive values compress well, and a linger gathers many records per batch, so
        // the codec really runs on multi-record batches.
        List<Sent> sent = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            sent.add(new Sent("key-" + i, ("value " + i + " ").repeat(20), BASE_TS + i,
                    List.of(header("i", Integer.toString(i)))));
        }
        Map<String, Object> config = Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec,
                ProducerConfig.LINGER_MS_CONFIG, "50", ProducerConfig.BATCH_SIZE_CONFIG, "65536");
        sendAndReadBack(topic, sent, config);
        // The broker keeps the batch as the client compressed it (Kafka does not recompress
        // when the topic's compression.type is "producer"), so the codec shows on disk.
        assertEquals(codecId(codec), firstBatchCodec(topic), "codec bits of the first stored batch");
    }

    /**
     * A topic's compression.type other than "producer" makes the broker store every batch in
     * that codec, whatever the producer sent (Kafka recompresses on append); consumers read
     * the producer's records all the same.
     */
    @ParameterizedTest
    @ValueSource(strings = {"uncompressed", "gzip", "zstd"})
    void topicCompressionTypeRecompresses(String topicCodec) throws Exception {
        String topic = "producer-recompressed-" + topicCodec;
        Clients.createTopic(admin, new NewTopic(topic, 1, (short) 1)
                .configs(Map.of("compression.type", topicCodec)));
        List<Sent> sent = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            sent.add(new Sent("key-" + i, ("value " + i + " ").repeat(10), BASE_TS + i, List.of()));
        }
        Map<String, Object> config = Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
                ProducerConfig.LINGER_MS_CONFIG, "50");
        sendAndReadBack(topic, sent, config);
        String stored = topicCodec.equals("uncompressed") ? "none" : topicCodec;
        assertEquals(codecId(stored), firstBatchCodec(topic), "codec bits of the first stored batch");
    }

    private static int codecId(String codec) {
        return List.of("none", "gzip", "snappy", "lz4", "zstd").indexOf(codec);
    }

    /** The codec bits of the first batch in partition 0's first segment (Kafka's layout). */
    private static int firstBatchCodec(String topic) throws IOException {
        Path partitionDir = weir.broker().dataDir().resolve(topic + "-0");
        Path segment;
        try (Stream<Path> files = Files.list(partitionDir)) {
            segment = files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted()
                    .findFirst().orElseThrow(() -> new AssertionError("no segment in " + partitionDir));
        }
        // baseOffset i64, batchLength i32, partitionLeaderEpoch i32, magic i8, crc u32,
        // then attributes i16 at byte 21.
        ByteBuffer header = ByteBuffer.allocate(23);
        try (FileChannel channel = FileChannel.open(segment)) {
            while (header.hasRemaining() && channel.read(header) >= 0) {
                // read until the header is complete or the file ends
            }
        }
        assertFalse(header.hasRemaining(), "segment " + segment + " holds a whole batch header");
        assertEquals(2, header.get(16), "magic of the first batch");
        return header.getShort(21) & 0x7;
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "1", "all"})
    void everyAcksSettingDelivers(String acks) throws Exception {
        String topic = "producer-acks-" + acks;
        Clients.createTopic(admin, topic, 1);
        List<Sent> sent = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sent.add(new Sent("k" + i, "v" + i, BASE_TS + i, List.of()));
        }
        List<RecordMetadata> metadata;
        try (KafkaProducer<String, String> producer = Clients.producer(weir.broker(),
                Map.of(ProducerConfig.ACKS_CONFIG, acks))) {
            // acks=0 hears of no error: a produce that raced the topic's creation into the
            // broker's metadata would vanish. Wait until the broker lists the partition.
            producer.partitionsFor(topic);
            metadata = sendAll(producer, sent.stream().map(s -> s.toRecord(topic, null)).toList());
        }
        for (int i = 0; i < sent.size(); i++) {
            RecordMetadata m = metadata.get(i);
            if (acks.equals("0")) {
                // acks=0 gets no response, so the client cannot know the offset.
                assertFalse(m.hasOffset(), "acks=0 record " + i + " has no offset");
                assertEquals(-1, m.offset(), "acks=0 record " + i + " offset");
            } else {
                assertEquals(i, m.offset(), "acks=" + acks + " record " + i + " offset");
            }
            assertEquals(0, m.partition());
        }
        // acks=0 must still have written everything, in order: read it back to be sure.
        List<ConsumerRecord<String, String>> got =
                Clients.readAll(weir.broker(), topic, sent.size());
        for (int i = 0; i < sent.size(); i++) {
            assertRecord(topic, 0, i, sent.get(i), got.get(i));
        }
    }

    @Test
    void fiveRequestsInFlightKeepEachPartitionInOrder() throws Exception {
        String topic = "producer-in-flight";
        int partitions = 3;
        int perPartition = 1000;
        Clients.createTopic(admin, topic, partitions);
        // Small batches and no linger make many Produce requests, up to five outstanding per
        // connection; the broker must answer them in order and append them in order.
        Map<String, Object> config = Map.of(
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5",
                ProducerConfig.BATCH_SIZE_CONFIG, "1024",
                ProducerConfig.LINGER_MS_CONFIG, "0",
                ProducerConfig.ACKS_CONFIG, "all");
        Map<Integer, List<Long>> callbackOffsets = new HashMap<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (KafkaProducer<String, String> producer = Clients.producer(weir.broker(), config)) {
            for (int i = 0; i < partitions * perPartition; i++) {
                int partition = i % partitions;
                producer.send(new ProducerRecord<>(topic, partition, BASE_TS, "k" + i,
                        "value-" + i + "-" + "x".repeat(100)), (m, e) -> {
                            if (e != null) {
                                errors.add(e);
                            } else {
                                // Callbacks run on the one sender thread, in completion order.
                                synchronized (callbackOffsets) {
                                    callbackOffsets.computeIfAbsent(m.partition(), p -> new ArrayList<>())
                                            .add(m.offset());
                                }
                            }
                        });
            }
            producer.flush();
        }
        assertEquals(List.of(), errors, "send errors");
        for (int partition = 0; partition < partitions; partition++) {
            List<Long> dense = new ArrayList<>();
            for (long offset = 0; offset < perPartition; offset++) {
                dense.add(offset);
            }
            assertEquals(dense, callbackOffsets.get(partition),
                    "callback offsets of partition " + partition + ", in callback order");
        }
        List<ConsumerRecord<String, String>> got =
                Clients.readAll(weir.broker(), topic, partitions * perPartition);
        for (ConsumerRecord<String, String> record : got) {
            // Record i went to partition i % 3 as its (i / 3)th record.
            int i = (int) record.offset() * partitions + record.partition();
            assertEquals("k" + i, record.key(), record.partition() + "@" + record.offset());
        }
    }

    /**
     * Chooses the partition from the key's last digit, reversed (so the default partitioner
     * could not land records there by chance); keyless records go to partition 0.
     */
    public static class LastDigitPartitioner implements Partitioner {
        static int choose(String key, int partitions) {
            if (key == null) {
                return 0;
            }
            int digit = key.charAt(key.length() - 1) - '0';
            return partitions - 1 - digit % partitions;
        }

        @Override
        public int partition(String topic, Object key, byte[] keyBytes, Object value,
                byte[] valueBytes, Cluster cluster) {
            return choose((String) key, cluster.partitionCountForTopic(topic));
        }

        @Override
        public void close() {}

        @Override
        public void configure(Map<String, ?> configs) {}
    }

    @Test
    void customPartitionerChoosesThePartition() throws Exception {
        String topic = "producer-partitioner";
        int partitions = 4;
        Clients.createTopic(admin, topic, partitions);
        List<String> keys = List.of("a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9");
        List<ProducerRecord<String, String>> records = new ArrayList<>();
        for (String key : keys) {
            records.add(new ProducerRecord<>(topic, key, "value-of-" + key));
        }
        records.add(new ProducerRecord<>(topic, null, "keyless"));
        List<RecordMetadata> acks;
        try (KafkaProducer<String, String> producer = Clients.producer(weir.broker(),
                Map.of(ProducerConfig.PARTITIONER_CLASS_CONFIG, LastDigitPartitioner.class.getName()))) {
            acks = sendAll(producer, records);
        }
        for (int i = 0; i < records.size(); i++) {
            assertEquals(LastDigitPartitioner.choose(records.get(i).key(), partitions),
                    acks.get(i).partition(), "acknowledged partition of " + records.get(i).key());
        }
        var read = Clients.readAll(weir.broker(), topic, records.size());
        for (ConsumerRecord<String, String> record : read) {
            String expectedValue = record.key() == null ? "keyless" : "value-of-" + record.key();
            assertEquals(expectedValue, record.value());
            assertEquals(LastDigitPartitioner.choose(record.key(), partitions), record.partition(),
                    "partition holding " + record.key());
        }
    }

    @Test
    void callbackReportsDenseOffsetsAndTheTimestampsSent() throws Exception {
        String topic = "producer-callback";
        int partitions = 2;
        Clients.createTopic(admin, topic, partitions);
        // Timestamps out of order on purpose: CreateTime is the client's, never reordered or
        // clamped by the broker. A null timestamp makes the producer stamp its own clock.
        long[] timestamps = {BASE_TS + 500, BASE_TS, BASE_TS + 250, BASE_TS - 86_400_000L, BASE_TS + 1};
        List<ProducerRecord<String, String>> records = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Long timestamp = i % 6 == 5 ? null : timestamps[i % timestamps.length];
            records.add(new ProducerRecord<>(topic, i % partitions, timestamp, "k" + i, "v" + i));
        }
        List<RecordMetadata> seen = new CopyOnWriteArrayList<>();
        List<Exception> errors = new CopyOnWriteArrayList<>();
        long before = System.currentTimeMillis();
        try (KafkaProducer<String, String> producer = Clients.producer(weir.broker(), Map.of())) {
            for (ProducerRecord<String, String> record : records) {
                producer.send(record, (m, e) -> {
                    if (e != null) {
                        errors.add(e);
                    } else {
                        seen.add(m);
                    }
                });
            }
            producer.flush();
        }
        long after = System.currentTimeMillis();
        assertEquals(List.of(), errors, "send errors");
        assertEquals(records.size(), seen.size(), "callbacks run");
        // The callbacks of one partition run in send order; match them to records that way.
        Map<Integer, Integer> nextOffset = new HashMap<>();
        Map<Integer, List<RecordMetadata>> byPartition = new HashMap<>();
        for (RecordMetadata m : seen) {
            byPartition.computeIfAbsent(m.partition(), p -> new ArrayList<>()).add(m);
        }
        Map<String, Long> stamped = new HashMap<>();
        for (ProducerRecord<String, String> record : records) {
            int partition = record.partition();
            int index = nextOffset.merge(partition, 1, Integer::sum) - 1;
            RecordMetadata m = byPartition.get(partition).get(index);
            assertEquals(index, m.offset(), "offset of " + record.key());
            if (record.timestamp() != null) {
                assertEquals(record.timestamp(), m.timestamp(), "timestamp of " + record.key());
            } else {
                assertTrue(m.timestamp() >= before && m.timestamp() <= after,
                        "producer-stamped timestamp " + m.timestamp() + " within the send");
            }
            stamped.put(record.key(), m.timestamp());
        }
        var read = Clients.readAll(weir.broker(), topic, records.size());
        for (ConsumerRecord<String, String> record : read) {
            assertEquals(TimestampType.CREATE_TIME, record.timestampType());
            assertEquals(stamped.get(record.key()), record.timestamp(), "stored timestamp of " + record.key());
        }
    }

    @Test
    void logAppendTimeTopicReportsTheBrokersTime() throws Exception {
        String topic = "producer-log-append-time";
        Clients.createTopic(admin, new NewTopic(topic, 1, (short) 1)
                .configs(Map.of("message.timestamp.type", "LogAppendTime")));
        long before = System.currentTimeMillis();
        RecordMetadata m;
        try (KafkaProducer<String, String> producer = Clients.producer(weir.broker(), Map.of())) {
            // The client's timestamp is an hour old; the broker's replaces it.
            m = sendAll(producer, List.of(new ProducerRecord<>(topic, null, BASE_TS, "k", "v"))).get(0);
        }
        long after = System.currentTimeMillis();
        assertTrue(m.timestamp() >= before - 1000 && m.timestamp() <= after + 1000,
                "acknowledged LogAppendTime " + m.timestamp() + " near " + before + ".." + after);
        ConsumerRecord<String, String> got = Clients.readAll(weir.broker(), topic, 1).get(0);
        assertEquals(TimestampType.LOG_APPEND_TIME, got.timestampType());
        assertEquals(m.timestamp(), got.timestamp(), "stored LogAppendTime");
    }
}
