package dev.weir.tools;

import static dev.weir.tools.ToolSupport.assertExit;
import static dev.weir.tools.ToolSupport.createTopic;
import static dev.weir.tools.ToolSupport.endOffset;
import static dev.weir.tools.ToolSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.harness.Tools;
import dev.weir.harness.WeirBrokerExtension;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * kafka-producer-perf-test and kafka-consumer-perf-test against Weir. The producer test with
 * acks=1 (which turns the Java producer's idempotence off) must send every record and print
 * Kafka's summary line; with its defaults it needs InitProducerId (issue #17). The consumer
 * test always subscribes with a group (it has no --partition), so until consumer groups land
 * (issue #16) it has no working path: both failures are asserted as today's behaviour
 * (docs/KNOWN-GAPS.md).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PerfTest {
    private static final int RECORDS = 20_000;
    /** "20000 records sent, 18165.3 records/sec (1.73 MB/sec), 64.35 ms avg latency, ...". */
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) records sent, ([\\d.]+) "
            + "records/sec \\(([\\d.]+) MB/sec\\), ([\\d.]+) ms avg latency, ([\\d.]+) ms max "
            + "latency, (\\d+) ms 50th, (\\d+) ms 95th, (\\d+) ms 99th, (\\d+) ms 99\\.9th\\.");

    @RegisterExtension
    static final WeirBrokerExtension weir = new WeirBrokerExtension();

    @BeforeAll
    static void start() throws Exception {
        createTopic(weir.broker(), "perf", 2, Map.of());
        createTopic(weir.broker(), "perf-refused", 1, Map.of());
    }

    @Test
    void producerPerfTestWithAcks1SendsEveryRecord() throws Exception {
        Tools.Result result = run(weir.broker(), "kafka-producer-perf-test", "--topic", "perf",
                "--num-records", Integer.toString(RECORDS), "--record-size", "100",
                "--throughput", "-1", "--command-property", "acks=1").assertOk();
        // Progress lines may come first (every 5 s); the summary is the last line.
        List<String> lines = result.lines();
        Matcher summary = SUMMARY.matcher(lines.isEmpty() ? "" : lines.get(lines.size() - 1));
        assertTrue(summary.matches(), result.describe("has no summary line"));
        assertEquals(RECORDS, Integer.parseInt(summary.group(1)));
        assertTrue(Double.parseDouble(summary.group(2)) > 0, result.describe("records/sec"));
        assertTrue(Double.parseDouble(summary.group(4)) <= Double.parseDouble(summary.group(5)),
                result.describe("average latency above the maximum"));
        long stored = endOffset(weir.broker(), "perf", 0) + endOffset(weir.broker(), "perf", 1);
        assertEquals(RECORDS, stored, "records in the log");
    }

    /** Gap (InitProducerId, issue #17): the defaults (acks=all, idempotence) fail at once. */
    @Test
    void producerPerfTestWithDefaultsFailsNamingInitProducerIdUntilItLands() throws Exception {
        Tools.Result result = run(weir.broker(), "kafka-producer-perf-test",
                "--topic", "perf-refused",
                "--num-records", "100", "--record-size", "100", "--throughput", "-1");
        assertExit(result, 1);
        assertEquals("", result.stdout());
        assertTrue(result.stderr().contains(
                "UnsupportedVersionException: The node does not support INIT_PRODUCER_ID"),
                result.describe("does not name the missing API"));
        assertEquals(0, endOffset(weir.broker(), "perf-refused", 0));
    }

    /**
     * Gap (consumer groups, issue #16): the consumer perf test prints its header, then fails
     * at once naming FIND_COORDINATOR, exit 1.
     */
    @Test
    void consumerPerfTestFailsNamingFindCoordinatorUntilGroupsLand() {
        Tools.Result result = run(weir.broker(), "kafka-consumer-perf-test", "--topic", "perf",
                "--num-records", "100", "--timeout", "10000");
        assertExit(result, 1);
        assertEquals(List.of("start.time, end.time, data.consumed.in.MB, MB.sec, "
                + "data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, "
                + "fetch.MB.sec, fetch.nMsg.sec"), result.lines());
        assertTrue(result.stderr().contains("The node does not support FIND_COORDINATOR"),
                result.describe("does not name the missing API"));
    }
}
