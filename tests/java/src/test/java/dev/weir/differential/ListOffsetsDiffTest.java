package dev.weir.differential;

import dev.weir.harness.Broker;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ListOffsets by timestamp and by the special targets (earliest, latest, max timestamp, ...),
 * through the AdminClient's listOffsets and the consumer's offsetsForTimes, on records whose
 * CreateTime the test chooses: before the first, exactly on one, between two, on duplicates,
 * after the last. Consumers seek by time with this (Kafka Streams, MirrorMaker, replays), so an
 * off-by-one offset silently skips or repeats records. The chosen timestamps make the answers
 * independent of the clock, and each topic gets the same records in the same batches on both
 * brokers, so the offsets are comparable as they are.
 */
@Timeout(60)
class ListOffsetsDiffTest {
    @RegisterExtension
    static final BrokerPair brokers = new BrokerPair();

    /** The CreateTime of each record, in offset order (2000 twice: the first must answer). */
    private static final List<Long> IN_ORDER = List.of(1000L, 2000L, 2000L, 3000L);
    /** Out of order: the answer is the first offset at or after a time, not the nearest time. */
    private static final List<Long> OUT_OF_ORDER = List.of(3000L, 1000L, 2000L, 1500L);

    /** topic -> how its records were sent. */
    private static final Map<String, String> TOPICS = Map.of(
            "one-batch-each", "IN_ORDER, one batch per record",
            "single-batch", "IN_ORDER, all records in one batch",
            "out-of-order", "OUT_OF_ORDER, one batch per record",
            "empty", "no records");

    @BeforeAll
    static void produce() {
        brokers.same("produce the timestamped records", broker -> {
            Clients.createTopics(broker, TOPICS.keySet().stream()
                    .map(topic -> new NewTopic(topic, 1, (short) 1)).toList());
            return List.of(
                    sendEach(broker, "one-batch-each", IN_ORDER),
                    sendTogether(broker, "single-batch", IN_ORDER),
                    sendEach(broker, "out-of-order", OUT_OF_ORDER));
        });
    }

    /** One acknowledged send per record: one batch each. Returns the offsets. */
    private static List<Long> sendEach(Broker broker, String topic, List<Long> timestamps)
            throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker)) {
            List<Long> offsets = new ArrayList<>();
            for (long timestamp : timestamps) {
                offsets.add(producer.send(record(topic, timestamp)).get().offset());
            }
            return offsets;
        }
    }

    /** Every record sent within the linger, then a flush: one batch. Returns the offsets. */
    private static List<Long> sendTogether(Broker broker, String topic, List<Long> timestamps)
            throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker,
                Map.of(ProducerConfig.LINGER_MS_CONFIG, "5000",
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000"))) {
            List<Future<RecordMetadata>> sent = timestamps.stream()
                    .map(timestamp -> producer.send(record(topic, timestamp))).toList();
            producer.flush();
            List<Long> offsets = new ArrayList<>();
            for (Future<RecordMetadata> future : sent) {
                offsets.add(future.get().offset());
            }
            return offsets;
        }
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, long timestamp) {
        return new ProducerRecord<>(topic, 0, timestamp, null, ("at " + timestamp).getBytes());
    }

    /** The targets the AdminClient can ask for: times around the records' and the specials. */
    private static Map<String, OffsetSpec> specs() {
        Map<String, OffsetSpec> specs = new LinkedHashMap<>();
        for (long time : List.of(0L, 999L, 1000L, 1001L, 1500L, 1999L, 2000L, 2500L, 3000L,
                3001L)) {
            specs.put("time " + time, OffsetSpec.forTimestamp(time));
        }
        specs.put("earliest", OffsetSpec.earliest());
        specs.put("latest", OffsetSpec.latest());
        specs.put("maxTimestamp", OffsetSpec.maxTimestamp());
        specs.put("earliestLocal", OffsetSpec.earliestLocal());
        specs.put("latestTiered", OffsetSpec.latestTiered());
        return specs;
    }

    /** The AdminClient's answer for each target, as {@code show} shows it. */
    private static Map<String, Outcome> adminLookUp(Broker broker, String topic,
            Function<ListOffsetsResultInfo, String> show) {
        TopicPartition partition = new TopicPartition(topic, 0);
        Map<String, Outcome> seen = new LinkedHashMap<>();
        try (Admin admin = Clients.admin(broker)) {
            specs().forEach((name, spec) -> seen.put("admin " + name, Outcome.of(() ->
                    show.apply(admin.listOffsets(Map.of(partition, spec))
                            .partitionResult(partition).get()))));
        }
        return seen;
    }

    /** The consumer's answers: offsetsForTimes (null for none), its beginning and its end. */
    private static Map<String, Outcome> consumerLookUp(Broker broker, String topic) {
        TopicPartition partition = new TopicPartition(topic, 0);
        Map<String, Outcome> seen = new LinkedHashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(broker)) {
            for (long time : List.of(0L, 1000L, 1500L, 2000L, 3000L, 3001L)) {
                seen.put("consumer offsetsForTimes " + time, Outcome.of(() -> {
                    OffsetAndTimestamp found =
                            consumer.offsetsForTimes(Map.of(partition, time)).get(partition);
                    return found == null
                            ? "null"
                            : "offset=" + found.offset() + " timestamp=" + found.timestamp();
                }));
            }
            seen.put("consumer beginningOffsets", Outcome.of(() ->
                    consumer.beginningOffsets(List.of(partition)).get(partition)));
            seen.put("consumer endOffsets", Outcome.of(() ->
                    consumer.endOffsets(List.of(partition)).get(partition)));
        }
        return seen;
    }

    @ParameterizedTest
    @ValueSource(strings = {"one-batch-each", "single-batch", "out-of-order", "empty"})
    void adminListOffsets(String topic) {
        brokers.same("admin listOffsets on " + topic + " (" + TOPICS.get(topic) + ")",
                broker -> adminLookUp(broker, topic,
                        info -> "offset=" + info.offset() + " timestamp=" + info.timestamp()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"one-batch-each", "single-batch", "out-of-order", "empty"})
    void consumerOffsetsForTimes(String topic) {
        brokers.same("consumer offsetsForTimes on " + topic + " (" + TOPICS.get(topic) + ")",
                broker -> consumerLookUp(broker, topic));
    }

    /**
     * Where no record answers (a time after the last, the max timestamp of an empty log,
     * latest tiered) the leader epoch is unset (-1, which the client shows as none), not the
     * partition's current epoch beside offset -1.
     */
    @ParameterizedTest
    @ValueSource(strings = {"one-batch-each", "empty"})
    void leaderEpochOfTheAnswer(String topic) {
        brokers.same("listOffsets leader epochs on " + topic, broker -> adminLookUp(broker, topic,
                info -> "offset=" + info.offset() + " leaderEpoch="
                        + info.leaderEpoch().map(String::valueOf).orElse("none")));
    }
}
