package dev.weir.tools;

import static dev.weir.tools.ToolSupport.createTopic;
import static dev.weir.tools.ToolSupport.ok;
import static dev.weir.tools.ToolSupport.producer;
import static dev.weir.tools.ToolSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weir.harness.WeirBrokerExtension;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * kafka-get-offsets against Weir: latest (-1), earliest (-2), max timestamp (-3) and a
 * timestamp, printed as {@code topic:partition:offset}. Records carry chosen timestamps, out of
 * order in partition 0, so every answer is known in advance; the reference Kafka printed the
 * same lines for the same data, including nothing at all for a partition with no record at or
 * after the asked timestamp.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class GetOffsetsTest {
    /** Ten minutes ago: well inside retention, and every probe below lands between records. */
    private static final long T0 = System.currentTimeMillis() - 600_000;

    @RegisterExtension
    static final WeirBrokerExtension weir = new WeirBrokerExtension();

    @BeforeAll
    static void start() throws Exception {
        createTopic(weir.broker(), "stamped", 2, Map.of());
        try (KafkaProducer<String, String> producer = producer(weir.broker(), Map.of())) {
            // Partition 0: offsets 0, 1, 2 at T0, T0+2000, T0+1000 (the maximum is offset 1).
            send(producer, 0, T0);
            send(producer, 0, T0 + 2000);
            send(producer, 0, T0 + 1000);
            // Partition 1: offsets 0, 1 at T0+500, T0+1500.
            send(producer, 1, T0 + 500);
            send(producer, 1, T0 + 1500);
        }
    }

    private static void send(KafkaProducer<String, String> producer, int partition, long timestamp)
            throws Exception {
        // One at a time, so each record is its own batch and the offsets are the send order.
        producer.send(new ProducerRecord<>("stamped", partition, timestamp, "k", "v")).get();
    }

    private static List<String> offsets(String time) {
        return ok(run(weir.broker(), "kafka-get-offsets", "--topic", "stamped", "--time", time));
    }

    @Test
    void latestIsTheLogEndOffset() {
        assertEquals(List.of("stamped:0:3", "stamped:1:2"), offsets("-1"));
    }

    @Test
    void earliestIsZero() {
        assertEquals(List.of("stamped:0:0", "stamped:1:0"), offsets("-2"));
    }

    @Test
    void maxTimestampIsTheOffsetOfTheNewestRecord() {
        assertEquals(List.of("stamped:0:1", "stamped:1:1"), offsets("-3"));
    }

    @Test
    void timestampIsTheFirstOffsetAtOrAfterIt() {
        assertEquals(List.of("stamped:0:1", "stamped:1:1"), offsets(Long.toString(T0 + 1200)));
        assertEquals(List.of("stamped:0:0", "stamped:1:0"), offsets(Long.toString(T0 - 1)));
    }

    @Test
    void timestampAfterEveryRecordPrintsNothing() {
        assertEquals(List.of(), offsets(Long.toString(T0 + 2500)));
    }
}
