package dev.weir.tools;

import static dev.weir.tools.ToolSupport.assertExit;
import static dev.weir.tools.ToolSupport.createTopic;
import static dev.weir.tools.ToolSupport.ok;
import static dev.weir.tools.ToolSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.harness.Tools;
import dev.weir.harness.WeirBroker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * kafka-reassign-partitions against a single Weir node, where moving a partition to broker 1 is
 * a no-op. --list works. --generate and --execute first read every replica's log directory
 * through DescribeLogDirs (key 35), which Weir does not serve, so they fail naming it (asserted
 * as today's behaviour, docs/KNOWN-GAPS.md). --verify and --cancel end by clearing the
 * replication throttles, which Kafka accepts as deletes of unset configs; Weir refuses the
 * throttle keys (a Weir bug, tagged "gap", asserting the lines the reference Kafka prints).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReassignPartitionsTest {
    @TempDir
    static Path dir;

    private static WeirBroker broker;
    private static Path topicsJson;
    private static Path planJson;

    @BeforeAll
    static void start() throws Exception {
        broker = WeirBroker.start();
        createTopic(broker, "move", 2, Map.of());
        topicsJson = write("topics.json", "{\"version\":1,\"topics\":[{\"topic\":\"move\"}]}");
        planJson = write("plan.json", "{\"version\":1,\"partitions\":["
                + "{\"topic\":\"move\",\"partition\":0,\"replicas\":[1],\"log_dirs\":[\"any\"]},"
                + "{\"topic\":\"move\",\"partition\":1,\"replicas\":[1],\"log_dirs\":[\"any\"]}]}");
    }

    private static Path write(String name, String json) throws IOException {
        return Files.writeString(dir.resolve(name), json);
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private static Tools.Result reassign(String... args) {
        return run(broker, "kafka-reassign-partitions", args);
    }

    @Test
    void listFindsNoReassignment() {
        assertEquals(List.of("No partition reassignments found."), ok(reassign("--list")));
    }

    /** Gap (DescribeLogDirs): --generate fails at once naming DESCRIBE_LOG_DIRS. */
    @Test
    void generateFailsNamingDescribeLogDirsUntilItLands() {
        assertFailsNamingDescribeLogDirs(reassign("--generate",
                "--topics-to-move-json-file", topicsJson.toString(), "--broker-list", "1"));
    }

    /** Gap (DescribeLogDirs): --execute fails the same way, before changing anything. */
    @Test
    void executeFailsNamingDescribeLogDirsUntilItLands() {
        assertFailsNamingDescribeLogDirs(reassign("--execute",
                "--reassignment-json-file", planJson.toString()));
        assertEquals(List.of("No partition reassignments found."), ok(reassign("--list")));
    }

    private static void assertFailsNamingDescribeLogDirs(Tools.Result result) {
        assertExit(result, 1);
        assertEquals("Error: org.apache.kafka.common.errors.UnsupportedVersionException: "
                + "The node does not support DESCRIBE_LOG_DIRS", result.lines().get(0),
                result.describe("first line"));
    }

    /**
     * The partitions' status, then the throttles cleared (deleting
     * leader/follower.replication.throttled.rate and ...replicas configs that were never set,
     * which Weir accepts as Kafka does although it has no throttles), exit 0.
     */
    @Test
    void verifyOfANoOpPlanReportsCompletionAndClearsThrottles() {
        assertEquals(List.of("Status of partition reassignment:",
                "Reassignment of partition move-0 is completed.",
                "Reassignment of partition move-1 is completed.",
                "",
                "Clearing broker-level throttles on broker 1",
                "Clearing topic-level throttles on topic move"),
                ok(reassign("--verify", "--reassignment-json-file", planJson.toString())));
    }

    /** As --verify, --cancel ends by clearing the throttles. */
    @Test
    void cancelWithNothingActiveClearsThrottles() {
        Tools.Result result = reassign("--cancel", "--reassignment-json-file", planJson.toString());
        List<String> lines = ok(result);
        assertEquals("None of the specified partition reassignments are active.", lines.get(0));
        // Kafka's tool prints no newline between these two.
        assertTrue(result.stdout().contains("None of the specified partition moves are active."
                + "Clearing broker-level throttles on broker 1\n"
                + "Clearing topic-level throttles on topic move"), result.describe("throttles"));
    }
}
