package dev.weir.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One {@code weir broker} process (target/release/weir, or {@code WEIR_BIN}) on a free loopback
 * port with a fresh log directory. {@link #close()} always stops it: SIGTERM, then SIGKILL.
 */
public final class WeirBroker implements Broker {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

    private final Path dir;
    private final Path log;
    private final int port;
    private final Process process;

    private WeirBroker(Path dir, int port, Process process) {
        this.dir = dir;
        this.log = dir.resolve("broker.log");
        this.port = port;
        this.process = process;
    }

    public static Path binary() {
        String configured = System.getenv("WEIR_BIN");
        Path binary = configured != null
                ? Path.of(configured)
                : Brokers.repo().resolve("target/release/weir");
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException(binary + " not found: build it with `cargo build "
                    + "--release` (scripts/test.sh does), or point WEIR_BIN at a weir binary");
        }
        return binary;
    }

    /** A single-node broker with default settings. */
    public static WeirBroker start() {
        return start(Map.of());
    }

    /** A single-node broker with extra {@code --override key=value} settings. */
    public static WeirBroker start(Map<String, String> overrides) {
        try {
            Path dir = Brokers.removeAtExit(Files.createTempDirectory("weir-java-"));
            return startIn(dir, Brokers.freePort(), overrides);
        } catch (IOException e) {
            throw new IllegalStateException("could not create a directory for weir broker", e);
        }
    }

    /**
     * A broker in {@code dir} (its data under {@code dir/data}, kept across restarts) serving
     * clients on {@code port}; {@code overrides} win over the single-node defaults (a cluster
     * node names its listeners and voters).
     */
    public static WeirBroker startIn(Path dir, int port, Map<String, String> overrides) {
        try {
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("node.id", "1");
            settings.put("listeners", "PLAINTEXT://127.0.0.1:" + port);
            settings.put("log.dirs", dir.resolve("data").toString());
            // At least two runtime workers, whatever the machine: requests run in parallel.
            settings.put("num.io.threads", "2");
            settings.putAll(overrides);
            List<String> command = new ArrayList<>(List.of(binary().toString(), "broker"));
            settings.forEach((key, value) -> command.addAll(List.of("--override", key + "=" + value)));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("broker.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            builder.environment().putIfAbsent("RUST_LOG", "info");
            WeirBroker broker = new WeirBroker(dir, port, builder.start());
            if (!Brokers.awaitPort(broker.process, port, READY_TIMEOUT)) {
                String tail = broker.logTail();
                broker.close();
                throw new IllegalStateException("weir broker did not accept connections on port "
                        + port + " within " + READY_TIMEOUT.toSeconds() + " s:\n" + tail);
            }
            return broker;
        } catch (IOException e) {
            throw new IllegalStateException("could not start weir broker", e);
        }
    }

    @Override
    public String bootstrap() {
        return "127.0.0.1:" + port;
    }

    @Override
    public String kind() {
        return "weir";
    }

    public int port() {
        return port;
    }

    /** The broker's {@code log.dirs}. */
    public Path dataDir() {
        return dir.resolve("data");
    }

    @Override
    public String logTail() {
        return Brokers.tail(log, 60);
    }

    /** SIGTERM without waiting: {@link #close()} then waits (a cluster stops its nodes at once). */
    public void terminate() {
        process.destroy();
    }

    /** SIGKILL: a crash, no chance to flush or checkpoint. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy(); // SIGTERM: a clean shutdown
            try {
                if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    throw new IllegalStateException("weir broker ignored SIGTERM for "
                            + STOP_TIMEOUT.toSeconds() + " s and was killed:\n" + logTail());
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
