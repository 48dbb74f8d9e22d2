package dev.weir.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weir.harness.WeirBrokerExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Java producer with nothing but its defaults, as most applications run it: idempotence on
 * and acks=all since Kafka 3.0, which needs InitProducerId (key 22). Weir does not serve that
 * API yet (issue #17, "Exactly once"), so today the producer must fail promptly and clearly,
 * naming the missing API, rather than hang or write anything. docs/KNOWN-GAPS.md lists this.
 *
 * <p>When #17 lands this test fails; replace it with one asserting that a default producer's
 * sends succeed with dense offsets and read back exactly once.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DefaultProducerTest {
    /** "Prompt": well below the client's own 120 s delivery timeout, so no retry loop hides it. */
    private static final Duration PROMPT = Duration.ofSeconds(30);

    @RegisterExtension
    static final WeirBrokerExtension weir = new WeirBrokerExtension(Map.of("num.partitions", "1"));

    /** The defaults, except where to connect and how to serialize. */
    private static KafkaProducer<String, String> defaultProducer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, weir.broker().bootstrap());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(props);
    }

    /**
     * How one send failed: either send() throws (the producer already knows it is in a fatal
     * state) or its future fails (it learns that later). Which one depends on whether the
     * InitProducerId attempt or the metadata answer comes first, so both are accepted.
     */
    private static Throwable sendFailure(KafkaProducer<String, String> producer, String topic,
            CompletableFuture<Exception> callback) {
        Future<RecordMetadata> future;
        try {
            future = producer.send(new ProducerRecord<>(topic, "k", "v"), (m, e) -> callback.complete(e));
        } catch (KafkaException e) {
            return e;
        }
        try {
            RecordMetadata m = future.get(PROMPT.toSeconds(), TimeUnit.SECONDS);
            return fail("a default producer's send succeeded (" + m + "): InitProducerId works, "
                    + "so issue #17 has landed; flip this test to assert success");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            return fail("a default producer's send neither failed nor succeeded within "
                    + PROMPT.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }

    /** The UnsupportedVersionException in {@code failure}'s cause chain, or a test failure. */
    private static UnsupportedVersionException unsupportedVersion(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof UnsupportedVersionException unsupported) {
                return unsupported;
            }
        }
        throw new AssertionError("expected an UnsupportedVersionException in the cause chain", failure);
    }

    @Test
    void defaultProducerFailsFastUntilInitProducerIdLands() throws Exception {
        String topic = "default-producer";
        try (Admin admin = Clients.admin(weir.broker())) {
            Clients.createTopic(admin, topic, 1);
        }
        long start = System.nanoTime();
        KafkaProducer<String, String> producer = defaultProducer();
        try {
            CompletableFuture<Exception> firstCallback = new CompletableFuture<>();
            Throwable first = sendFailure(producer, topic, firstCallback);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.compareTo(PROMPT) < 0, "the failure took " + took);
            // Today send() throws KafkaException("Cannot execute transactional method because
            // we are in an error state") caused by the UnsupportedVersionException.
            assertEquals("The node does not support INIT_PRODUCER_ID",
                    unsupportedVersion(first).getMessage(), "what the client reports");
            // The callback tells asynchronous users the same thing.
            Exception callbackError = firstCallback.get(PROMPT.toSeconds(), TimeUnit.SECONDS);
            assertNotNull(callbackError, "the callback reports a failure");
            assertEquals("The node does not support INIT_PRODUCER_ID",
                    unsupportedVersion(callbackError).getMessage(), "what the callback reports");

            // The error is fatal: the producer stays unusable, failing every later send at once.
            long again = System.nanoTime();
            Throwable second = sendFailure(producer, topic, new CompletableFuture<>());
            assertEquals("The node does not support INIT_PRODUCER_ID",
                    unsupportedVersion(second).getMessage(), "a later send");
            assertTrue(System.nanoTime() - again < Duration.ofSeconds(5).toNanos(),
                    "a later send fails at once");
        } finally {
            long closing = System.nanoTime();
            producer.close(Duration.ofSeconds(20));
            assertTrue(System.nanoTime() - closing < Duration.ofSeconds(25).toNanos(), "close() returns");
        }
        // Nothing reached the log.
        try (KafkaConsumer<String, String> consumer = Clients.consumer(weir.broker(), Map.of())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            assertEquals(Map.of(partition, 0L), consumer.endOffsets(List.of(partition), Clients.WAIT),
                    "end offset after the failed sends");
        }
    }
}
