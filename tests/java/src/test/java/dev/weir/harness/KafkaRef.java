package dev.weir.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The reference Kafka broker (bench/kafka-ref.sh): a real Apache Kafka in KRaft combined mode
 * on loopback, for differential tests that send it what they send Weir.
 */
public final class KafkaRef implements Broker {
    private static final long START_TIMEOUT_S = 120;

    private final Path dir;
    private final String bootstrap;

    private KafkaRef(Path dir, String bootstrap) {
        this.dir = dir;
        this.bootstrap = bootstrap;
    }

    /** One node with a small heap (tests share the machine with Weir and the clients). */
    public static KafkaRef start() {
        return start(1);
    }

    public static KafkaRef start(int nodes) {
        try {
            Path dir = Brokers.removeAtExit(Files.createTempDirectory("kafka-ref-"));
            int port = Brokers.freePorts(2 * nodes);
            ProcessBuilder builder = new ProcessBuilder(List.of(
                    script().toString(), "start", "--dir", dir.toString(),
                    "--port", Integer.toString(port), "--nodes", Integer.toString(nodes)))
                    .redirectError(ProcessBuilder.Redirect.INHERIT);
            builder.environment().putIfAbsent("KAFKA_HEAP_OPTS", "-Xmx512m -Xms256m");
            Process process = builder.start();
            if (!process.waitFor(START_TIMEOUT_S, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                stop(dir);
                throw new IllegalStateException("bench/kafka-ref.sh start took over "
                        + START_TIMEOUT_S + " s");
            }
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (process.exitValue() != 0 || out.isEmpty()) {
                stop(dir);
                throw new IllegalStateException("bench/kafka-ref.sh start failed (exit "
                        + process.exitValue() + "); see its stderr above");
            }
            return new KafkaRef(dir, out);
        } catch (IOException e) {
            throw new IllegalStateException("could not run bench/kafka-ref.sh", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static Path script() {
        return Brokers.repo().resolve("bench/kafka-ref.sh");
    }

    private static void stop(Path dir) {
        try {
            Process stop = new ProcessBuilder(script().toString(), "stop", "--dir", dir.toString())
                    .inheritIO().start();
            stop.waitFor(60, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new IllegalStateException("could not stop the reference Kafka in " + dir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String bootstrap() {
        return bootstrap;
    }

    @Override
    public String kind() {
        return "kafka";
    }

    /** The log directory of node {@code n} (1-based). */
    public Path dataDir(int n) {
        return dir.resolve("node-" + n).resolve("data");
    }

    @Override
    public String logTail() {
        return Brokers.tail(dir.resolve("node-1").resolve("server.log"), 60);
    }

    @Override
    public void close() {
        stop(dir);
    }
}
