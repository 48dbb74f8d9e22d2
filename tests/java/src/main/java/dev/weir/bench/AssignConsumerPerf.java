package dev.weir.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Consumer throughput with the Java client and {@code assign()}: every partition of a topic read
 * from the beginning until {@code --messages} records have arrived, then one summary line.
 * Kafka's own kafka-consumer-perf-test always subscribes in a consumer group, which Weir does
 * not serve yet (issue #16), so bench/compare.sh runs this against both brokers instead: the
 * same client, the same fetch settings, no group.
 *
 * <p>Usage: {@code AssignConsumerPerf BOOTSTRAP TOPIC MESSAGES [TIMEOUT_S]}. Prints
 * {@code records=N bytes=B seconds=S mb_per_s=M records_per_s=R} (MB = 2^20 bytes, as Kafka's
 * perf tools count).
 */
public final class AssignConsumerPerf {
    private AssignConsumerPerf() {}

    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: AssignConsumerPerf BOOTSTRAP TOPIC MESSAGES [TIMEOUT_S]");
            System.exit(2);
        }
        String topic = args[1];
        long wanted = Long.parseLong(args[2]);
        long timeoutNs = Duration.ofSeconds(args.length > 3 ? Long.parseLong(args[3]) : 300).toNanos();
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long records = 0;
            long bytes = 0;
            long start = System.nanoTime();
            while (records < wanted) {
                if (System.nanoTime() - start > timeoutNs) {
                    System.err.printf("timed out after %d of %d records%n", records, wanted);
                    System.exit(1);
                }
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<byte[], byte[]> record : batch) {
                    records++;
                    bytes += record.serializedValueSize() + Math.max(0, record.serializedKeySize());
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("records=%d bytes=%d seconds=%.3f mb_per_s=%.2f records_per_s=%.1f%n",
                    records, bytes, seconds, bytes / seconds / (1 << 20), records / seconds);
        }
    }
}
