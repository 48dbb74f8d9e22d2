package dev.weir.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Kafka's own command-line tools (tests/java/kafka-tool, one JVM per call, as an operator
 * runs bin/kafka-*.sh) and the weir CLI, bounded in time, capturing exit code and output.
 */
public final class Tools {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(90);

    private Tools() {}

    /** What a finished command printed and returned. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public Result assertOk() {
            if (exitCode != 0) {
                throw new AssertionError(describe("exited with " + exitCode));
            }
            return this;
        }

        public String describe(String what) {
            return String.join(" ", command) + " " + what + "\n--- stdout ---\n" + stdout
                    + "\n--- stderr ---\n" + stderr;
        }

        public List<String> lines() {
            return stdout.lines().toList();
        }
    }

    /** A Kafka tool by its bin/ name, e.g. {@code kafka("kafka-topics", "--list", ...)}. */
    public static Result kafka(String tool, String... args) {
        return kafkaWithInput(null, tool, args);
    }

    /** A Kafka tool with {@code input} on its standard input (console producer). */
    public static Result kafkaWithInput(String input, String tool, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Brokers.repo().resolve("tests/java/kafka-tool").toString());
        command.add(tool);
        command.addAll(List.of(args));
        return run(command, input, DEFAULT_TIMEOUT);
    }

    /** The weir CLI, e.g. {@code weir("dump-log", "--files", path)}. */
    public static Result weir(String... args) {
        List<String> command = new ArrayList<>();
        command.add(WeirBroker.binary().toString());
        command.addAll(List.of(args));
        return run(command, null, DEFAULT_TIMEOUT);
    }

    public static Result run(List<String> command, String input, Duration timeout) {
        try {
            Path out = Files.createTempFile("tool-out-", ".txt");
            Path err = Files.createTempFile("tool-err-", ".txt");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            if (input == null) {
                builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            }
            builder.environment().putIfAbsent("KAFKA_HEAP_OPTS", "-Xmx256m");
            Process process = builder.start();
            if (input != null) {
                try (var stdin = process.getOutputStream()) {
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(String.join(" ", command) + " did not finish within "
                        + timeout.toSeconds() + " s\n--- stdout ---\n" + Files.readString(out)
                        + "\n--- stderr ---\n" + Files.readString(err));
            }
            Result result = new Result(command, process.exitValue(), Files.readString(out),
                    Files.readString(err));
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            return result;
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
