package dev.weir.differential;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weir.harness.Broker;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeConfigsResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * DescribeConfigs for topics (with and without overrides, under a dynamic cluster default) and
 * for the broker: each value, where it came from, whether it is read-only or sensitive, its type,
 * and its synonyms. kafka-configs, Cruise Control and UIs show these as they come, and tools
 * decide from the source whether a value was set on purpose. Only keys both brokers know are
 * compared (Kafka knows hundreds Weir does not implement); keys only one broker reports are
 * printed as a difference, not failed on. Keys that describe how each broker was started
 * (listeners, directories, quorum voters) are left out.
 */
@Timeout(60)
class DescribeConfigsDiffTest {
    @RegisterExtension
    static final BrokerPair brokers = new BrokerPair();

    /** A DescribeConfigs version both brokers serve (Weir 1–4). */
    private static final short DESCRIBE_CONFIGS_VERSION = 4;

    /** The topic keys compared: all Weir implements but min.insync.replicas (see below). */
    private static final Set<String> TOPIC_KEYS = Set.of(
            "cleanup.policy", "retention.ms", "retention.bytes", "segment.bytes", "segment.ms",
            "max.message.bytes", "message.timestamp.type", "flush.messages", "flush.ms",
            "index.interval.bytes", "unclean.leader.election.enable");

    /** Broker keys whose value both brokers take from the same place. */
    private static final Set<String> BROKER_KEYS = Set.of(
            "log.segment.bytes", "log.cleanup.policy", "message.max.bytes",
            "log.message.timestamp.type", "num.partitions", "node.id",
            "auto.create.topics.enable", "delete.topic.enable", "log.roll.hours",
            "log.retention.hours", "log.retention.bytes", "log.index.interval.bytes",
            "log.flush.interval.messages", "socket.request.max.bytes",
            "unclean.leader.election.enable");

    /** Broker keys Kafka has no default for: it reports them unset (null). */
    private static final Set<String> BROKER_KEYS_WITHOUT_DEFAULT = Set.of(
            "log.retention.ms", "log.retention.minutes", "log.roll.ms", "log.flush.interval.ms");

    /** Set at start-up, so they differ by broker and say nothing about Weir. */
    private static final Set<String> STARTUP_KEYS = Set.of(
            "listeners", "advertised.listeners", "log.dirs", "log.dir", "metadata.log.dir",
            "controller.quorum.voters", "process.roles", "inter.broker.listener.name",
            "controller.listener.names", "listener.security.protocol.map");

    private static final Map<String, String> OVERRIDES = Map.of(
            "cleanup.policy", "compact",
            "retention.ms", "1234",
            "segment.bytes", "2097152",
            "max.message.bytes", "5000",
            "message.timestamp.type", "LogAppendTime",
            // The same value as the default: still an override.
            "unclean.leader.election.enable", "false",
            "min.insync.replicas", "1");

    /** The broker resource by node id (both brokers run as node 1). */
    private static final ConfigResource BROKER =
            new ConfigResource(ConfigResource.Type.BROKER, "1");
    /** The cluster-wide default broker resource. */
    private static final ConfigResource CLUSTER_DEFAULT =
            new ConfigResource(ConfigResource.Type.BROKER, "");

    @BeforeAll
    static void createTopics() {
        brokers.same("create topics", broker -> Clients.createTopics(broker, List.of(
                new NewTopic("defaults", 1, (short) 1),
                new NewTopic("overrides", 1, (short) 1).configs(OVERRIDES),
                new NewTopic("under-dynamic-default", 1, (short) 1))));
    }

    private static ConfigResource topic(String name) {
        return new ConfigResource(ConfigResource.Type.TOPIC, name);
    }

    /** Every entry of {@code resource}, with synonyms, by name. */
    private static Map<String, ConfigEntry> describe(Broker broker, ConfigResource resource)
            throws Exception {
        try (Admin admin = Clients.admin(broker)) {
            Config config = admin.describeConfigs(List.of(resource),
                    new DescribeConfigsOptions().includeSynonyms(true)).all().get().get(resource);
            return config.entries().stream().collect(
                    Collectors.toMap(ConfigEntry::name, e -> e, (a, b) -> a, TreeMap::new));
        }
    }

    /** What a client sees of one entry, without its synonyms. */
    private static String entry(ConfigEntry e) {
        return e.value() + " source=" + e.source() + " readOnly=" + e.isReadOnly()
                + " sensitive=" + e.isSensitive() + " type=" + e.type();
    }

    /** The synonyms, in order, as name=value@source. */
    private static String synonyms(ConfigEntry e) {
        return e.synonyms().stream().map(s -> s.name() + "=" + s.value() + "@" + s.source())
                .collect(Collectors.joining(", ", "[", "]"));
    }

    /** {@code keys} of {@code resource}, each shown by {@code show}; a missing key says so. */
    private static Map<String, String> described(Broker broker, ConfigResource resource,
            Collection<String> keys, Function<ConfigEntry, String> show) throws Exception {
        Map<String, ConfigEntry> all = describe(broker, resource);
        Map<String, String> shown = new TreeMap<>();
        for (String key : keys) {
            ConfigEntry e = all.get(key);
            shown.put(key, e == null ? "(not reported)" : show.apply(e));
        }
        return shown;
    }

    /** Prints the keys only one broker reports; returns those only Weir reports. */
    private static Set<String> printKeyDifferences(String what,
            BrokerPair.Observed<Set<String>> keys) {
        Set<String> onlyKafka = new TreeSet<>(keys.kafka());
        onlyKafka.removeAll(keys.weir());
        Set<String> onlyWeir = new TreeSet<>(keys.weir());
        onlyWeir.removeAll(keys.kafka());
        System.out.println("DIFFERENCE " + what + " keys only Kafka reports (" + onlyKafka.size()
                + "): " + onlyKafka + "\n  only Weir reports: " + onlyWeir);
        return onlyWeir;
    }

    @Test
    void topicWithoutOverrides() {
        brokers.same("topic without overrides", broker ->
                described(broker, topic("defaults"), TOPIC_KEYS, DescribeConfigsDiffTest::entry));
    }

    @Test
    void topicWithOverrides() {
        brokers.same("topic with overrides", broker ->
                described(broker, topic("overrides"), TOPIC_KEYS, DescribeConfigsDiffTest::entry));
    }

    /** The keys each broker reports for a topic: printed, since Weir implements a subset. */
    @Test
    void topicKeysBothKnow() {
        BrokerPair.Observed<Set<String>> keys = brokers.observe("topic config keys",
                broker -> new TreeSet<>(describe(broker, topic("defaults")).keySet()));
        Set<String> onlyWeir = printKeyDifferences("topic config", keys);
        // What the tests here compare must be there, or the comparison shrinks unnoticed.
        Set<String> missing = new TreeSet<>(TOPIC_KEYS);
        missing.add("min.insync.replicas");
        missing.removeAll(keys.weir());
        assertEquals(Set.of(), missing, "topic keys Weir no longer reports");
        assertEquals(Set.of(), onlyWeir, "topic keys Weir reports and Kafka does not know");
    }

    /**
     * A topic value's synonyms are listed under the broker key that supplies the default
     * (log.segment.bytes for segment.bytes), leaving out broker keys that are unset
     * (log.roll.ms).
     */
    @Test
    void topicSynonyms() {
        brokers.same("topic synonyms", broker -> Map.of(
                "defaults", described(broker, topic("defaults"), TOPIC_KEYS,
                        DescribeConfigsDiffTest::synonyms),
                "overrides", described(broker, topic("overrides"), TOPIC_KEYS,
                        DescribeConfigsDiffTest::synonyms)));
    }

    @Test
    void brokerConfigs() {
        brokers.same("broker configs", broker ->
                described(broker, BROKER, BROKER_KEYS, DescribeConfigsDiffTest::entry));
    }

    @Test
    void brokerConfigSynonyms() {
        Set<String> keys = new TreeSet<>(BROKER_KEYS);
        keys.remove("node.id"); // see nodeIdSynonyms
        brokers.same("broker config synonyms", broker ->
                described(broker, BROKER, keys, DescribeConfigsDiffTest::synonyms));
    }

    /**
     * Documented difference: node.id has no default in Kafka (it must be set), so its only
     * synonym is the static value; Weir defaults it to 1 and lists that default too.
     */
    @Test
    void nodeIdSynonyms() {
        BrokerPair.Observed<Map<String, String>> observed = brokers.both("node.id synonyms",
                broker -> described(broker, BROKER, List.of("node.id"),
                        DescribeConfigsDiffTest::synonyms));
        assertEquals(Map.of("node.id", "[node.id=1@STATIC_BROKER_CONFIG]"), observed.kafka());
        assertEquals(Map.of("node.id",
                "[node.id=1@STATIC_BROKER_CONFIG, node.id=1@DEFAULT_CONFIG]"), observed.weir());
    }

    /**
     * Keys whose default is derived from another key (log.retention.ms from
     * log.retention.hours) are reported unset: value null and no synonyms.
     */
    @Test
    void brokerConfigsWithoutDefault() {
        brokers.same("broker configs without a default", broker -> described(broker, BROKER,
                BROKER_KEYS_WITHOUT_DEFAULT, e -> entry(e) + " synonyms=" + synonyms(e)));
    }

    /**
     * In KRaft mode broker.id is reported as the node id (it is set from node.id) and
     * default.replication.factor as an INT.
     */
    @Test
    void brokerIdAndReplicationFactor() {
        brokers.same("broker.id and default.replication.factor", broker -> described(broker,
                BROKER, List.of("broker.id", "default.replication.factor"),
                DescribeConfigsDiffTest::entry));
    }

    /** The broker keys each broker reports: printed, as for topics. */
    @Test
    void brokerKeysBothKnow() {
        BrokerPair.Observed<Set<String>> keys = brokers.observe("broker config keys",
                broker -> new TreeSet<>(describe(broker, BROKER).keySet()));
        printKeyDifferences("broker config", keys);
        Set<String> missing = new TreeSet<>(BROKER_KEYS);
        missing.addAll(BROKER_KEYS_WITHOUT_DEFAULT);
        missing.addAll(STARTUP_KEYS);
        missing.removeAll(keys.weir());
        assertEquals(Set.of(), missing, "broker keys Weir no longer reports");
    }

    /**
     * Documented difference: both answer the cluster-default broker resource ("") with the
     * dynamic cluster-wide values only, and Kafka 4's format step writes one there
     * (min.insync.replicas=1, see {@link #minInsyncReplicasSource}); Weir writes none.
     */
    @Test
    void clusterDefaultResource() {
        BrokerPair.Observed<List<String>> observed = brokers.both("cluster default broker configs",
                broker -> describe(broker, CLUSTER_DEFAULT).values().stream()
                        .map(e -> e.name() + "=" + entry(e)).toList());
        assertEquals(List.of("min.insync.replicas=1 source=DYNAMIC_DEFAULT_BROKER_CONFIG"
                + " readOnly=false sensitive=false type=INT"), observed.kafka());
        assertEquals(List.of(), observed.weir());
    }

    /**
     * Documented difference: a Kafka 4.x cluster is formatted with a cluster-wide dynamic
     * min.insync.replicas (its eligible-leader-replicas feature requires one), so Kafka reports
     * the value 1 from DYNAMIC_DEFAULT_BROKER_CONFIG; Weir reports the same value as its default.
     */
    @Test
    void minInsyncReplicasSource() {
        BrokerPair.Observed<List<String>> observed = brokers.both("min.insync.replicas",
                broker -> List.of(
                        entry(describe(broker, BROKER).get("min.insync.replicas")),
                        entry(describe(broker, topic("defaults")).get("min.insync.replicas")),
                        entry(describe(broker, topic("overrides")).get("min.insync.replicas"))));
        String flags = " readOnly=false sensitive=false type=INT";
        String kafkaDefault = "1 source=DYNAMIC_DEFAULT_BROKER_CONFIG" + flags;
        String weirDefault = "1 source=DEFAULT_CONFIG" + flags;
        String override = "1 source=DYNAMIC_TOPIC_CONFIG" + flags;
        assertEquals(List.of(kafkaDefault, kafkaDefault, override), observed.kafka());
        assertEquals(List.of(weirDefault, weirDefault, override), observed.weir());
    }

    /**
     * A cluster-wide dynamic default (log.retention.ms, set with IncrementalAlterConfigs) shows
     * in a topic without an override, and goes again when deleted. Kafka applies the change
     * asynchronously (through its metadata log), so each state is awaited, bounded.
     */
    @Test
    void dynamicClusterDefault() {
        String flags = " readOnly=false sensitive=false type=LONG";
        String during = "86400000 source=DYNAMIC_DEFAULT_BROKER_CONFIG" + flags;
        String after = "604800000 source=DEFAULT_CONFIG" + flags;
        brokers.same("topic under a dynamic cluster default", broker -> {
            try (Admin admin = Clients.admin(broker)) {
                Outcome set = alterClusterDefault(admin, new AlterConfigOp(
                        new ConfigEntry("log.retention.ms", "86400000"), AlterConfigOp.OpType.SET));
                String whileSet = awaitRetention(broker, during);
                Outcome deleted = alterClusterDefault(admin, new AlterConfigOp(
                        new ConfigEntry("log.retention.ms", null), AlterConfigOp.OpType.DELETE));
                return List.of(set, whileSet, deleted, awaitRetention(broker, after));
            }
        });
    }

    private static Outcome alterClusterDefault(Admin admin, AlterConfigOp op) {
        return Outcome.of(() ->
                admin.incrementalAlterConfigs(Map.of(CLUSTER_DEFAULT, List.of(op))).all().get());
    }

    /** The retention.ms entry of the topic once it reads {@code expected}, or after 10 s. */
    private static String awaitRetention(Broker broker, String expected) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        String seen;
        do {
            seen = entry(describe(broker, topic("under-dynamic-default")).get("retention.ms"));
            if (seen.equals(expected)) {
                break;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        return seen;
    }

    /**
     * Raw DescribeConfigs (the AdminClient sends a broker resource only to that broker): another
     * broker's id, a name that is no id, and two keys of which one is unknown. Each answer is the
     * resource's error, or the names of the configs returned.
     */
    @ParameterizedTest(name = "type {0} name \"{1}\" keys {2}")
    @CsvSource(delimiter = '|', value = {"4|2|", "4|abc|",
        "2|defaults|retention.ms,no.such.key", "4|1|log.segment.bytes,no.such.key"})
    void rawDescribe(byte type, String name, String keys) {
        String scenario = "raw describeConfigs type " + type + " \"" + name + "\" keys " + keys;
        brokers.same(scenario, broker -> {
            DescribeConfigsRequestData data = new DescribeConfigsRequestData().setResources(
                    List.of(new DescribeConfigsRequestData.DescribeConfigsResource()
                            .setResourceType(type)
                            .setResourceName(name)
                            .setConfigurationKeys(keys == null ? null : List.of(keys.split(",")))));
            DescribeConfigsResponse response = (DescribeConfigsResponse) RawRequests.send(broker,
                    new DescribeConfigsRequest.Builder(data), DESCRIBE_CONFIGS_VERSION);
            DescribeConfigsResponseData.DescribeConfigsResult result =
                    response.data().results().get(0);
            Errors error = Errors.forCode(result.errorCode());
            return error == Errors.NONE
                    ? Outcome.ok(result.configs().stream().map(c -> c.name()).sorted().toList())
                    : new Outcome(null, error.name(), result.errorMessage());
        });
    }

    @Test
    void unknownTopic() {
        brokers.same("describeConfigs of an unknown topic", broker ->
                Outcome.of(() -> describe(broker, topic("no-such-topic")).size()));
    }
}
