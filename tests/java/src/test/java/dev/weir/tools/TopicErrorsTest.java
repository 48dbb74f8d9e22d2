package dev.weir.tools;

import static dev.weir.tools.ToolSupport.createTopic;
import static dev.weir.tools.ToolSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.harness.Broker;
import dev.weir.harness.KafkaRef;
import dev.weir.harness.Tools;
import dev.weir.harness.WeirBroker;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kafka-topics given bad input, run against Weir and the reference Kafka side by side: both
 * must fail the same way, with exit code 1, the tool's "Error while executing topic command"
 * line and the same exception class, since scripts and operators key on these. The broker's
 * message text is free-form and worded differently by Weir; each test checks that Weir's
 * still names what went wrong.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TopicErrorsTest {
    private static final Pattern ERROR_CLASS =
            Pattern.compile("ERROR TopicCommand: ([\\w.]+(?:Exception|Error))");

    private static WeirBroker weir;
    private static KafkaRef kafka;

    @BeforeAll
    static void start() throws Exception {
        weir = WeirBroker.start();
        kafka = KafkaRef.start();
        for (Broker broker : new Broker[] {weir, kafka}) {
            createTopic(broker, "three", 3, Map.of());
        }
    }

    @AfterAll
    static void stop() {
        if (weir != null) {
            weir.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    /** Runs the command on both brokers, checks they fail alike, returns Weir's message. */
    private static String failsAsOnKafka(String exceptionClass, String... args) {
        Tools.Result onKafka = run(kafka, "kafka-topics", args);
        Tools.Result onWeir = run(weir, "kafka-topics", args);
        String prefix = "Error while executing topic command : ";
        for (Tools.Result result : new Tools.Result[] {onKafka, onWeir}) {
            assertEquals(1, result.exitCode(), result.describe("exit code"));
            assertTrue(result.stdout().lines().anyMatch(line -> line.startsWith(prefix)),
                    result.describe("has no error line"));
        }
        assertEquals("org.apache.kafka.common.errors." + exceptionClass, errorClass(onKafka),
                onKafka.describe("(the reference) changed its exception"));
        assertEquals(errorClass(onKafka), errorClass(onWeir),
                "Kafka:\n" + onKafka.describe("") + "\nWeir:\n" + onWeir.describe(""));
        return onWeir.stdout().lines().filter(line -> line.startsWith(prefix)).findFirst()
                .orElseThrow().substring(prefix.length());
    }

    private static String errorClass(Tools.Result result) {
        Matcher matcher = ERROR_CLASS.matcher(result.stderr());
        return matcher.find() ? matcher.group(1) : "(none in stderr)";
    }

    @Test
    void shrinkingPartitionsIsInvalidPartitions() {
        String message = failsAsOnKafka("InvalidPartitionsException",
                "--alter", "--topic", "three", "--partitions", "1");
        // Kafka: "The topic three currently has 3 partition(s); 1 would not be an increase."
        assertTrue(message.contains("three") && message.contains("3") && message.contains("1"),
                message);
    }

    @Test
    void invalidCharacterInNameIsInvalidTopic() {
        String message = failsAsOnKafka("InvalidTopicException",
                "--create", "--topic", "bad name!");
        assertTrue(message.contains("' '") || message.contains("bad name!"), message);
    }

    @Test
    void nameLongerThan249IsInvalidTopic() {
        failsAsOnKafka("InvalidTopicException", "--create", "--topic", "n".repeat(250));
    }

    @Test
    void creatingAnExistingTopicIsTopicExists() {
        String message = failsAsOnKafka("TopicExistsException", "--create", "--topic", "three");
        assertTrue(message.contains("three") && message.contains("already exists"), message);
    }

    @Test
    void replicationFactorAboveBrokerCountIsInvalidReplicationFactor() {
        String message = failsAsOnKafka("InvalidReplicationFactorException",
                "--create", "--topic", "wide", "--replication-factor", "3");
        assertTrue(message.contains("3"), message);
    }
}
