package dev.weir.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.harness.Broker;
import dev.weir.harness.ClientProps;
import dev.weir.harness.Brokers;
import dev.weir.harness.Tools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What the tool tests share: running one of Kafka's tools against a broker with a per-call time
 * bound, and in-process Admin and producer clients for setting up data and checking what a tool
 * did, so only the command under test pays for a JVM start.
 */
final class ToolSupport {
    /** One tool call: well under the JUnit timeouts, so a stuck tool fails its test cleanly. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    private ToolSupport() {}

    /** {@code tool --bootstrap-server <broker> args...}. */
    static Tools.Result run(Broker broker, String tool, String... args) {
        return runWithInput(null, broker, tool, args);
    }

    /** As {@link #run}, with {@code input} on the tool's stdin (the console producer). */
    static Tools.Result runWithInput(String input, Broker broker, String tool, String... args) {
        List<String> all = new ArrayList<>(List.of("--bootstrap-server", broker.bootstrap()));
        all.addAll(List.of(args));
        return raw(input, tool, all.toArray(String[]::new));
    }

    /** A tool with exactly {@code args} (for tools without --bootstrap-server, or with it late). */
    static Tools.Result raw(String input, String tool, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Brokers.repo().resolve("tests/java/kafka-tool").toString());
        command.add(tool);
        command.addAll(List.of(args));
        return Tools.run(command, input, CALL_TIMEOUT);
    }

    /** Fails unless the tool exited 0; returns its stdout lines. */
    static List<String> ok(Tools.Result result) {
        return result.assertOk().lines();
    }

    /** Fails unless some line of {@code text} matches {@code regex} (whole line). */
    static void assertLine(Tools.Result result, String text, String regex) {
        Pattern pattern = Pattern.compile(regex);
        assertTrue(text.lines().anyMatch(line -> pattern.matcher(line).matches()),
                result.describe("printed no line matching /" + regex + "/"));
    }

    static void assertExit(Tools.Result result, int expected) {
        assertEquals(expected, result.exitCode(), result.describe("exit code"));
    }

    static Admin admin(Broker broker) {
        return Admin.create(ClientProps.admin(broker, Map.of()));
    }

    static void createTopic(Broker broker, String topic, int partitions,
            Map<String, String> configs) throws Exception {
        try (Admin admin = admin(broker)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(configs)))
                    .all().get();
        }
    }

    /**
     * A producer that Weir can serve today (as {@link ClientProps#producer} makes it), acks=1,
     * plus {@code extra} settings (compression, linger).
     */
    static KafkaProducer<String, String> producer(Broker broker, Map<String, Object> extra) {
        Properties props = ClientProps.producer(broker, Map.of());
        props.put(ProducerConfig.ACKS_CONFIG, "1");
        props.putAll(extra);
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    /** The log end offset of one partition, read through the Admin client. */
    static long endOffset(Broker broker, String topic, int partition) throws Exception {
        TopicPartition tp = new TopicPartition(topic, partition);
        try (Admin admin = admin(broker)) {
            return admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get()
                    .offset();
        }
    }
}
