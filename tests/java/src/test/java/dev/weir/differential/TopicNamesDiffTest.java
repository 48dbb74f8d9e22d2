package dev.weir.differential;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weir.harness.Broker;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Topic names, valid, invalid and reserved, as CreateTopics and Metadata judge them: the
 * exception class an AdminClient or producer gets must be Kafka's, because applications and
 * tools branch on it (InvalidTopicException is fatal, TopicExistsException often ignored).
 */
@Timeout(60)
class TopicNamesDiffTest {
    @RegisterExtension
    static final BrokerPair brokers = new BrokerPair();

    static Stream<String> names() {
        return Stream.of(
                "bad name!", ".", "..", "a".repeat(249), "b".repeat(250), "tab\tname", "ünïcode",
                "dots.and_underscores", "-leading-dash");
    }

    @ParameterizedTest
    @MethodSource("names")
    void createTopicJudgesTheName(String name) {
        brokers.same("createTopics " + shorten(name), broker -> {
            try (Admin admin = Clients.admin(broker)) {
                return Outcome.of(() ->
                        admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get());
            }
        });
    }

    /** Metadata for an invalid name: the producer asks (auto-creation allowed) and is told. */
    @ParameterizedTest
    @MethodSource("names")
    void producerMetadataJudgesTheName(String name) {
        brokers.same("partitionsFor " + shorten(name), broker -> {
            try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker)) {
                return Outcome.of(() -> producer.partitionsFor(name).size());
            }
        });
    }

    /**
     * Names that differ only in '.' against '_' collide in metric names: the second one is
     * refused (InvalidTopicException) once the first exists.
     */
    @Test
    void createCollidingName() {
        brokers.same("createTopics metrics.collide then metrics_collide", broker -> {
            try (Admin admin = Clients.admin(broker)) {
                return List.of("metrics.collide", "metrics_collide", "metrics.collide").stream()
                        .map(name -> Outcome.of(() -> admin.createTopics(
                                List.of(new NewTopic(name, 1, (short) 1))).all().get()))
                        .toList();
            }
        });
    }

    /**
     * Documented difference: Kafka lets a client create its group and transaction topics (it
     * creates them itself through the same request); Weir reserves both names for the broker
     * (docs/PROTOCOL.md, "Differences from Kafka").
     */
    @ParameterizedTest
    @ValueSource(strings = {"__consumer_offsets", "__transaction_state"})
    void createCoordinatorTopic(String name) {
        BrokerPair.Observed<List<Outcome>> observed = brokers.both("createTopics " + name,
                broker -> createAndDescribe(broker, name));
        assertEquals(List.of(Outcome.ok(null), Outcome.ok(true)), observed.kafka(),
                "Kafka creates it, as an internal topic");
        assertEquals(List.of(new Outcome(null, "InvalidTopicException", null),
                new Outcome(null, "UnknownTopicOrPartitionException", null)), observed.weir(),
                "Weir refuses the reserved name, so the topic does not exist");
    }

    /**
     * The metadata log's name: both refuse it as INVALID_REQUEST.
     */
    @Test
    void createMetadataLogTopic() {
        brokers.same("createTopics __cluster_metadata",
                broker -> createAndDescribe(broker, "__cluster_metadata"));
    }

    private static List<Outcome> createAndDescribe(Broker broker, String name) {
        try (Admin admin = Clients.admin(broker)) {
            // No partition count or replication factor: the broker's defaults, as Kafka itself
            // creates these topics.
            Outcome created = Outcome.of(() -> {
                admin.createTopics(List.of(new NewTopic(name, Optional.empty(), Optional.empty())))
                        .all().get();
                Clients.awaitTopics(admin, List.of(name), true);
                return null;
            });
            Outcome internal = Outcome.of(() -> admin.describeTopics(List.of(name))
                    .allTopicNames().get().get(name).isInternal());
            return List.of(created, internal);
        }
    }

    private static String shorten(String name) {
        return name.length() > 20 ? name.charAt(0) + "x" + name.length() : "\"" + name + "\"";
    }
}
