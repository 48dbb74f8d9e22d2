package dev.weir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.harness.Broker;
import dev.weir.harness.ClientProps;
import dev.weir.harness.KafkaRef;
import dev.weir.harness.Tools;
import dev.weir.harness.WeirBroker;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;

/** The harness itself: both brokers start, serve the Java AdminClient, and stop. */
class HarnessTest {
    private static void createAndList(Broker broker) throws Exception {
        try (Admin admin = Admin.create(ClientProps.admin(broker, Map.of()))) {
            admin.createTopics(List.of(new NewTopic("harness", 2, (short) 1))).all().get();
            assertTrue(admin.listTopics().names().get().contains("harness"), broker.kind());
        }
        Tools.Result listed = Tools.kafka("kafka-topics", "--bootstrap-server",
                broker.bootstrap(), "--list").assertOk();
        assertEquals(List.of("harness"), listed.lines(), broker.kind());
    }

    @Test
    void weirServesTheJavaAdminClient() throws Exception {
        try (WeirBroker broker = WeirBroker.start(Map.of("num.partitions", "1"))) {
            createAndList(broker);
        }
    }

    @Test
    void referenceKafkaServesTheJavaAdminClient() throws Exception {
        try (KafkaRef broker = KafkaRef.start()) {
            createAndList(broker);
        }
    }

    /** The three-node reference cluster (for replicated comparisons) replicates a topic. */
    @Test
    void referenceKafkaClusterOfThreeReplicates() throws Exception {
        try (KafkaRef cluster = KafkaRef.start(3)) {
            assertEquals(3, cluster.bootstrap().split(",").length, cluster.bootstrap());
            try (Admin admin = Admin.create(ClientProps.admin(cluster, Map.of()))) {
                admin.createTopics(List.of(new NewTopic("replicated", 2, (short) 3))).all().get();
                assertEquals(3, admin.describeCluster().nodes().get().size());
                long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
                while (true) {
                    List<TopicPartitionInfo> partitions = List.of();
                    try {
                        partitions = admin.describeTopics(List.of("replicated")).allTopicNames()
                                .get().get("replicated").partitions();
                    } catch (ExecutionException e) {
                        // The broker asked may not have learnt of the new topic yet: Kafka
                        // propagates metadata to each broker on its own time.
                        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                            throw e;
                        }
                    }
                    if (!partitions.isEmpty()
                            && partitions.stream().allMatch(p -> p.isr().size() == 3)) {
                        break;
                    }
                    assertTrue(System.nanoTime() < deadline, "ISR never reached 3: " + partitions);
                    Thread.sleep(200);
                }
            }
        }
    }
}
