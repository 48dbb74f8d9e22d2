package dev.weir.harness;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What the broker fixtures share: where the repository is, free loopback ports, waiting for a
 * port to accept, and reading the tail of a log when something goes wrong.
 */
public final class Brokers {
    private Brokers() {}

    /** The repository root: surefire passes it as {@code weir.repo}; else two levels up. */
    public static Path repo() {
        String configured = System.getProperty("weir.repo");
        Path root = configured != null ? Path.of(configured) : Path.of("../..");
        return root.toAbsolutePath().normalize();
    }

    /** A loopback port nobody listens on right now. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free loopback port", e);
        }
    }

    /** {@code count} consecutive loopback ports nobody listens on; returns the first. */
    public static int freePorts(int count) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int first = freePort();
            boolean all = first + count < 65536;
            for (int port = first + 1; all && port < first + count; port++) {
                all = bindable(port);
            }
            if (all) {
                return first;
            }
        }
        throw new IllegalStateException("no " + count + " consecutive free loopback ports");
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether something accepts connections on a loopback port. */
    public static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Waits until {@code port} accepts or {@code process} exits; false on either failure. */
    public static boolean awaitPort(Process process, int port, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                return false;
            }
            if (accepts(port)) {
                return true;
            }
            sleep(Duration.ofMillis(50));
        }
        return false;
    }

    public static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }

    private static final List<Path> TO_REMOVE = new java.util.concurrent.CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> TO_REMOVE.forEach(Brokers::removeTree)));
    }

    /**
     * Removes {@code dir} when the test JVM exits, not when its broker stops: tests read a
     * stopped broker's files (kafka-dump-log on its segments).
     */
    public static Path removeAtExit(Path dir) {
        TO_REMOVE.add(dir);
        return dir;
    }

    private static void removeTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // Best effort: a leftover temp dir is not worth failing a finished run.
        }
    }

    public static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
