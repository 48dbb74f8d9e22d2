package dev.weir.tools;

import static dev.weir.tools.ToolSupport.assertExit;
import static dev.weir.tools.ToolSupport.createTopic;
import static dev.weir.tools.ToolSupport.ok;
import static dev.weir.tools.ToolSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.harness.Tools;
import dev.weir.harness.WeirBrokerExtension;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * kafka-leader-election against a single Weir node, where broker 1 is every partition's
 * preferred leader already: Kafka's answer is ELECTION_NOT_NEEDED, which the tool prints as
 * "Valid replica already elected" for named partitions and leaves out of --all-topic-partitions
 * (so that prints nothing); an unknown partition fails the command. Lines as the reference Kafka
 * printed them.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LeaderElectionTest {
    @RegisterExtension
    static final WeirBrokerExtension weir = new WeirBrokerExtension();

    @BeforeAll
    static void start() throws Exception {
        createTopic(weir.broker(), "elect", 2, Map.of());
    }

    private static Tools.Result elect(String... args) {
        return run(weir.broker(), "kafka-leader-election", args);
    }

    @Test
    void preferredForAllPartitionsHasNothingToDo() {
        Tools.Result result = elect("--election-type", "preferred", "--all-topic-partitions");
        assertEquals(List.of(), ok(result));
        assertFalse(result.stderr().contains("Error"), result.describe("stderr"));
    }

    @Test
    void preferredForOnePartitionFindsItsLeaderValid() {
        assertEquals(List.of("Valid replica already elected for partitions elect-1"),
                ok(elect("--election-type", "preferred", "--topic", "elect", "--partition", "1")));
    }

    @Test
    void uncleanForOnePartitionFindsItsLeaderValid() {
        assertEquals(List.of("Valid replica already elected for partitions elect-0"),
                ok(elect("--election-type", "unclean", "--topic", "elect", "--partition", "0")));
    }

    @Test
    void unknownPartitionFailsTheCommand() {
        Tools.Result result = elect("--election-type", "preferred", "--topic", "elect",
                "--partition", "7");
        assertExit(result, 1);
        List<String> lines = result.lines();
        assertEquals(1, lines.size(), result.describe("lines"));
        assertTrue(lines.get(0).startsWith("Error completing leader election (PREFERRED) for "
                + "partition: elect-7: org.apache.kafka.common.errors."
                + "UnknownTopicOrPartitionException: "), result.describe("first line"));
        // The summary and the stack trace go to stderr.
        assertTrue(result.stderr().contains("1 replica(s) could not be elected"),
                result.describe("summary"));
    }
}
