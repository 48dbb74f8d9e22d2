package dev.weir.differential;

import dev.weir.harness.Broker;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Produce requests a broker must refuse, and how: records larger than the topic's
 * max.message.bytes, keyless records on a compacted topic, acks=all below min.insync.replicas,
 * acks outside -1/0/1, and partitions or topics that do not exist. The Java producer turns each
 * error code into an exception class and decides from it whether to retry, so a wrong code
 * makes a client retry what can never succeed, or give up on what would. Where the producer
 * would refuse or answer for the broker, the request is sent raw (see {@link RawRequests}).
 */
@Timeout(60)
class ProduceDiffTest {
    @RegisterExtension
    static final BrokerPair brokers = new BrokerPair();

    /** A Produce version both brokers serve (Weir 0–11, Kafka 3–13) that names topics. */
    private static final short PRODUCE_VERSION = 9;

    @BeforeAll
    static void createTopics() {
        brokers.same("create topics", broker -> Clients.createTopics(broker, List.of(
                new NewTopic("plain", 1, (short) 1),
                new NewTopic("small-messages", 1, (short) 1)
                        .configs(Map.of("max.message.bytes", "1000")),
                new NewTopic("compacted", 1, (short) 1)
                        .configs(Map.of("cleanup.policy", "compact")),
                new NewTopic("compact-delete", 1, (short) 1)
                        .configs(Map.of("cleanup.policy", "compact,delete")),
                new NewTopic("two-insync", 1, (short) 1)
                        .configs(Map.of("min.insync.replicas", "2")),
                new NewTopic("append-time", 1, (short) 1)
                        .configs(Map.of("message.timestamp.type", "LogAppendTime")))));
    }

    /** Sends one record and waits for its acknowledgement: offset, or the exception. */
    private static Outcome send(Broker broker, Map<String, Object> config,
            ProducerRecord<byte[], byte[]> record) {
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker, config)) {
            return Outcome.of(() ->
                    producer.send(record).get().offset() >= 0 ? "acknowledged" : "no offset");
        }
    }

    private static byte[] bytes(int size) {
        return new byte[size];
    }

    /**
     * Around the topic's limit of 1000 bytes: a batch of one keyless record without headers is
     * its value plus 70 bytes, so 930 fills it exactly and 931 is one byte too many.
     */
    @ParameterizedTest(name = "value of {0} bytes")
    @ValueSource(ints = {100, 929, 930, 931, 2000, 100_000})
    void recordAgainstTopicMaxMessageBytes(int size) {
        brokers.same("small-messages, value " + size, broker -> send(broker, Map.of(),
                new ProducerRecord<>("small-messages", bytes(size))));
    }

    /** Past the broker's message.max.bytes (1048588), the producer's own limit raised above it. */
    @Test
    void recordAgainstBrokerMessageMaxBytes() {
        brokers.same("plain, value 1.2 MB", broker -> send(broker,
                Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "4000000"),
                new ProducerRecord<>("plain", bytes(1_200_000))));
    }

    @ParameterizedTest(name = "{0}, key {1}")
    @CsvSource({"compacted, k", "compacted, ''", "compact-delete, ''", "plain, ''"})
    void keyOnCompactedTopic(String topic, String key) {
        byte[] keyBytes = key.isEmpty() ? null : key.getBytes(StandardCharsets.UTF_8);
        brokers.same(topic + " key=" + (keyBytes == null ? "null" : key), broker -> send(broker,
                Map.of(), new ProducerRecord<>(topic, keyBytes, bytes(10))));
    }

    /**
     * acks=all on a one-replica partition whose topic wants two replicas in sync. Kafka 4 caps
     * min.insync.replicas at the replication factor (KIP-966), so both acknowledge it.
     */
    @ParameterizedTest(name = "acks={0}")
    @ValueSource(strings = {"all", "1"})
    void acksAgainstMinInsyncReplicas(String acks) {
        brokers.same("two-insync acks=" + acks, broker -> send(broker,
                Map.of(ProducerConfig.ACKS_CONFIG, acks),
                new ProducerRecord<>("two-insync", bytes(10))));
    }

    /** The producer's timestamp under LogAppendTime is the broker's clock, not the record's. */
    @Test
    void logAppendTimeReplacesTheCreateTime() {
        brokers.same("append-time timestamp", broker -> {
            try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker)) {
                return Outcome.of(() -> {
                    RecordMetadata sent = producer.send(new ProducerRecord<>(
                            "append-time", null, 1000L, null, bytes(10))).get();
                    return sent.timestamp() == 1000L ? "create time kept" : "broker time";
                });
            }
        });
    }

    /** The Java producer refuses acks=2 itself, before any request (so: same on both). */
    @Test
    void producerRefusesAcksTwo() {
        brokers.same("producer acks=2", broker -> Outcome.of(() -> {
            Clients.producer(broker, Map.of(ProducerConfig.ACKS_CONFIG, "2")).close();
            return "created";
        }));
    }

    /** Raw Produce with acks the protocol does not define: the broker's own answer. */
    @ParameterizedTest(name = "acks={0}")
    @ValueSource(shorts = {2, -2, 5})
    void rawProduceWithUndefinedAcks(short acks) {
        brokers.same("raw produce acks=" + acks, broker -> rawProduce(broker, acks, "plain", 0));
    }

    /** Raw Produce to partitions and topics that do not exist (the producer waits instead). */
    @ParameterizedTest(name = "{0}-{1}")
    @CsvSource({"plain, 0", "plain, 99", "plain, -1", "no-such-topic, 0"})
    void rawProduceToPartition(String topic, int partition) {
        brokers.same("raw produce to " + topic + "-" + partition, broker ->
                rawProduce(broker, (short) 1, topic, partition));
    }

    /** The producer itself waits for partition 99 to appear in the metadata, then times out. */
    @Test
    void producerToMissingPartition() {
        brokers.same("producer to plain-99", broker -> send(broker,
                Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, "1000"),
                new ProducerRecord<>("plain", 99, null, bytes(10))));
    }

    private static Outcome rawProduce(Broker broker, short acks, String topic, int partition)
            throws Exception {
        MemoryRecords records = MemoryRecords.withRecords(Compression.NONE,
                new SimpleRecord(System.currentTimeMillis(), null, bytes(10)));
        ProduceRequestData data = new ProduceRequestData()
                .setAcks(acks)
                .setTimeoutMs(5000)
                .setTopicData(new ProduceRequestData.TopicProduceDataCollection(List.of(
                        new ProduceRequestData.TopicProduceData()
                                .setName(topic)
                                .setPartitionData(List.of(
                                        new ProduceRequestData.PartitionProduceData()
                                                .setIndex(partition)
                                                .setRecords(records)))).iterator()));
        ProduceResponse response = (ProduceResponse) RawRequests.send(broker,
                new ProduceRequest.Builder(PRODUCE_VERSION, PRODUCE_VERSION, data),
                PRODUCE_VERSION);
        ProduceResponseData.PartitionProduceResponse answer = response.data().responses()
                .iterator().next().partitionResponses().get(0);
        Errors error = Errors.forCode(answer.errorCode());
        return error == Errors.NONE
                ? Outcome.ok("appended")
                : new Outcome(null, error.name(), answer.errorMessage());
    }
}
