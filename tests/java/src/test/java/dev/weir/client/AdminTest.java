package dev.weir.client;

import static dev.weir.client.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.harness.WeirBrokerExtension;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp.OpType;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry.ConfigSource;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TopicListing;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Java AdminClient against one Weir broker: creating (with configs, and validate-only),
 * listing, describing, growing and deleting topics; describing and altering topic and broker
 * configs; describing the cluster. Operators and tools (kafka-topics, kafka-configs, Cruise
 * Control, Terraform providers) are built on exactly these calls. What Kafka itself answers to
 * the same calls, errors included, is compared in {@link AdminVsKafkaTest}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminTest {
    @RegisterExtension
    static final WeirBrokerExtension weir = new WeirBrokerExtension(Map.of("num.partitions", "2"));
    private static Admin admin;

    @BeforeAll
    static void start() {
        // num.partitions is set so a static broker config can be seen in describeConfigs.
        admin = weir.closeAtEnd(Clients.admin(weir.broker()));
    }

    private static ConfigResource topicResource(String topic) {
        return new ConfigResource(ConfigResource.Type.TOPIC, topic);
    }

    private static Config describeConfigs(ConfigResource resource) {
        return await(admin.describeConfigs(List.of(resource)).all()).get(resource);
    }

    private static void alter(ConfigResource resource, OpType op, String name, String value) {
        AlterConfigOp alter = new AlterConfigOp(new ConfigEntry(name, value), op);
        await(admin.incrementalAlterConfigs(Map.of(resource, List.of(alter))).all());
    }

    private static void assertEntry(Config config, String name, String value, ConfigSource source) {
        ConfigEntry entry = config.get(name);
        assertEquals(value, entry == null ? null : entry.value(), name + " value");
        assertEquals(source, entry.source(), name + " source");
    }

    private static TopicDescription describe(String topic) {
        return await(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
    }

    private static List<Integer> ids(Collection<Node> nodes) {
        return nodes.stream().map(Node::id).toList();
    }

    @Test
    void createTopicsWithConfigs() {
        String topic = "admin-create";
        Map<String, String> configs = Map.of("retention.ms", "3600000", "cleanup.policy", "compact",
                "segment.bytes", "1048576");
        CreateTopicsResult created = admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1).configs(configs)));
        await(created.all());
        // CreateTopics v5+ answers with the topic's shape and its resulting configs.
        assertEquals(3, await(created.numPartitions(topic)));
        assertEquals(1, await(created.replicationFactor(topic)));
        assertNotEquals(Uuid.ZERO_UUID, await(created.topicId(topic)));
        Config answered = await(created.config(topic));
        configs.forEach((name, value) -> assertEquals(value, answered.get(name).value(), "created " + name));

        Config described = describeConfigs(topicResource(topic));
        configs.forEach((name, value) -> assertEntry(described, name, value, ConfigSource.DYNAMIC_TOPIC_CONFIG));
        assertEquals(3, describe(topic).partitions().size());
    }

    @Test
    void validateOnlyCreatesNothing() {
        String topic = "admin-validate-only";
        await(admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1)),
                new CreateTopicsOptions().validateOnly(true)).all());
        assertFalse(await(admin.listTopics().names()).contains(topic), "listed after validateOnly");
        assertInstanceOf(UnknownTopicOrPartitionException.class,
                Clients.failure(admin.describeTopics(List.of(topic)).allTopicNames()));
        // The name is still free: a real create succeeds.
        Clients.createTopic(admin, topic, 2);
        assertEquals(2, describe(topic).partitions().size());
    }

    @Test
    void listTopicsShowsCreatedTopicsWithTheirIds() {
        Uuid first = await(admin.createTopics(List.of(new NewTopic("admin-list-a", 1, (short) 1))).topicId("admin-list-a"));
        Uuid second = await(admin.createTopics(List.of(new NewTopic("admin-list-b", 1, (short) 1))).topicId("admin-list-b"));
        Map<String, TopicListing> listed = await(admin.listTopics().namesToListings());
        assertEquals(first, listed.get("admin-list-a").topicId());
        assertEquals(second, listed.get("admin-list-b").topicId());
        assertFalse(listed.get("admin-list-a").isInternal());
        Map<String, TopicListing> withInternal =
                await(admin.listTopics(new ListTopicsOptions().listInternal(true)).namesToListings());
        assertTrue(withInternal.keySet().containsAll(List.of("admin-list-a", "admin-list-b")));
    }

    @Test
    void describeTopicsShowsPartitionsLeadersReplicasIsrAndId() {
        String topic = "admin-describe";
        Uuid id = await(admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).topicId(topic));
        TopicDescription description = describe(topic);
        assertEquals(topic, description.name());
        assertEquals(id, description.topicId(), "topic id as CreateTopics answered it");
        assertFalse(description.isInternal());
        assertEquals(List.of(0, 1, 2), description.partitions().stream().map(TopicPartitionInfo::partition).toList());
        for (TopicPartitionInfo partition : description.partitions()) {
            // One node: it leads, holds and is in sync for every partition, and it is the
            // address clients were given.
            assertEquals(1, partition.leader().id(), "leader of " + partition.partition());
            assertEquals("127.0.0.1", partition.leader().host());
            assertEquals(weir.broker().port(), partition.leader().port());
            assertEquals(List.of(1), ids(partition.replicas()), "replicas of " + partition.partition());
            assertEquals(List.of(1), ids(partition.isr()), "isr of " + partition.partition());
        }
    }

    @Test
    void describeConfigsOfATopicAndTheBroker() {
        String topic = "admin-describe-configs";
        Clients.createTopic(admin, new NewTopic(topic, 1, (short) 1).configs(Map.of("retention.ms", "1234567")));
        Config topicConfig = describeConfigs(topicResource(topic));
        assertEntry(topicConfig, "retention.ms", "1234567", ConfigSource.DYNAMIC_TOPIC_CONFIG);
        // Not set on the topic: the broker's default shows through.
        assertEntry(topicConfig, "segment.bytes", "1073741824", ConfigSource.DEFAULT_CONFIG);
        assertEntry(topicConfig, "cleanup.policy", "delete", ConfigSource.DEFAULT_CONFIG);

        Config brokerConfig = describeConfigs(new ConfigResource(ConfigResource.Type.BROKER, "1"));
        assertEntry(brokerConfig, "node.id", "1", ConfigSource.STATIC_BROKER_CONFIG);
        assertEntry(brokerConfig, "num.partitions", "2", ConfigSource.STATIC_BROKER_CONFIG);
        assertEntry(brokerConfig, "log.segment.bytes", "1073741824", ConfigSource.DEFAULT_CONFIG);
        assertTrue(brokerConfig.get("node.id").isReadOnly(), "node.id cannot change at run time");
        assertFalse(brokerConfig.get("log.segment.bytes").isReadOnly(), "log.segment.bytes is dynamic");
    }

    @Test
    void incrementalAlterConfigsOfATopic() {
        String topic = "admin-alter-topic";
        Clients.createTopic(admin, new NewTopic(topic, 1, (short) 1).configs(Map.of("retention.ms", "1234567")));
        ConfigResource resource = topicResource(topic);

        alter(resource, OpType.SET, "segment.ms", "99999");
        assertEntry(describeConfigs(resource), "segment.ms", "99999", ConfigSource.DYNAMIC_TOPIC_CONFIG);
        alter(resource, OpType.SET, "retention.ms", "7654321");
        assertEntry(describeConfigs(resource), "retention.ms", "7654321", ConfigSource.DYNAMIC_TOPIC_CONFIG);

        // DELETE drops the override: the broker default shows again.
        alter(resource, OpType.DELETE, "retention.ms", null);
        assertEntry(describeConfigs(resource), "retention.ms", "604800000", ConfigSource.DEFAULT_CONFIG);

        // APPEND and SUBTRACT edit list-valued configs in place.
        alter(resource, OpType.APPEND, "cleanup.policy", "compact");
        assertEntry(describeConfigs(resource), "cleanup.policy", "delete,compact", ConfigSource.DYNAMIC_TOPIC_CONFIG);
        alter(resource, OpType.SUBTRACT, "cleanup.policy", "delete");
        assertEntry(describeConfigs(resource), "cleanup.policy", "compact", ConfigSource.DYNAMIC_TOPIC_CONFIG);
        // Untouched overrides survive the other operations.
        assertEntry(describeConfigs(resource), "segment.ms", "99999", ConfigSource.DYNAMIC_TOPIC_CONFIG);
    }

    @Test
    void incrementalAlterConfigsOfTheBrokerLayersOverTopics() {
        String topic = "admin-alter-broker";
        Clients.createTopic(admin, topic, 1);
        ConfigResource clusterDefault = new ConfigResource(ConfigResource.Type.BROKER, "");
        ConfigResource node = new ConfigResource(ConfigResource.Type.BROKER, "1");
        try {
            // A cluster-wide default reaches every topic without an override of its own...
            alter(clusterDefault, OpType.SET, "log.retention.ms", "7777777");
            assertEntry(describeConfigs(node), "log.retention.ms", "7777777", ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
            assertEntry(describeConfigs(topicResource(topic)), "retention.ms", "7777777",
                    ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
            // ...a per-broker value wins over it...
            alter(node, OpType.SET, "log.retention.ms", "8888888");
            assertEntry(describeConfigs(node), "log.retention.ms", "8888888", ConfigSource.DYNAMIC_BROKER_CONFIG);
            assertEntry(describeConfigs(topicResource(topic)), "retention.ms", "8888888",
                    ConfigSource.DYNAMIC_BROKER_CONFIG);
            // ...and deleting both brings the static default back.
            alter(node, OpType.DELETE, "log.retention.ms", null);
            alter(clusterDefault, OpType.DELETE, "log.retention.ms", null);
            assertEntry(describeConfigs(topicResource(topic)), "retention.ms", "604800000", ConfigSource.DEFAULT_CONFIG);
        } finally {
            // Other tests in this class see the broker's defaults (deleting twice is harmless).
            alter(node, OpType.DELETE, "log.retention.ms", null);
            alter(clusterDefault, OpType.DELETE, "log.retention.ms", null);
        }
    }

    @Test
    void createPartitionsGrowsATopic() {
        String topic = "admin-grow";
        Clients.createTopic(admin, topic, 2);
        await(admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(5))).all());
        TopicDescription description = describe(topic);
        assertEquals(List.of(0, 1, 2, 3, 4), description.partitions().stream().map(TopicPartitionInfo::partition).toList());
        for (TopicPartitionInfo partition : description.partitions()) {
            assertEquals(1, partition.leader().id(), "leader of partition " + partition.partition());
        }
        // The new partitions are real: a consumer finds them, empty.
        try (KafkaConsumer<String, String> consumer = Clients.consumer(weir.broker(), Map.of())) {
            assertEquals(5, consumer.partitionsFor(topic, Clients.WAIT).size());
            consumer.endOffsets(Clients.partitions(topic, 5), Clients.WAIT)
                    .forEach((tp, end) -> assertEquals(0L, end, "end offset of " + tp));
        }
    }

    @Test
    void deleteTopicsRemovesThem() {
        String byName = "admin-delete-name";
        String byId = "admin-delete-id";
        Uuid oldId = await(admin.createTopics(List.of(new NewTopic(byName, 1, (short) 1))).topicId(byName));
        Uuid idToDelete = await(admin.createTopics(List.of(new NewTopic(byId, 1, (short) 1))).topicId(byId));
        await(admin.deleteTopics(List.of(byName)).all());
        await(admin.deleteTopics(TopicCollection.ofTopicIds(List.of(idToDelete))).all());

        assertFalse(await(admin.listTopics().names()).contains(byName), "listed after delete");
        assertFalse(await(admin.listTopics().names()).contains(byId), "listed after delete by id");
        assertInstanceOf(UnknownTopicOrPartitionException.class,
                Clients.failure(admin.describeTopics(List.of(byName)).allTopicNames()));
        // The name can be used again, and is a different topic.
        Uuid newId = await(admin.createTopics(List.of(new NewTopic(byName, 1, (short) 1))).topicId(byName));
        assertNotEquals(oldId, newId, "a re-created topic has a new id");
    }

    @Test
    void describeClusterNamesTheNodeAndController() {
        DescribeClusterResult cluster = admin.describeCluster();
        // Kafka's cluster id: a 16-byte id in URL-safe base64 without padding.
        String clusterId = await(cluster.clusterId());
        assertTrue(clusterId.matches("[A-Za-z0-9_-]{22}"), "cluster id " + clusterId);
        Collection<Node> nodes = await(cluster.nodes());
        assertEquals(List.of(1), ids(nodes));
        Node node = nodes.iterator().next();
        assertEquals("127.0.0.1", node.host());
        assertEquals(weir.broker().port(), node.port());
        // Clients are told a broker they can reach; in one combined node that is node 1.
        assertEquals(1, await(cluster.controller()).id());
        // A second call answers the same id (it is the cluster's, not the connection's).
        assertEquals(clusterId, await(admin.describeCluster().clusterId()));
    }
}
