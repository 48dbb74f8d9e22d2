package dev.weir.tools;

import static dev.weir.tools.ToolSupport.assertExit;
import static dev.weir.tools.ToolSupport.ok;
import static dev.weir.tools.ToolSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.harness.Tools;
import dev.weir.harness.WeirBrokerExtension;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * kafka-topics against Weir: --create, --describe, --alter --partitions, --delete and --list,
 * checked on what the tool prints, since operators and their scripts read exactly these lines
 * (the tab-separated describe layout, "Created topic X."). The expected lines are those the
 * reference Kafka prints for the same commands; bad input is compared with Kafka in
 * {@link TopicErrorsTest}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TopicsTest {
    @RegisterExtension
    static final WeirBrokerExtension weir = new WeirBrokerExtension();

    private static Tools.Result topics(String... args) {
        return run(weir.broker(), "kafka-topics", args);
    }

    @Test
    void createThenDescribeShowsPartitionsReplicasAndOverrides() {
        assertEquals(List.of("Created topic orders."), ok(topics("--create", "--topic", "orders",
                "--partitions", "2", "--replication-factor", "1",
                "--config", "retention.ms=3600000", "--config", "cleanup.policy=compact")));

        Tools.Result described = topics("--describe", "--topic", "orders");
        List<String> lines = ok(described);
        assertEquals(3, lines.size(), described.describe("is not a topic and two partitions"));
        // Kafka lists the values that are not defaults: here the topic's two overrides.
        assertTrue(lines.get(0).matches("Topic: orders\tTopicId: [A-Za-z0-9_-]{22}\t"
                + "PartitionCount: 2\tReplicationFactor: 1\t"
                + "Configs: cleanup\\.policy=compact,retention\\.ms=3600000"),
                described.describe("topic line"));
        // Kafka 4's tool reads these through DescribeTopicPartitions (KIP-966): without it, it
        // falls back to Metadata and prints "Elr: N/A" and "LastKnownElr: N/A" instead.
        for (int p = 0; p < 2; p++) {
            assertEquals("\tTopic: orders\tPartition: " + p + "\tLeader: 1\tReplicas: 1\tIsr: 1"
                    + "\tElr: \tLastKnownElr: ", lines.get(1 + p),
                    described.describe("partition " + p));
        }
    }

    @Test
    void alterPartitionsGrowsTheTopic() {
        ok(topics("--create", "--topic", "growing", "--partitions", "1"));
        // Kafka prints nothing on a successful --alter.
        assertEquals(List.of(), ok(topics("--alter", "--topic", "growing", "--partitions", "3")));

        Tools.Result described = topics("--describe", "--topic", "growing");
        List<String> lines = ok(described);
        assertTrue(lines.get(0).contains("\tPartitionCount: 3\t"), described.describe("count"));
        assertEquals(List.of(0, 1, 2), lines.stream().skip(1)
                .map(line -> Integer.parseInt(line.replaceAll(".*\tPartition: (\\d+)\t.*", "$1")))
                .toList(), described.describe("partition lines"));
    }

    @Test
    void deleteRemovesTheTopicFromList() {
        ok(topics("--create", "--topic", "doomed", "--partitions", "1"));
        ok(topics("--create", "--topic", "kept", "--partitions", "1"));
        assertTrue(ok(topics("--list")).containsAll(List.of("doomed", "kept")));

        // Kafka prints nothing on a successful --delete.
        assertEquals(List.of(), ok(topics("--delete", "--topic", "doomed")));
        List<String> listed = ok(topics("--list"));
        assertFalse(listed.contains("doomed"), "still listed after --delete: " + listed);
        assertTrue(listed.contains("kept"), "the other topic went too: " + listed);
        assertEquals(listed.stream().sorted().toList(), listed, "--list is sorted");
    }

    /**
     * kafka-topics --create with Kafka's most used topic config after retention and cleanup;
     * --describe lists it among the topic's configs, as against Kafka.
     */
    @Test
    void createAcceptsKafkasCompressionTypeConfig() {
        Tools.Result created = topics("--create", "--topic", "zstd-topic", "--partitions", "1",
                "--config", "compression.type=zstd");
        assertExit(created, 0);
        assertEquals(List.of("Created topic zstd-topic."), created.lines());
        Tools.Result described = topics("--describe", "--topic", "zstd-topic");
        assertTrue(ok(described).get(0).contains("Configs: compression.type=zstd"),
                described.describe("configs"));
    }
}
