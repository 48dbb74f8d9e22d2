package dev.weir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.harness.Broker;
import dev.weir.harness.KafkaRef;
import dev.weir.harness.Tools;
import dev.weir.harness.WeirBroker;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

/** The harness itself: both brokers start, serve the Java AdminClient, and stop. */
class HarnessTest {
    private static void createAndList(Broker broker) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
        try (Admin admin = Admin.create(props)) {
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
}
