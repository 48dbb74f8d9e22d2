package dev.weir.tools;

import static dev.weir.tools.ToolSupport.createTopic;
import static dev.weir.tools.ToolSupport.ok;
import static dev.weir.tools.ToolSupport.producer;
import static dev.weir.tools.ToolSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.harness.WeirBrokerExtension;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * kafka-log-dirs --describe (DescribeLogDirs): the broker's one log dir with every partition,
 * each partition's size the bytes its segments hold, no offset lag and no future replica.
 * Reassignment's --generate and --execute read the same API ({@link ReassignPartitionsTest}).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LogDirsTest {
    @RegisterExtension
    static final WeirBrokerExtension weir = new WeirBrokerExtension();

    @BeforeAll
    static void start() throws Exception {
        createTopic(weir.broker(), "dirs", 2, Map.of());
        try (KafkaProducer<String, String> producer = producer(weir.broker(), Map.of())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>("dirs", 0, "k" + i, "value-" + i)).get();
            }
        }
    }

    @Test
    void describeListsEachPartitionWithItsSize() {
        List<String> lines = ok(run(weir.broker(), "kafka-log-dirs", "--describe",
                "--topic-list", "dirs"));
        assertEquals("Querying brokers for log directories information", lines.get(0));
        assertEquals("Received log directory information from brokers 1", lines.get(1));
        String json = lines.get(2);
        assertTrue(json.contains("\"logDir\":\"" + weir.broker().dataDir() + "\""), json);
        assertTrue(json.contains("\"error\":null"), json);
        Matcher partitions = Pattern.compile(
                "\\{\"partition\":\"(dirs-\\d)\",\"size\":(\\d+),\"offsetLag\":0,\"isFuture\":false\\}")
                .matcher(json);
        Map<String, Long> sizes = new java.util.TreeMap<>();
        while (partitions.find()) {
            sizes.put(partitions.group(1), Long.parseLong(partitions.group(2)));
        }
        assertEquals(List.of("dirs-0", "dirs-1"), List.copyOf(sizes.keySet()), json);
        // Ten one-record batches of about 80 bytes each, and nothing in partition 1.
        assertTrue(sizes.get("dirs-0") > 10 * 60 && sizes.get("dirs-0") < 10 * 120, json);
        assertEquals(0L, sizes.get("dirs-1"), json);
    }
}
