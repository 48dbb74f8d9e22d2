package dev.weir.client;

import static dev.weir.client.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.harness.Broker;
import dev.weir.harness.KafkaRef;
import dev.weir.harness.WeirBroker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConfigEntry.ConfigSource;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.NoReassignmentInProgressException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The AdminClient's answers from Weir next to the reference Kafka's, for the same calls on the
 * same single-node layout: the exception class for every kind of bad input (tools and
 * operators branch on it), leader elections and reassignments (whose "nothing to do" answers
 * are easy to get wrong), and the describe calls whose shape Kafka 4.x tools rely on. Kafka
 * always runs first, so a wrong expectation in this file fails on Kafka, not on Weir.
 *
 * <p>Tests tagged "gap" assert Kafka's answer where Weir still differs; they are excluded from
 * the default run (see pom.xml) until Weir is fixed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminVsKafkaTest {
    /** A topic both brokers hold, with two partitions, for calls that need one. */
    private static final String EXISTING = "vs-existing";

    private static KafkaRef kafka;
    private static WeirBroker weir;
    private static Admin kafkaAdmin;
    private static Admin weirAdmin;

    @BeforeAll
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    static void start() {
        kafka = KafkaRef.start();
        weir = WeirBroker.start(Map.of("num.partitions", "1"));
        kafkaAdmin = Clients.admin(kafka);
        weirAdmin = Clients.admin(weir);
        for (Admin admin : List.of(kafkaAdmin, weirAdmin)) {
            Clients.createTopic(admin, EXISTING, 2);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        Exception first = null;
        for (AutoCloseable closeable : new AutoCloseable[] {kafkaAdmin, weirAdmin, kafka, weir}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                // Stop the others first, then report it.
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** One broker and a client for it, named for assertion messages. */
    private record Side(String kind, Broker broker, Admin admin) {}

    /** Kafka first: a wrong expectation then fails on the reference, not on Weir. */
    private static List<Side> sides() {
        return List.of(new Side("kafka", kafka, kafkaAdmin), new Side("weir", weir, weirAdmin));
    }


    static Stream<Arguments> badInputs() {
        String longName = "x".repeat(250);
        ConfigResource existing = new ConfigResource(ConfigResource.Type.TOPIC, EXISTING);
        ConfigResource missing = new ConfigResource(ConfigResource.Type.TOPIC, "vs-missing");
        return Stream.of(
                bad("invalid topic name", InvalidTopicException.class,
                        a -> a.createTopics(List.of(new NewTopic("bad name!", 1, (short) 1))).all()),
                bad("topic name of 250 characters", InvalidTopicException.class,
                        a -> a.createTopics(List.of(new NewTopic(longName, 1, (short) 1))).all()),
                bad("topic named ..", InvalidTopicException.class,
                        a -> a.createTopics(List.of(new NewTopic("..", 1, (short) 1))).all()),
                bad("invalid topic name, validateOnly", InvalidTopicException.class,
                        a -> a.createTopics(List.of(new NewTopic("bad/name", 1, (short) 1)),
                                new CreateTopicsOptions().validateOnly(true)).all()),
                bad("topic that exists", TopicExistsException.class,
                        a -> a.createTopics(List.of(new NewTopic(EXISTING, 1, (short) 1))).all()),
                bad("zero partitions", InvalidPartitionsException.class,
                        a -> a.createTopics(List.of(new NewTopic("vs-zero-partitions", 0, (short) 1))).all()),
                bad("shrinking partitions", InvalidPartitionsException.class,
                        a -> a.createPartitions(Map.of(EXISTING, NewPartitions.increaseTo(1))).all()),
                bad("partition count unchanged", InvalidPartitionsException.class,
                        a -> a.createPartitions(Map.of(EXISTING, NewPartitions.increaseTo(2))).all()),
                bad("growing an unknown topic", UnknownTopicOrPartitionException.class,
                        a -> a.createPartitions(Map.of("vs-missing", NewPartitions.increaseTo(3))).all()),
                bad("replication factor above the broker count", InvalidReplicationFactorException.class,
                        a -> a.createTopics(List.of(new NewTopic("vs-rf3", 1, (short) 3))).all()),
                bad("unknown config on create", InvalidConfigurationException.class,
                        a -> a.createTopics(List.of(new NewTopic("vs-unknown-config", 1, (short) 1)
                                .configs(Map.of("no.such.config", "1")))).all()),
                bad("config value of the wrong type", InvalidConfigurationException.class,
                        a -> a.createTopics(List.of(new NewTopic("vs-bad-value", 1, (short) 1)
                                .configs(Map.of("retention.ms", "soon")))).all()),
                bad("unknown config on alter", InvalidConfigurationException.class,
                        a -> a.incrementalAlterConfigs(Map.of(existing, List.of(new AlterConfigOp(
                                new ConfigEntry("no.such.config", "1"), AlterConfigOp.OpType.SET)))).all()),
                // With eligible leader replicas on (a new Kafka 4.1+ cluster; always, in Weir)
                // min.insync.replicas is per topic or cluster-wide only.
                bad("a broker's own min.insync.replicas", InvalidConfigurationException.class,
                        a -> a.incrementalAlterConfigs(Map.of(
                                new ConfigResource(ConfigResource.Type.BROKER, "1"),
                                List.of(new AlterConfigOp(new ConfigEntry("min.insync.replicas", "2"),
                                        AlterConfigOp.OpType.SET)))).all()),
                bad("removing the cluster-wide min.insync.replicas", InvalidConfigurationException.class,
                        a -> a.incrementalAlterConfigs(Map.of(
                                new ConfigResource(ConfigResource.Type.BROKER, ""),
                                List.of(new AlterConfigOp(new ConfigEntry("min.insync.replicas", ""),
                                        AlterConfigOp.OpType.DELETE)))).all()),
                bad("altering an unknown topic", UnknownTopicOrPartitionException.class,
                        a -> a.incrementalAlterConfigs(Map.of(missing, List.of(new AlterConfigOp(
                                new ConfigEntry("retention.ms", "1000"), AlterConfigOp.OpType.SET)))).all()),
                bad("describing configs of an unknown topic", UnknownTopicOrPartitionException.class,
                        a -> a.describeConfigs(List.of(missing)).all()),
                bad("deleting an unknown topic", UnknownTopicOrPartitionException.class,
                        a -> a.deleteTopics(List.of("vs-missing")).all()),
                bad("describing an unknown topic", UnknownTopicOrPartitionException.class,
                        a -> a.describeTopics(List.of("vs-missing")).allTopicNames()));
    }

    private static Arguments bad(String what, Class<? extends Throwable> expected,
            Function<Admin, KafkaFuture<?>> call) {
        return Arguments.of(what, expected, call);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void badInputRaisesKafkasException(String what, Class<? extends Throwable> expected,
            Function<Admin, KafkaFuture<?>> call) {
        Throwable onKafka = Clients.failure(call.apply(kafkaAdmin));
        assertEquals(expected, onKafka.getClass(), "reference Kafka's answer to " + what + ": " + onKafka);
        Throwable onWeir = Clients.failure(call.apply(weirAdmin));
        assertEquals(expected, onWeir.getClass(), "Weir's answer to " + what + ": " + onWeir
                + " (Kafka: " + onKafka + ")");
    }

    /** Per partition: the error class name, or "ok"; what the election answered, comparably. */
    private static Map<TopicPartition, String> outcomes(Map<TopicPartition, Optional<Throwable>> answer) {
        Map<TopicPartition, String> out = new java.util.HashMap<>();
        answer.forEach((tp, error) -> out.put(tp, error.map(e -> e.getClass().getSimpleName()).orElse("ok")));
        return out;
    }

    @Test
    void preferredElectionOnASingleReplicaIsNotNeeded() {
        String topic = "vs-elect";
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        TopicPartition unknown = new TopicPartition("vs-missing", 0);
        for (Side side : sides()) {
            Clients.createTopic(side.admin(), topic, 2);
            // The only replica already leads: nothing to elect, for either election type.
            for (ElectionType type : ElectionType.values()) {
                assertEquals(Map.of(p0, "ElectionNotNeededException", p1, "ElectionNotNeededException"),
                        outcomes(await(side.admin().electLeaders(type, Set.of(p0, p1)).partitions())),
                        side.kind() + " " + type + " election");
            }
            assertEquals(ElectionNotNeededException.class,
                    Clients.failure(side.admin().electLeaders(ElectionType.PREFERRED, Set.of(p0)).all()).getClass(),
                    side.kind() + ": all() fails with the partition's error");
            assertEquals(Map.of(unknown, "UnknownTopicOrPartitionException"),
                    outcomes(await(side.admin().electLeaders(ElectionType.PREFERRED, Set.of(unknown)).partitions())),
                    side.kind() + " election of an unknown partition");
            // Every partition (null): those needing nothing are left out of the answer.
            assertEquals(Map.of(), await(side.admin().electLeaders(ElectionType.PREFERRED, null).partitions()),
                    side.kind() + " election of every partition");
        }
    }

    @Test
    void reassignmentsOnOneNode() {
        String topic = "vs-reassign";
        TopicPartition p0 = new TopicPartition(topic, 0);
        for (Side side : sides()) {
            Admin admin = side.admin();
            Clients.createTopic(admin, topic, 1);
            // Reassigning to the replicas it already has completes at once: nothing listed.
            await(admin.alterPartitionReassignments(
                    Map.of(p0, Optional.of(new NewPartitionReassignment(List.of(1))))).all());
            assertEquals(Map.of(), await(admin.listPartitionReassignments().reassignments()),
                    side.kind() + ": reassignments in progress");
            assertEquals(Map.of(), await(admin.listPartitionReassignments(Set.of(p0)).reassignments()),
                    side.kind() + ": reassignment of " + p0);
            assertEquals(NoReassignmentInProgressException.class, Clients.failure(
                    admin.alterPartitionReassignments(Map.of(p0, Optional.empty())).all()).getClass(),
                    side.kind() + ": cancelling when none is in progress");
            assertEquals(InvalidReplicaAssignmentException.class, Clients.failure(
                    admin.alterPartitionReassignments(Map.of(p0,
                            Optional.of(new NewPartitionReassignment(List.of(7))))).all()).getClass(),
                    side.kind() + ": a broker that does not exist");
            assertEquals(UnknownTopicOrPartitionException.class, Clients.failure(
                    admin.alterPartitionReassignments(Map.of(new TopicPartition("vs-missing", 0),
                            Optional.of(new NewPartitionReassignment(List.of(1))))).all()).getClass(),
                    side.kind() + ": an unknown partition");
            TopicDescription description = await(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
            assertEquals(1, description.partitions().get(0).leader().id(), side.kind() + ": leader unchanged");
        }
    }

    @Test
    void describeMetadataQuorumNamesTheLeaderAndVoters() {
        for (Side side : sides()) {
            // Kafka answers DescribeQuorum on broker listeners (forwarded to the controller).
            QuorumInfo quorum = await(side.admin().describeMetadataQuorum().quorumInfo());
            assertEquals(1, quorum.leaderId(), side.kind() + " quorum leader");
            assertEquals(List.of(1), quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId).toList(),
                    side.kind() + " voters");
            assertEquals(List.of(), quorum.observers(), side.kind() + " observers");
            assertTrue(quorum.highWatermark() > 0, side.kind() + " high watermark " + quorum.highWatermark());
        }
    }

    @Test
    void describeTopicsByTopicId() {
        String topic = "vs-by-id";
        for (Side side : sides()) {
            Uuid id = await(side.admin().createTopics(List.of(new NewTopic(topic, 2, (short) 1))).topicId(topic));
            Clients.awaitListed(side.admin(), topic);
            // The Java client sends Metadata topics as (id, name ""): the id must win.
            Map<Uuid, TopicDescription> byId =
                    await(side.admin().describeTopics(TopicCollection.ofTopicIds(List.of(id))).allTopicIds());
            assertEquals(topic, byId.get(id).name(), side.kind() + " topic described by id");
            assertEquals(2, byId.get(id).partitions().size(), side.kind() + " partitions described by id");
        }
    }

    @Test
    void describeTopicsReportsEligibleLeaderReplicas() {
        for (Side side : sides()) {
            TopicDescription description =
                    await(side.admin().describeTopics(List.of(EXISTING)).allTopicNames()).get(EXISTING);
            // Kafka 4.x describes topics with DescribeTopicPartitions (KIP-966), which carries
            // the eligible leader replicas: none here, an empty list rather than unknown (null).
            for (TopicPartitionInfo partition : description.partitions()) {
                assertEquals(List.of(), partition.elr(), side.kind() + " ELR of " + partition.partition());
                assertEquals(List.of(), partition.lastKnownElr(),
                        side.kind() + " last known ELR of " + partition.partition());
            }
        }
    }

    private static Map<String, ConfigEntry> describeConfigs(Admin admin, ConfigResource resource) {
        Config config = await(admin.describeConfigs(List.of(resource)).all()).get(resource);
        Map<String, ConfigEntry> out = new java.util.TreeMap<>();
        config.entries().forEach(entry -> out.put(entry.name(), entry));
        return out;
    }

    /**
     * Types and read-only flags match Kafka's but for two documented differences
     * (docs/PROTOCOL.md): Weir cannot change its listeners or its number of runtime workers
     * (num.io.threads) while it runs, so it reports them read-only.
     */
    @Test
    void brokerConfigsHaveKafkasTypesAndReadOnlyFlags() {
        ConfigResource node = new ConfigResource(ConfigResource.Type.BROKER, "1");
        Map<String, ConfigEntry> onKafka = describeConfigs(kafkaAdmin, node);
        Map<String, ConfigEntry> onWeir = describeConfigs(weirAdmin, node);
        // Tools (kafka-configs, UIs) parse and offer to edit configs by these two fields.
        List<String> differences = new ArrayList<>();
        onWeir.forEach((name, entry) -> {
            ConfigEntry reference = onKafka.get(name);
            if (reference == null) {
                differences.add(name + ": Kafka has no such broker config");
            } else if (entry.type() != reference.type() || entry.isReadOnly() != reference.isReadOnly()) {
                differences.add(name + ": Weir " + entry.type() + (entry.isReadOnly() ? " read-only" : " dynamic")
                        + ", Kafka " + reference.type() + (reference.isReadOnly() ? " read-only" : " dynamic"));
            }
        });
        assertEquals(List.of(
                "listener.security.protocol.map: Weir STRING read-only, Kafka STRING dynamic",
                "listeners: Weir LIST read-only, Kafka LIST dynamic",
                "num.io.threads: Weir INT read-only, Kafka INT dynamic"),
                differences, "broker configs that differ from Kafka's");
    }

    /**
     * Defaults match Kafka's but for one documented difference (docs/PROTOCOL.md): Weir checks
     * flush.ms every second, where Kafka's default interval never checks it.
     */
    @Test
    void defaultBrokerConfigValuesMatchKafkas() {
        ConfigResource node = new ConfigResource(ConfigResource.Type.BROKER, "1");
        Map<String, ConfigEntry> onKafka = describeConfigs(kafkaAdmin, node);
        Map<String, ConfigEntry> onWeir = describeConfigs(weirAdmin, node);
        // Where neither broker was configured, both report the product default; Kafka reports
        // null for a config without a default of its own (one derived from another key, such
        // as log.retention.ms from log.retention.hours). log.dir's default is a path, and
        // product specific.
        List<String> differences = new ArrayList<>();
        onWeir.forEach((name, entry) -> {
            ConfigEntry reference = onKafka.get(name);
            if (reference != null && !name.equals("log.dir")
                    && entry.source() == ConfigSource.DEFAULT_CONFIG
                    && reference.source() == ConfigSource.DEFAULT_CONFIG
                    && !java.util.Objects.equals(entry.value(), reference.value())) {
                differences.add(name + ": Weir " + quoted(entry.value()) + ", Kafka " + quoted(reference.value()));
            }
        });
        assertEquals(List.of("log.flush.scheduler.interval.ms: Weir \"1000\", Kafka \"9223372036854775807\""),
                differences, "default broker config values that differ from Kafka's");
    }

    private static String quoted(String value) {
        return value == null ? "null" : "\"" + value + "\"";
    }

    @Test
    void clusterDefaultResourceListsOnlyDynamicDefaults() {
        ConfigResource clusterDefault = new ConfigResource(ConfigResource.Type.BROKER, "");
        for (Side side : sides()) {
            // The cluster-wide default resource holds what was set there, nothing else: Kafka
            // lists the dynamic defaults only (its format step sets min.insync.replicas there).
            List<String> notDynamicDefaults = describeConfigs(side.admin(), clusterDefault).values().stream()
                    .filter(entry -> entry.source() != ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
                    .map(entry -> entry.name() + " (" + entry.source() + ")")
                    .toList();
            assertEquals(List.of(), notDynamicDefaults, side.kind() + ": entries of the cluster default resource");
        }
    }

    /**
     * Known gap (docs/KNOWN-GAPS.md): the topic configs Kafka describes that Weir does not have
     * yet. When one lands, this list shrinks and the test says so.
     */
    @Test
    void topicConfigsWeirDoesNotHaveYet() {
        ConfigResource existing = new ConfigResource(ConfigResource.Type.TOPIC, EXISTING);
        Set<String> missing = new TreeSet<>(describeConfigs(kafkaAdmin, existing).keySet());
        missing.removeAll(describeConfigs(weirAdmin, existing).keySet());
        assertEquals(new TreeSet<>(List.of("compression.gzip.level", "compression.lz4.level",
                "compression.zstd.level", "delete.retention.ms",
                "errors.deadletterqueue.group.enable", "file.delete.delay.ms",
                "follower.replication.throttled.replicas", "leader.replication.throttled.replicas",
                "local.retention.bytes", "local.retention.ms", "max.compaction.lag.ms",
                "max.decompressed.message.bytes", "message.timestamp.after.max.ms",
                "message.timestamp.before.max.ms", "min.cleanable.dirty.ratio",
                "min.compaction.lag.ms", "preallocate", "remote.copy.lag.bytes",
                "remote.copy.lag.ms", "remote.log.copy.disable", "remote.log.delete.on.disable",
                "remote.storage.enable", "segment.index.bytes", "segment.jitter.ms")),
                missing, "topic configs Kafka describes and Weir does not (update docs/KNOWN-GAPS.md)");
    }

    @Test
    void createTopicsAcceptsCompressionType() {
        String topic = "vs-compression-type";
        for (Side side : sides()) {
            // compression.type is the most used topic config after retention and cleanup.
            Clients.createTopic(side.admin(), new NewTopic(topic, 1, (short) 1)
                    .configs(Map.of("compression.type", "zstd")));
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            assertEquals("zstd", describeConfigs(side.admin(), resource).get("compression.type").value(),
                    side.kind() + " compression.type");
        }
    }
}
