package dev.weir.harness;

/** A running broker under test, Weir or the reference Kafka; closing it stops it. */
public interface Broker extends AutoCloseable {
    /** {@code host:port[,host:port...]} for {@code bootstrap.servers}. */
    String bootstrap();

    /** "weir" or "kafka": names the broker in assertion messages. */
    String kind();

    /** The last lines of the broker's log, for failure messages. */
    String logTail();

    @Override
    void close();
}
