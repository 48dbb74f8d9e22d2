package dev.weir.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.harness.Tools;
import dev.weir.harness.WeirCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue #15 with the Java client and Kafka's own kafka-topics: three Weir nodes, a topic with
 * three replicas and min.insync.replicas=2, a producer at acks=all (idempotence off: Weir has
 * no InitProducerId yet, #17). The partition's leader is killed with SIGKILL mid-stream and
 * started again. {@code kafka-topics --describe} shows the ISR shrinking to the two survivors
 * and healing once the restarted broker caught up, and every write the producer was told
 * succeeded is read back at the offset it was acknowledged at.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ReplicationTest {
    private static final String TOPIC = "acked";
    private static final int RECORDS = 3000;
    private static final Pattern ROW = Pattern.compile(
            "Partition: 0\\s+Leader: (\\S+)\\s+Replicas: ([\\d,]*)\\s+Isr: ([\\d,]*)");

    /** Leader and ISR of partition 0 as Kafka's kafka-topics prints them. */
    record Described(int leader, Set<Integer> isr) {}

    private static Described describe(WeirCluster cluster, int through) {
        Tools.Result result = Tools.kafka("kafka-topics", "--bootstrap-server",
                cluster.bootstrap(through), "--describe", "--topic", TOPIC).assertOk();
        Matcher row = ROW.matcher(result.stdout());
        assertTrue(row.find(), result.describe("printed no row for partition 0"));
        int leader = row.group(1).equals("none") ? -1 : Integer.parseInt(row.group(1));
        Set<Integer> isr = Arrays.stream(row.group(3).split(","))
                .filter(s -> !s.isEmpty()).map(Integer::parseInt)
                .collect(Collectors.toCollection(TreeSet::new));
        return new Described(leader, isr);
    }

    private static Described awaitDescribed(WeirCluster cluster, int through, String what,
            Predicate<Described> done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Described last = null;
        while (System.nanoTime() < deadline) {
            last = describe(cluster, through);
            if (done.test(last)) {
                return last;
            }
        }
        throw new AssertionError(what + " did not happen within 60 s; last: " + last);
    }

    /** Creates {@code topic}, retrying (at most 60 s) while the new cluster forms its quorum. */
    private static void createWhenReady(WeirCluster cluster, NewTopic topic) throws Exception {
        try (Admin admin = Clients.admin(cluster)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (true) {
                try {
                    admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
                    return;
                } catch (Exception e) {
                    // The nodes are still forming the quorum and registering.
                    assertTrue(System.nanoTime() < deadline, "topic not created: " + e);
                    Thread.sleep(500);
                }
            }
        }
    }

    @Test
    void acksAllLosesNothingWhenTheLeaderIsKilled() throws Exception {
        try (WeirCluster cluster = WeirCluster.start(Map.of(
                "broker.session.timeout.ms", "3000", "broker.heartbeat.interval.ms", "500"))) {
            createWhenReady(cluster, new NewTopic(TOPIC, 1, (short) 3)
                    .configs(Map.of("min.insync.replicas", "2")));
            Described before = awaitDescribed(cluster, 1, "every replica in the ISR",
                    d -> d.leader() > 0 && d.isr().equals(Set.of(1, 2, 3)));
            int leader = before.leader();
            int survivor = leader == 1 ? 2 : 1;

            Map<String, Object> settings = Map.of(
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false",
                    ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000",
                    ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
            Map<String, Long> acked = new ConcurrentHashMap<>();
            List<Exception> failed = new ArrayList<>();
            AtomicInteger acks = new AtomicInteger();
            Thread writer;
            try (KafkaProducer<String, String> producer = Clients.producer(cluster, settings)) {
                writer = new Thread(() -> {
                    for (int i = 0; i < RECORDS; i++) {
                        String value = "v" + i;
                        producer.send(new ProducerRecord<>(TOPIC, 0, null, value), (meta, error) -> {
                            if (error != null) {
                                synchronized (failed) {
                                    failed.add(error);
                                }
                            } else {
                                acked.put(value, meta.offset());
                                acks.incrementAndGet();
                            }
                        });
                        if (i % 20 == 19) {
                            try {
                                Thread.sleep(20);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    }
                });
                writer.start();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (acks.get() < RECORDS / 3 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                cluster.kill(leader);
                Described shrunk = awaitDescribed(cluster, survivor, "a new leader",
                        d -> d.leader() > 0 && d.leader() != leader);
                assertFalse(shrunk.isr().contains(leader), "ISR after the kill: " + shrunk);
                assertEquals(2, shrunk.isr().size(), "ISR after the kill: " + shrunk);
                cluster.launch(leader);
                awaitDescribed(cluster, survivor, "the restarted broker back in the ISR",
                        d -> d.isr().contains(leader));
                writer.join(Duration.ofSeconds(120).toMillis());
                assertFalse(writer.isAlive(), "the writer did not finish");
                producer.flush();
            }
            assertTrue(failed.isEmpty(), failed.size() + " writes failed, first: "
                    + (failed.isEmpty() ? "" : failed.get(0)));
            assertEquals(RECORDS, acked.size());

            Map<Long, String> byOffset = new ConcurrentHashMap<>();
            try (KafkaConsumer<String, String> consumer = Clients.consumer(cluster, Map.of())) {
                TopicPartition partition = new TopicPartition(TOPIC, 0);
                consumer.assign(List.of(partition));
                consumer.seekToBeginning(List.of(partition));
                long end = consumer.endOffsets(List.of(partition), Duration.ofSeconds(30)).get(partition);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (consumer.position(partition) < end && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                        String earlier = byOffset.putIfAbsent(record.offset(), record.value());
                        assertTrue(earlier == null || earlier.equals(record.value()),
                                "offset " + record.offset() + " holds two values");
                    }
                }
            }
            acked.forEach((value, offset) -> assertEquals(value, byOffset.get(offset),
                    value + " was acknowledged at offset " + offset));
        }
    }

    private static final Pattern ELR_ROW = Pattern.compile(
            "Partition: 0\tLeader: (\\d+)\tReplicas: [\\d,]*\tIsr: ([\\d,]*)\tElr: ([\\d,]*)"
                    + "\tLastKnownElr: ([\\d,]*)");

    /**
     * Partition 0's "Isr Elr LastKnownElr" as a tool prints it (the ISR sorted: the tools print
     * it in the controller's order), or null if there is no such row.
     */
    private static String elrColumns(Tools.Result result) {
        Matcher row = ELR_ROW.matcher(result.assertOk().stdout());
        if (!row.find()) {
            return null;
        }
        String isr = Arrays.stream(row.group(2).split(",")).sorted().collect(Collectors.joining(","));
        return isr + " " + row.group(3) + " " + row.group(4);
    }

    /**
     * KIP-966 as Kafka's kafka-topics and weir topics show it: with min.insync.replicas=3, a
     * follower killed leaves the ISR below the minimum and joins the eligible leader replicas
     * (the high watermark stands still, so it holds everything committed); restarted, it
     * catches up, the ISR is whole and the ELR empty again.
     */
    @Test
    void aFollowerThatLeavesAnIsrBelowTheMinimumIsEligible() throws Exception {
        try (WeirCluster cluster = WeirCluster.start(Map.of(
                "broker.session.timeout.ms", "3000", "broker.heartbeat.interval.ms", "500"))) {
            String topic = TOPIC;
            createWhenReady(cluster, new NewTopic(topic, 1, (short) 3)
                    .configs(Map.of("min.insync.replicas", "3")));
            Described whole = awaitDescribed(cluster, 1, "every replica in the ISR",
                    d -> d.leader() > 0 && d.isr().equals(Set.of(1, 2, 3)));
            int follower = whole.leader() == 3 ? 2 : 3;
            int other = 6 - whole.leader() - follower;
            cluster.kill(follower);
            String isr = whole.leader() < other
                    ? whole.leader() + "," + other : other + "," + whole.leader();
            String expected = isr + " " + follower + " ";
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            String kafkas = null;
            while (System.nanoTime() < deadline) {
                kafkas = elrColumns(Tools.kafka("kafka-topics", "--bootstrap-server",
                        cluster.bootstrap(whole.leader()), "--describe", "--topic", topic));
                if (expected.equals(kafkas)) {
                    break;
                }
                Thread.sleep(100);
            }
            assertEquals(expected, kafkas, "kafka-topics: Isr, Elr and LastKnownElr");
            assertEquals(expected, elrColumns(Tools.weir("topics", "--bootstrap-server",
                    cluster.bootstrap(whole.leader()), "--describe", "--topic", topic)),
                    "weir topics: Isr, Elr and LastKnownElr");
            cluster.launch(follower);
            awaitDescribed(cluster, whole.leader(), "the restarted follower back in the ISR",
                    d -> d.isr().equals(Set.of(1, 2, 3)));
            assertEquals("1,2,3  ", elrColumns(Tools.kafka("kafka-topics", "--bootstrap-server",
                    cluster.bootstrap(whole.leader()), "--describe", "--topic", topic)),
                    "kafka-topics once the ISR is whole");
        }
    }
}
