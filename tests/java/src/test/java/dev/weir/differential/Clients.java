package dev.weir.differential;

import dev.weir.harness.Broker;
import dev.weir.harness.ClientProps;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Java clients configured alike for both brokers, with short timeouts so that a scenario the
 * broker never answers fails within its test's bound instead of retrying for minutes.
 */
final class Clients {
    private Clients() {}

    static Admin admin(Broker broker) {
        return Admin.create(ClientProps.admin(broker, Map.of(
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000")));
    }

    /** Creates {@code topics} and waits until the broker lists them: what CreateTopics said. */
    static Outcome createTopics(Broker broker, List<NewTopic> topics) {
        try (Admin admin = admin(broker)) {
            return Outcome.of(() -> {
                admin.createTopics(topics).all().get();
                awaitTopics(admin, topics.stream().map(NewTopic::name).toList(), true);
                return null;
            });
        }
    }

    /**
     * Waits (at most 10 s) until the broker's own metadata lists every one of {@code topics}, or
     * (present false) none of them. CreateTopics and DeleteTopics return once the controller has
     * committed the change; Kafka's broker applies it a moment later, and a describe or a raw
     * request in that moment would observe the race instead of the outcome.
     */
    static void awaitTopics(Admin admin, Collection<String> topics, boolean present)
            throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            // Internal ones too: Kafka lets a client create __consumer_offsets.
            Set<String> listed =
                    admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
            if (topics.stream().allMatch(topic -> listed.contains(topic) == present)) {
                return;
            }
            Thread.sleep(50);
        }
    }

    /**
     * A producer as {@link ClientProps#producer} makes it (the scenarios are about the broker's
     * answers, not sequence numbers), sending every record at once and giving up quickly on
     * retriable errors.
     */
    static KafkaProducer<byte[], byte[]> producer(Broker broker, Map<String, Object> extra) {
        Properties props = ClientProps.producer(broker, Map.of());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "5000");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "8000");
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.putAll(extra);
        return new KafkaProducer<>(props);
    }

    static KafkaProducer<byte[], byte[]> producer(Broker broker) {
        return producer(broker, Map.of());
    }

    /** A consumer outside any group (as {@link ClientProps#consumer}): assign only. */
    static KafkaConsumer<byte[], byte[]> consumer(Broker broker) {
        Properties props = ClientProps.consumer(broker, Map.of());
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        props.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return new KafkaConsumer<>(props);
    }
}
