package dev.weir.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weir.harness.Broker;
import dev.weir.harness.ClientProps;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What the client tests share: Java clients configured for a test broker (generous timeouts,
 * so a slow shared machine does not fail a test, but every wait bounded), topic creation, and
 * reading a topic back whole with {@code assign()} (no consumer group: the group APIs are not
 * what these tests are about).
 */
final class Clients {
    /** The longest any single client operation may take before the test gives up. */
    static final Duration WAIT = Duration.ofSeconds(30);

    private Clients() {}

    static Admin admin(Broker broker) {
        return Admin.create(ClientProps.admin(broker, Map.of(
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "20000",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000")));
    }

    /** A producer as {@link ClientProps#producer} makes it; {@code overrides} win. */
    static KafkaProducer<String, String> producer(Broker broker, Map<String, Object> overrides) {
        Properties props = ClientProps.producer(broker, Map.of());
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "20000");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.putAll(overrides);
        return new KafkaProducer<>(props);
    }

    /** A consumer without a group: it only reads partitions it is given with assign(). */
    static KafkaConsumer<String, String> consumer(Broker broker, Map<String, Object> overrides) {
        Properties props = ClientProps.consumer(broker, Map.of());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "20000");
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "200");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.putAll(overrides);
        return new KafkaConsumer<>(props);
    }

    static void createTopic(Admin admin, String topic, int partitions) {
        createTopic(admin, new NewTopic(topic, partitions, (short) 1));
    }

    /** Creates {@code topic} and waits until the broker lists it ({@link #awaitListed}). */
    static void createTopic(Admin admin, NewTopic topic) {
        await(admin.createTopics(List.of(topic)).all());
        awaitListed(admin, topic.name());
    }

    /**
     * Waits (bounded by {@link #WAIT}) until the broker's metadata lists {@code topic}.
     * CreateTopics returns once the controller has committed the topic; Kafka's broker applies it
     * a moment later, and a describe or produce in that moment answers
     * UNKNOWN_TOPIC_OR_PARTITION (CI of 50f1f4b saw it once). Weir's broker answers
     * CreateTopics only once its own image holds the topic.
     */
    static void awaitListed(Admin admin, String topic) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!await(admin.listTopics().names()).contains(topic)) {
            if (System.nanoTime() > deadline) {
                fail("topic " + topic + " created but not listed within " + WAIT.toSeconds() + " s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    /** Waits for an admin future, bounded by {@link #WAIT}; failures come out unwrapped. */
    static <T> T await(KafkaFuture<T> future) {
        try {
            return future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("admin call failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("admin call did not finish within " + WAIT.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** How an admin future failed (unwrapped), failing the test if it succeeded or hung. */
    static Throwable failure(KafkaFuture<?> future) {
        try {
            Object value = future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            return fail("expected a failure, got success: " + value);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            return fail("admin call did not finish within " + WAIT.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }

    /** Polls until {@code count} records arrived (more is a failure), bounded by {@link #WAIT}. */
    static List<ConsumerRecord<String, String>> poll(KafkaConsumer<String, String> consumer, int count) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (records.size() < count && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        assertEquals(count, records.size(), "records polled within " + WAIT.toSeconds() + " s");
        return records;
    }

    /**
     * Every record of {@code topic}, in partition then offset order, read from the beginning of
     * every partition; checks first that the end offsets add up to {@code expected}, so nothing
     * extra hides past what was read.
     */
    static List<ConsumerRecord<String, String>> readAll(Broker broker, String topic, int expected) {
        try (KafkaConsumer<String, String> consumer = consumer(broker, Map.of())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, WAIT).stream()
                    .map(info -> new TopicPartition(topic, info.partition()))
                    .toList();
            long total = consumer.endOffsets(partitions, WAIT).values().stream()
                    .mapToLong(Long::longValue).sum();
            assertEquals(expected, total, "sum of end offsets of " + topic);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<String, String>> records = new ArrayList<>(poll(consumer, expected));
            records.sort((a, b) -> a.partition() != b.partition()
                    ? Integer.compare(a.partition(), b.partition())
                    : Long.compare(a.offset(), b.offset()));
            return records;
        }
    }

    /** Headers as comparable text: key=value, a null value as {@code <null>}. */
    static List<String> headers(Iterable<Header> headers) {
        List<String> out = new ArrayList<>();
        for (Header header : headers) {
            out.add(header.key() + "=" + (header.value() == null ? "<null>" : new String(header.value())));
        }
        return out;
    }

    static List<TopicPartition> partitions(String topic, int count) {
        List<TopicPartition> out = new ArrayList<>();
        for (int partition = 0; partition < count; partition++) {
            out.add(new TopicPartition(topic, partition));
        }
        return out;
    }
}
