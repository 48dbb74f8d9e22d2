package dev.weir.differential;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * What one client call did: the value it returned, or the class of the exception it threw with
 * that exception's message. Two outcomes are equal when their values or exception classes are:
 * the message is carried (and printed) but not compared, because Kafka's wording is not part of
 * its contract and differs between brokers; {@link BrokerPair} reports message differences.
 */
public record Outcome(String value, String error, String message) {
    /** A call that may throw. */
    @FunctionalInterface
    public interface Call {
        Object call() throws Exception;
    }

    public static Outcome ok(Object value) {
        return new Outcome(String.valueOf(value), null, null);
    }

    public static Outcome failed(Throwable thrown) {
        Throwable cause = unwrap(thrown);
        return new Outcome(null, cause.getClass().getSimpleName(), cause.getMessage());
    }

    /** Runs {@code call}: its value ("null" for a void call), or what it threw. */
    public static Outcome of(Call call) {
        try {
            return ok(call.call());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            return failed(e);
        }
    }

    /** The exception a future or a blocking call really threw, not its wrapper. */
    static Throwable unwrap(Throwable thrown) {
        Throwable cause = thrown;
        while ((cause instanceof ExecutionException || cause instanceof CompletionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    public boolean isError() {
        return error != null;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Outcome that
                && java.util.Objects.equals(value, that.value)
                && java.util.Objects.equals(error, that.error);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(value, error);
    }

    @Override
    public String toString() {
        return error == null ? "ok(" + value + ")" : error + "(\"" + message + "\")";
    }
}
