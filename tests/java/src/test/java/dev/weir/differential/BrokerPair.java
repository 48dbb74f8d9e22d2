package dev.weir.differential;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weir.harness.Broker;
import dev.weir.harness.KafkaRef;
import dev.weir.harness.WeirBroker;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The two brokers of one differential test class: a reference Apache Kafka and a Weir broker,
 * started together before the class and stopped after it (register it as a static
 * {@code @RegisterExtension} field). {@link #same} runs one client script against each and
 * asserts that the client observed the same thing; {@link #both} returns both observations for
 * a test that asserts a documented difference.
 *
 * <p>Weir gets the settings of the reference broker's server.properties that it knows
 * (bench/kafka-ref.sh), so that DescribeConfigs sources agree. For iterating on a test,
 * {@code -Ddifferential.kafka=HOST:PORT -Ddifferential.weir=HOST:PORT} use brokers that are
 * already running instead (fresh ones: tests create fixed topic names).
 */
public final class BrokerPair implements BeforeAllCallback, AfterAllCallback {
    /** Static settings the reference broker's generated server.properties has and Weir knows. */
    private static final Map<String, String> AS_KAFKA_REF = Map.of("num.partitions", "1");

    /** A client script: what it observes must not depend on which broker it talks to. */
    @FunctionalInterface
    public interface Script<T> {
        T run(Broker broker) throws Exception;
    }

    /** What the script observed on each broker. */
    public record Observed<T>(T kafka, T weir) {}

    private Broker kafka;
    private Broker weir;

    @Override
    public void beforeAll(ExtensionContext context) {
        String externalKafka = System.getProperty("differential.kafka");
        String externalWeir = System.getProperty("differential.weir");
        if (externalKafka != null && externalWeir != null) {
            kafka = new External("kafka", externalKafka);
            weir = new External("weir", externalWeir);
            return;
        }
        // Both at once: the reference broker takes seconds to start, Weir milliseconds.
        CompletableFuture<KafkaRef> startingKafka = CompletableFuture.supplyAsync(KafkaRef::start);
        try {
            weir = WeirBroker.start(new LinkedHashMap<>(AS_KAFKA_REF));
        } finally {
            kafka = startingKafka.join();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            if (weir != null) {
                weir.close();
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    public Broker kafka() {
        return kafka;
    }

    public Broker weir() {
        return weir;
    }

    /** Runs {@code script} on the reference Kafka, then on Weir, and prints nothing. */
    public <T> Observed<T> observe(String scenario, Script<T> script) {
        return new Observed<>(run(kafka, scenario, script), run(weir, scenario, script));
    }

    /** {@link #observe}, printing both observations (or the one, when they look the same). */
    public <T> Observed<T> both(String scenario, Script<T> script) {
        Observed<T> observed = observe(scenario, script);
        // Equal observations can still differ in what equality ignores (exception messages):
        // printed so the differences can be reviewed (target/surefire-reports/*-output.txt).
        if (!Objects.equals(observed.kafka, observed.weir)
                || !Objects.equals(String.valueOf(observed.kafka), String.valueOf(observed.weir))) {
            System.out.println("DIFFERENCE " + scenario + "\n  kafka: " + observed.kafka
                    + "\n  weir:  " + observed.weir);
        } else {
            System.out.println("SAME " + scenario + "\n  both:  " + observed.kafka);
        }
        return observed;
    }

    /** Asserts that the client observes the same on both brokers; returns the observation. */
    public <T> T same(String scenario, Script<T> script) {
        Observed<T> observed = both(scenario, script);
        assertEquals(observed.kafka, observed.weir, () -> scenario
                + ": Weir differs from Kafka\n  kafka: " + observed.kafka
                + "\n  weir:  " + observed.weir);
        return observed.weir;
    }

    private static <T> T run(Broker broker, String scenario, Script<T> script) {
        try {
            return script.run(broker);
        } catch (Exception e) {
            throw new AssertionError(scenario + " failed on " + broker.kind() + ": " + e
                    + "\n--- " + broker.kind() + " log ---\n" + broker.logTail(), e);
        }
    }

    /** A broker somebody else started. */
    private record External(String kind, String bootstrap) implements Broker {
        @Override
        public String logTail() {
            return "(external broker)";
        }

        @Override
        public void close() {}
    }
}
