package dev.weir.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Three {@code weir broker} processes, each a broker and a voter of the metadata quorum, on
 * loopback. A node can be killed (SIGKILL) and started again on the same data and ports.
 * {@link #close()} stops every node still running.
 */
public final class WeirCluster implements Broker {
    private final Map<Integer, Path> dirs = new TreeMap<>();
    private final Map<Integer, Integer> ports = new TreeMap<>();
    private final Map<Integer, WeirBroker> nodes = new TreeMap<>();
    private final Map<String, String> settings;

    private WeirCluster(Map<String, String> settings) {
        this.settings = settings;
    }

    /** Starts nodes 1, 2 and 3 with {@code overrides} on top of the cluster settings. */
    public static WeirCluster start(Map<String, String> overrides) {
        int first = Brokers.freePorts(6);
        String voters = "1@127.0.0.1:" + (first + 1) + ",2@127.0.0.1:" + (first + 3)
                + ",3@127.0.0.1:" + (first + 5);
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("process.roles", "broker,controller");
        settings.put("controller.listener.names", "CONTROLLER");
        settings.put("controller.quorum.voters", voters);
        settings.putAll(overrides);
        WeirCluster cluster = new WeirCluster(settings);
        try {
            for (int node = 1; node <= 3; node++) {
                cluster.dirs.put(node, Brokers.removeAtExit(Files.createTempDirectory("weir-node-")));
                cluster.ports.put(node, first + 2 * (node - 1));
            }
            for (int node = 1; node <= 3; node++) {
                cluster.launch(node);
            }
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw new IllegalStateException("could not start a three-node weir cluster", e);
        }
        return cluster;
    }

    /** Starts node {@code node} (again) on its data directory and ports. */
    public void launch(int node) {
        int port = ports.get(node);
        Map<String, String> own = new LinkedHashMap<>(settings);
        own.put("node.id", Integer.toString(node));
        own.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + (port + 1));
        own.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        nodes.put(node, WeirBroker.startIn(dirs.get(node), port, own));
    }

    /** SIGKILLs node {@code node}. */
    public void kill(int node) {
        WeirBroker broker = nodes.remove(node);
        if (broker != null) {
            broker.kill();
        }
    }

    /** Node {@code node}'s client address. */
    public String bootstrap(int node) {
        return "127.0.0.1:" + ports.get(node);
    }

    @Override
    public String bootstrap() {
        return ports.keySet().stream().map(this::bootstrap).collect(Collectors.joining(","));
    }

    @Override
    public String kind() {
        return "weir";
    }

    @Override
    public String logTail() {
        return nodes.entrySet().stream()
                .map(e -> "--- node " + e.getKey() + " ---\n" + e.getValue().logTail())
                .collect(Collectors.joining("\n"));
    }

    /**
     * Stops every node at once (SIGTERM to all, then waiting): one at a time, the last nodes
     * would wait for a quorum their stopped peers no longer make.
     */
    @Override
    public void close() {
        nodes.values().forEach(WeirBroker::terminate);
        RuntimeException failure = null;
        for (WeirBroker broker : nodes.values()) {
            try {
                broker.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        nodes.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
