package dev.weir.harness;

import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The client settings every test package starts from; each adds its own timeouts and
 * serializers (client tests wait generously, differential tests fail fast).
 */
public final class ClientProps {
    private ClientProps() {}

    /** An admin client's: the broker to bootstrap from, then {@code extra}. */
    public static Properties admin(Broker broker, Map<String, Object> extra) {
        Properties props = new Properties();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
        props.putAll(extra);
        return props;
    }

    /**
     * A producer's: idempotence off, because Weir does not serve InitProducerId yet (issue #17;
     * DefaultProducerTest asserts what the defaults do), then {@code extra}.
     */
    public static Properties producer(Broker broker, Map<String, Object> extra) {
        Properties props = admin(broker, Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false"));
        props.putAll(extra);
        return props;
    }

    /**
     * A consumer's: no group and no commits (Weir has no group coordinator yet, issue #16), so
     * it reads only what it is given with assign(), then {@code extra}.
     */
    public static Properties consumer(Broker broker, Map<String, Object> extra) {
        Properties props = admin(broker, Map.of(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"));
        props.putAll(extra);
        return props;
    }
}
