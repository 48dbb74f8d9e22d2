package dev.weir.tools;

import static dev.weir.tools.ToolSupport.assertExit;
import static dev.weir.tools.ToolSupport.assertLine;
import static dev.weir.tools.ToolSupport.createTopic;
import static dev.weir.tools.ToolSupport.ok;
import static dev.weir.tools.ToolSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * kafka-configs against Weir: --describe, --alter --add-config and --delete-config for a topic,
 * for the cluster-wide broker default (--entity-default) and for broker 1, checked on the lines
 * the tool prints, including each value's synonyms (where it comes from). The expected lines are
 * what the reference Kafka printed for the same commands.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConfigsTest {
    @RegisterExtension
    static final WeirBrokerExtension weir = new WeirBrokerExtension();

    @BeforeAll
    static void start() throws Exception {
        createTopic(weir.broker(), "configured", 1, Map.of());
        createTopic(weir.broker(), "inherits", 1, Map.of());
    }

    private static Tools.Result configs(String... args) {
        return run(weir.broker(), "kafka-configs", args);
    }

    @Test
    void topicConfigsAreAddedDescribedAndDeleted() {
        String[] topic = {"--entity-type", "topics", "--entity-name", "configured"};
        assertEquals(List.of("Completed updating config for topic configured."),
                ok(configs(concat(topic, "--alter",
                        "--add-config", "retention.ms=3600000,cleanup.policy=compact"))));
        // Only the overrides, sorted, each with the default it overrides as a synonym.
        assertEquals(List.of("Dynamic configs for topic configured are:",
                "  cleanup.policy=compact sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:"
                        + "cleanup.policy=compact, DEFAULT_CONFIG:log.cleanup.policy=delete}",
                "  retention.ms=3600000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:"
                        + "retention.ms=3600000}"),
                ok(configs(concat(topic, "--describe"))));

        assertEquals(List.of("Completed updating config for topic configured."),
                ok(configs(concat(topic, "--alter", "--delete-config", "cleanup.policy"))));
        assertEquals(List.of("Dynamic configs for topic configured are:",
                "  retention.ms=3600000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:"
                        + "retention.ms=3600000}"),
                ok(configs(concat(topic, "--describe"))));
    }

    @Test
    void clusterDefaultBrokerConfigIsAddedDescribedAndDeleted() {
        String[] defaults = {"--entity-type", "brokers", "--entity-default"};
        assertEquals(List.of("Completed updating default config for brokers in the cluster."),
                ok(configs(concat(defaults, "--alter",
                        "--add-config", "log.retention.ms=7200000"))));
        assertEquals(List.of("Default configs for brokers in the cluster are:",
                "  log.retention.ms=7200000 sensitive=false synonyms={"
                        + "DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=7200000}"),
                ok(configs(concat(defaults, "--describe"))));

        assertEquals(List.of("Completed updating default config for brokers in the cluster."),
                ok(configs(concat(defaults, "--alter", "--delete-config", "log.retention.ms"))));
        assertEquals(List.of("Default configs for brokers in the cluster are:"),
                ok(configs(concat(defaults, "--describe"))));
    }

    @Test
    void perBrokerConfigIsAddedDescribedAndDeleted() {
        String[] one = {"--entity-type", "brokers", "--entity-name", "1"};
        assertEquals(List.of("Completed updating config for broker 1."),
                ok(configs(concat(one, "--alter", "--add-config", "log.segment.bytes=10485760"))));
        assertEquals(List.of("Dynamic configs for broker 1 are:",
                "  log.segment.bytes=10485760 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:"
                        + "log.segment.bytes=10485760, "
                        + "DEFAULT_CONFIG:log.segment.bytes=1073741824}"),
                ok(configs(concat(one, "--describe"))));

        assertEquals(List.of("Completed updating config for broker 1."),
                ok(configs(concat(one, "--alter", "--delete-config", "log.segment.bytes"))));
        assertEquals(List.of("Dynamic configs for broker 1 are:"),
                ok(configs(concat(one, "--describe"))));
    }

    @Test
    void unknownTopicConfigIsInvalidConfiguration() {
        Tools.Result refused = configs("--entity-type", "topics", "--entity-name", "configured",
                "--alter", "--add-config", "no.such.key=1");
        assertExit(refused, 1);
        // Kafka: "... InvalidConfigurationException: Unknown topic config name: no.such.key".
        assertLine(refused, refused.stdout() + refused.stderr(),
                "Caused by: org\\.apache\\.kafka\\.common\\.errors\\."
                        + "InvalidConfigurationException: .*no\\.such\\.key.*");
    }

    /**
     * A topic config that is not overridden takes its value from a broker-level key, and the
     * synonyms name that key ({@code DEFAULT_CONFIG:log.cleanup.policy},
     * {@code DYNAMIC_DEFAULT_BROKER_CONFIG:log.segment.bytes}), not the topic key.
     */
    @Test
    void describeAllNamesTheBrokerKeyATopicConfigInherits() {
        String[] defaults = {"--entity-type", "brokers", "--entity-default"};
        ok(configs(concat(defaults, "--alter", "--add-config", "log.segment.bytes=20971520")));
        try {
            Tools.Result all = configs("--entity-type", "topics", "--entity-name", "inherits",
                    "--describe", "--all");
            List<String> lines = ok(all);
            assertTrue(lines.contains("  cleanup.policy=delete sensitive=false synonyms={"
                    + "DEFAULT_CONFIG:log.cleanup.policy=delete}"), all.describe("cleanup.policy"));
            assertTrue(lines.contains("  segment.bytes=20971520 sensitive=false synonyms={"
                    + "DYNAMIC_DEFAULT_BROKER_CONFIG:log.segment.bytes=20971520, "
                    + "DEFAULT_CONFIG:log.segment.bytes=1073741824}"),
                    all.describe("segment.bytes"));
        } finally {
            ok(configs(concat(defaults, "--alter", "--delete-config", "log.segment.bytes")));
        }
    }

    private static String[] concat(String[] head, String... tail) {
        String[] all = new String[head.length + tail.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }
}
