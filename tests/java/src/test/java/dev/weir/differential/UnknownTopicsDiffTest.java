package dev.weir.differential;

import dev.weir.harness.Broker;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Topics and partitions that do not exist, never did or no longer do: describeTopics,
 * describeConfigs, listOffsets, deleteTopics and the producer's and consumer's partitionsFor.
 * Clients tell "unknown" (UnknownTopicOrPartitionException, retriable) from "gone for good"
 * (UnknownTopicIdException) by class, and a deleted topic must look the same as a never-created
 * one, whatever a client cached before the deletion.
 */
@Timeout(60)
class UnknownTopicsDiffTest {
    @RegisterExtension
    static final BrokerPair brokers = new BrokerPair();

    /** Every way of asking about a topic name, each observed separately. */
    private static Map<String, Outcome> askAbout(Broker broker, String topic) {
        Map<String, Outcome> seen = new LinkedHashMap<>();
        try (Admin admin = Clients.admin(broker);
                KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(broker)) {
            seen.put("describeTopics", Outcome.of(() -> summary(
                    admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic))));
            seen.put("listTopics", Outcome.of(() ->
                    admin.listTopics().names().get().contains(topic)));
            seen.put("describeConfigs", Outcome.of(() -> admin.describeConfigs(List.of(
                    new ConfigResource(ConfigResource.Type.TOPIC, topic))).all().get().size()));
            TopicPartition first = new TopicPartition(topic, 0);
            seen.put("listOffsets latest", Outcome.of(() -> admin.listOffsets(
                    Map.of(first, OffsetSpec.latest())).partitionResult(first).get().offset()));
            // Consumer metadata requests do not create topics (allow.auto.create.topics=false).
            seen.put("consumer partitionsFor", Outcome.of(() ->
                    consumer.partitionsFor(topic).size()));
        }
        return seen;
    }

    private static String summary(TopicDescription description) {
        return description.name() + " partitions=" + description.partitions().size()
                + " internal=" + description.isInternal();
    }

    private static Outcome create(Broker broker, String topic, int partitions) {
        return Clients.createTopics(broker, List.of(new NewTopic(topic, partitions, (short) 1)));
    }

    private static Outcome delete(Admin admin, String topic) {
        return Outcome.of(() -> {
            admin.deleteTopics(List.of(topic)).all().get();
            Clients.awaitTopics(admin, List.of(topic), false);
            return null;
        });
    }

    @Test
    void neverCreatedTopic() {
        brokers.same("never created", broker -> askAbout(broker, "never-created"));
    }

    @Test
    void unknownPartitionOfAnExistingTopic() {
        brokers.same("listOffsets of partition 99", broker -> {
            create(broker, "one-partition", 1);
            try (Admin admin = Clients.admin(broker)) {
                TopicPartition missing = new TopicPartition("one-partition", 99);
                // The AdminClient waits for the partition to appear in the metadata until
                // its deadline: short, so that only the exception class is compared.
                return Outcome.of(() -> admin.listOffsets(Map.of(missing, OffsetSpec.latest()),
                        new ListOffsetsOptions().timeoutMs(1500)).partitionResult(missing).get()
                        .offset());
            }
        });
    }

    @Test
    void deleteNeverCreatedTopic() {
        brokers.same("delete never created", broker -> {
            try (Admin admin = Clients.admin(broker)) {
                return delete(admin, "never-created-either");
            }
        });
    }

    /**
     * By id: the Java client sends an empty (not null) name beside the id, and the broker must
     * go by the id (a broker that looked the empty name up answered with a zero topic id, and
     * the AdminClient threw IllegalStateException instead of UnknownTopicIdException).
     */
    @Test
    void describeUnknownTopicId() {
        brokers.same("describe an unknown topic id", broker -> {
            try (Admin admin = Clients.admin(broker)) {
                return describeById(admin, Uuid.randomUuid());
            }
        });
    }

    private static Outcome describeById(Admin admin, Uuid id) {
        return Outcome.of(() -> admin.describeTopics(TopicCollection.ofTopicIds(List.of(id)))
                .allTopicIds().get().size());
    }

    /** A deleted topic, asked about by name, and deleted again. */
    @Test
    void deletedTopic() {
        brokers.same("after deleteTopics", broker -> {
            String topic = "deleted";
            List<Object> seen = new ArrayList<>();
            seen.add(create(broker, topic, 2));
            try (Admin admin = Clients.admin(broker)) {
                seen.add(delete(admin, topic));
                seen.add(askAbout(broker, topic));
                seen.add(delete(admin, topic));
            }
            return seen;
        });
    }

    /** A deleted topic by its old id (see {@link #describeUnknownTopicId}). */
    @Test
    void deletedTopicById() {
        brokers.same("describe a deleted topic's id", broker -> {
            String topic = "deleted-by-id";
            create(broker, topic, 1);
            try (Admin admin = Clients.admin(broker)) {
                Uuid id = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic)
                        .topicId();
                Outcome known = describeById(admin, id);
                delete(admin, topic);
                return List.of(known, describeById(admin, id));
            }
        });
    }

    /**
     * A producer that knew the topic before it was deleted: partitionsFor answers from its
     * cache, and the next send re-creates the topic through auto-creation (one partition now).
     */
    @Test
    void producerThatCachedADeletedTopic() {
        brokers.same("producer across deleteTopics", broker -> {
            String topic = "deleted-under-producer";
            List<Object> seen = new ArrayList<>();
            seen.add(create(broker, topic, 3));
            try (Admin admin = Clients.admin(broker);
                    KafkaProducer<byte[], byte[]> producer = Clients.producer(broker)) {
                seen.add(Outcome.of(() -> producer.partitionsFor(topic).size()));
                seen.add(Outcome.of(() -> producer.send(
                        new ProducerRecord<>(topic, 2, null, new byte[1])).get().partition()));
                seen.add(delete(admin, topic));
                seen.add(Outcome.of(() -> producer.partitionsFor(topic).size()));
                seen.add(Outcome.of(() -> producer.send(
                        new ProducerRecord<>(topic, 0, null, new byte[1])).get().offset()));
                seen.add(Outcome.of(() -> summary(admin.describeTopics(List.of(topic))
                        .allTopicNames().get().get(topic))));
            }
            return seen;
        });
    }

    /** A fresh producer after the deletion: its Metadata request auto-creates the topic again. */
    @Test
    void freshProducerAfterDeletion() {
        brokers.same("fresh producer after deleteTopics", broker -> {
            String topic = "deleted-then-asked";
            List<Object> seen = new ArrayList<>();
            seen.add(create(broker, topic, 3));
            try (Admin admin = Clients.admin(broker)) {
                seen.add(delete(admin, topic));
                try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker)) {
                    seen.add(Outcome.of(() -> producer.partitionsFor(topic).size()));
                }
                seen.add(Outcome.of(() -> summary(admin.describeTopics(List.of(topic))
                        .allTopicNames().get().get(topic))));
            }
            return seen;
        });
    }

    @Test
    void recreateRightAfterDeletion() {
        brokers.same("recreate after deleteTopics", broker -> {
            String topic = "recreated";
            List<Object> seen = new ArrayList<>();
            seen.add(create(broker, topic, 1));
            try (Admin admin = Clients.admin(broker)) {
                seen.add(delete(admin, topic));
                seen.add(create(broker, topic, 4));
                seen.add(Outcome.of(() -> summary(admin.describeTopics(List.of(topic))
                        .allTopicNames().get().get(topic))));
                TopicPartition first = new TopicPartition(topic, 0);
                seen.add(Outcome.of(() -> admin.listOffsets(Map.of(first, OffsetSpec.latest()))
                        .partitionResult(first).get().offset()));
            }
            return seen;
        });
    }
}
