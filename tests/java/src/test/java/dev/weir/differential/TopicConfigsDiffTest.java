package dev.weir.differential;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weir.harness.Broker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreatePartitionsOptions;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What CreateTopics, CreatePartitions and IncrementalAlterConfigs refuse, and as what: partition
 * counts and replication factors that cannot be, a partition count that would shrink, and topic
 * config values that do not parse or are out of range. An operator's script reacts to the
 * exception class (InvalidConfigurationException, InvalidPartitionsException, ...), so it must
 * be Kafka's; what is accepted must be too. Most requests are validate-only, so that one topic
 * name serves every case and nothing is left behind.
 */
@Timeout(60)
class TopicConfigsDiffTest {
    @RegisterExtension
    static final BrokerPair brokers = new BrokerPair();

    /** An existing topic for IncrementalAlterConfigs and CreatePartitions, 3 partitions. */
    private static final String EXISTING = "existing";

    @BeforeAll
    static void createExisting() {
        brokers.same("create " + EXISTING, broker ->
                Clients.createTopics(broker, List.of(new NewTopic(EXISTING, 3, (short) 1))));
    }

    private static Outcome validateCreate(Broker broker, NewTopic topic) {
        try (Admin admin = Clients.admin(broker)) {
            return Outcome.of(() -> admin.createTopics(List.of(topic),
                    new CreateTopicsOptions().validateOnly(true)).all().get());
        }
    }

    private static Outcome validateAlter(Broker broker, String topic, String key, String value) {
        try (Admin admin = Clients.admin(broker)) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            AlterConfigOp set =
                    new AlterConfigOp(new ConfigEntry(key, value), AlterConfigOp.OpType.SET);
            return Outcome.of(() -> admin.incrementalAlterConfigs(Map.of(resource, List.of(set)),
                    new AlterConfigsOptions().validateOnly(true)).all().get());
        }
    }

    @ParameterizedTest(name = "partitions={0} replicationFactor={1}")
    @CsvSource({"0, 1", "-2, 1", "1, 0", "1, 2", "1, -2", "-1, -1", "100000, 1"})
    void createWithPartitionsAndReplicationFactor(int partitions, short replicationFactor) {
        brokers.same("create partitions=" + partitions + " rf=" + replicationFactor, broker ->
                validateCreate(broker, new NewTopic("counts", partitions, replicationFactor)));
    }

    @Test
    void createExistingTopic() {
        brokers.same("create an existing topic", broker ->
                validateCreate(broker, new NewTopic(EXISTING, 1, (short) 1)));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "retention.ms|abc", "retention.ms|-1", "retention.ms|-2", "retention.ms|1.5",
        "cleanup.policy|bogus", "cleanup.policy|compact,delete", "cleanup.policy|delete,delete",
        "min.insync.replicas|0", "min.insync.replicas|2",
        "segment.bytes|10", "segment.bytes|1048576", "segment.bytes|99999999999",
        "max.message.bytes|-1", "max.message.bytes|0",
        "message.timestamp.type|Bogus", "message.timestamp.type|LogAppendTime",
        "unclean.leader.election.enable|maybe", "no.such.config|1"})
    void createWithConfig(String key, String value) {
        brokers.same("create with " + key + "=" + value, broker -> validateCreate(broker,
                new NewTopic("configured", 1, (short) 1).configs(Map.of(key, value))));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "retention.ms|abc", "retention.ms|-1", "cleanup.policy|bogus", "min.insync.replicas|0",
        "segment.bytes|10", "message.timestamp.type|Bogus", "no.such.config|1"})
    void alterConfig(String key, String value) {
        brokers.same("alter " + key + "=" + value, broker ->
                validateAlter(broker, EXISTING, key, value));
    }

    /**
     * Rules Kafka 4 changed: an empty cleanup.policy (neither delete nor compact: keep
     * everything) is accepted by both.
     */
    @Test
    void emptyCleanupPolicy() {
        brokers.same("create and alter with cleanup.policy=''", broker -> List.of(
                validateCreate(broker,
                        new NewTopic("configured", 1, (short) 1).configs(Map.of("cleanup.policy", ""))),
                validateAlter(broker, EXISTING, "cleanup.policy", "")));
    }

    /**
     * Documented difference: segment.bytes below 1 MiB (KIP-1030 raised Kafka 4's minimum from
     * 14) is refused by Kafka and accepted by Weir, whose simulator runs many small segments.
     */
    @ParameterizedTest(name = "segment.bytes={0}")
    @ValueSource(strings = {"1000", "1048575"})
    void smallSegments(String value) {
        BrokerPair.Observed<List<Outcome>> observed = brokers.both("create and alter with segment.bytes=" + value,
                broker -> List.of(
                        validateCreate(broker,
                                new NewTopic("configured", 1, (short) 1).configs(Map.of("segment.bytes", value))),
                        validateAlter(broker, EXISTING, "segment.bytes", value)));
        for (Outcome outcome : observed.kafka()) {
            assertEquals("InvalidConfigurationException", outcome.error(), "kafka: " + observed.kafka());
        }
        for (Outcome outcome : observed.weir()) {
            assertEquals(null, outcome.error(), "weir: " + observed.weir());
        }
    }

    @Test
    void alterConfigOfUnknownTopic() {
        brokers.same("alter an unknown topic", broker ->
                validateAlter(broker, "no-such-topic", "retention.ms", "1000"));
    }

    /** Shrinking, keeping and growing the partition count (validate only). */
    @ParameterizedTest(name = "3 -> {0}")
    @CsvSource({"2", "3", "0", "-1", "4"})
    void createPartitions(int count) {
        brokers.same("createPartitions 3 -> " + count, broker -> {
            try (Admin admin = Clients.admin(broker)) {
                return Outcome.of(() -> admin.createPartitions(
                        Map.of(EXISTING, NewPartitions.increaseTo(count)),
                        new CreatePartitionsOptions().validateOnly(true)).all().get());
            }
        });
    }

    /** Growing for real, then shrinking back: the count describeTopics shows after each. */
    @Test
    void growThenShrink() {
        brokers.same("grow 1 -> 3, then shrink to 2", broker -> {
            String topic = "growing";
            List<Object> seen = new ArrayList<>();
            seen.add(Clients.createTopics(broker, List.of(new NewTopic(topic, 1, (short) 1))));
            try (Admin admin = Clients.admin(broker)) {
                int expected = 1;
                for (int count : List.of(3, 2)) {
                    Outcome changed = Outcome.of(() -> admin.createPartitions(
                            Map.of(topic, NewPartitions.increaseTo(count))).all().get());
                    expected = changed.isError() ? expected : count;
                    seen.add(changed);
                    seen.add(awaitPartitionCount(admin, topic, expected));
                }
            }
            return seen;
        });
    }

    /**
     * The partition count describeTopics shows once it is {@code expected}, or after 10 s:
     * Kafka's broker learns of new partitions a moment after the controller answers.
     */
    private static Outcome awaitPartitionCount(Admin admin, String topic, int expected)
            throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        Outcome seen;
        do {
            seen = Outcome.of(() -> admin.describeTopics(List.of(topic)).allTopicNames().get()
                    .get(topic).partitions().size());
            if (seen.equals(Outcome.ok(expected))) {
                break;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return seen;
    }

    @Test
    void createPartitionsOfUnknownTopic() {
        brokers.same("createPartitions of an unknown topic", broker -> {
            try (Admin admin = Clients.admin(broker)) {
                return Outcome.of(() -> admin.createPartitions(
                        Map.of("no-such-topic", NewPartitions.increaseTo(2))).all().get());
            }
        });
    }
}
