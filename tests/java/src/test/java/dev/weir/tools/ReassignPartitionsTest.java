package dev.weir.tools;

import static dev.weir.tools.ToolSupport.assertExit;
import static dev.weir.tools.ToolSupport.createTopic;
import static dev.weir.tools.ToolSupport.ok;
import static dev.weir.tools.ToolSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.harness.Tools;
import dev.weir.harness.WeirBrokerExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * kafka-reassign-partitions against a single Weir node, where moving a partition to broker 1 is
 * a no-op: --list, --generate and --execute (both read every replica's log directory through
 * DescribeLogDirs), --verify and --cancel (both end by clearing the replication throttles,
 * deletes of configs never set, which Weir accepts as Kafka does).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReassignPartitionsTest {
    @TempDir
    static Path dir;

    @RegisterExtension
    static final WeirBrokerExtension weir = new WeirBrokerExtension();
    private static Path topicsJson;
    private static Path planJson;

    @BeforeAll
    static void start() throws Exception {
        createTopic(weir.broker(), "move", 2, Map.of());
        topicsJson = write("topics.json", "{\"version\":1,\"topics\":[{\"topic\":\"move\"}]}");
        planJson = write("plan.json", "{\"version\":1,\"partitions\":["
                + "{\"topic\":\"move\",\"partition\":0,\"replicas\":[1],\"log_dirs\":[\"any\"]},"
                + "{\"topic\":\"move\",\"partition\":1,\"replicas\":[1],\"log_dirs\":[\"any\"]}]}");
    }

    private static Path write(String name, String json) throws IOException {
        return Files.writeString(dir.resolve(name), json);
    }

    private static Tools.Result reassign(String... args) {
        return run(weir.broker(), "kafka-reassign-partitions", args);
    }

    @Test
    void listFindsNoReassignment() {
        assertEquals(List.of("No partition reassignments found."), ok(reassign("--list")));
    }

    /**
     * --generate reads every replica's log directory (DescribeLogDirs) for the current
     * assignment, then proposes one: on one broker, the same replicas.
     */
    @Test
    void generateProposesTheOnlyBroker() {
        String dataDir = weir.broker().dataDir().toString();
        String current = "{\"version\":1,\"partitions\":["
                + "{\"topic\":\"move\",\"partition\":0,\"replicas\":[1],\"log_dirs\":[\"" + dataDir + "\"]},"
                + "{\"topic\":\"move\",\"partition\":1,\"replicas\":[1],\"log_dirs\":[\"" + dataDir + "\"]}]}";
        String proposed = "{\"version\":1,\"partitions\":["
                + "{\"topic\":\"move\",\"partition\":0,\"replicas\":[1],\"log_dirs\":[\"any\"]},"
                + "{\"topic\":\"move\",\"partition\":1,\"replicas\":[1],\"log_dirs\":[\"any\"]}]}";
        assertEquals(List.of("Current partition replica assignment", current, "",
                "Proposed partition reassignment configuration", proposed),
                ok(reassign("--generate", "--topics-to-move-json-file", topicsJson.toString(),
                        "--broker-list", "1")));
    }

    /** --execute prints the rollback plan and starts a (no-op) reassignment that completes. */
    @Test
    void executeStartsTheReassignment() {
        List<String> lines = ok(reassign("--execute", "--reassignment-json-file", planJson.toString()));
        assertEquals("Current partition replica assignment", lines.get(0), String.join("\n", lines));
        assertEquals("Successfully started partition reassignments for move-0,move-1",
                lines.get(lines.size() - 1), String.join("\n", lines));
        assertEquals(List.of("No partition reassignments found."), ok(reassign("--list")));
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
