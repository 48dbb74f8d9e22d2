package dev.weir.tools;

import static dev.weir.tools.ToolSupport.createTopic;
import static dev.weir.tools.ToolSupport.producer;
import static dev.weir.tools.ToolSupport.raw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.harness.Broker;
import dev.weir.harness.KafkaRef;
import dev.weir.harness.Tools;
import dev.weir.harness.WeirBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The on-disk format, checked across implementations: Weir claims Kafka's segment layout
 * (.log record batches, .index offset-to-position and .timeindex timestamp-to-offset entries),
 * so Kafka's own kafka-dump-log must read a stopped Weir broker's files without an error or an
 * index mismatch and print exactly the records produced, and `weir dump-log` must read the
 * files of a stopped Kafka broker and print what kafka-dump-log prints for them.
 *
 * <p>Both brokers get the same records, produced before the tests run and followed by a clean
 * stop: four batches (none, gzip, lz4, zstd) of three records with keys (one null) and headers,
 * on a topic with index.interval.bytes=1 so that every batch after the first is indexed.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DumpLogTest {
    private static final String TOPIC = "dumped";
    private static final List<String> CODECS = List.of("none", "gzip", "lz4", "zstd");
    private static final int PER_BATCH = 3;

    /** Each batch's last offset: what Kafka's indexes point at. */
    private static final List<Long> LAST_OFFSETS = List.of(2L, 5L, 8L, 11L);

    /** "baseOffset: 0 lastOffset: 2 count: 3 ... compresscodec: gzip crc: 1 isvalid: true". */
    private static final Pattern BATCH = Pattern.compile("baseOffset: (\\d+) lastOffset: (\\d+) "
            + "count: (\\d+) .* compresscodec: (\\w+) crc: \\d+ isvalid: (\\w+)");
    /**
     * "| offset: 4 CreateTime: ... headerKeys: [trace] key: key-4 payload: value-4"; a null key
     * prints no "key:" at all.
     */
    private static final Pattern RECORD = Pattern.compile("\\| offset: (\\d+) CreateTime: \\d+ "
            + "keySize: -?\\d+ valueSize: \\d+ sequence: -?\\d+ headerKeys: \\[(.*)\\] "
            + "(?:key: (.*) )?payload: (.*)");
    private static final Pattern INDEX_ENTRY = Pattern.compile("offset: (\\d+) position: (\\d+)");
    private static final Pattern TIME_ENTRY = Pattern.compile("timestamp: (\\d+) offset: (\\d+)");

    private static Path weirSegment;
    private static Path kafkaSegment;

    @BeforeAll
    static void produceToBothAndStop() throws Exception {
        try (WeirBroker weir = WeirBroker.start()) {
            produce(weir);
            weirSegment = weir.dataDir().resolve(TOPIC + "-0").resolve(segmentName("log"));
        } // closed: SIGTERM, a clean shutdown that flushes and trims the indexes
        try (KafkaRef kafka = KafkaRef.start()) {
            produce(kafka);
            kafkaSegment = kafka.dataDir(1).resolve(TOPIC + "-0").resolve(segmentName("log"));
        }
        assertTrue(Files.size(weirSegment) > 0, weirSegment + " is empty");
        assertTrue(Files.size(kafkaSegment) > 0, kafkaSegment + " is empty");
    }

    private static String segmentName(String extension) {
        return "00000000000000000000." + extension;
    }

    private static void produce(Broker broker) throws Exception {
        createTopic(broker, TOPIC, 1, Map.of("index.interval.bytes", "1"));
        int offset = 0;
        for (String codec : CODECS) {
            try (KafkaProducer<String, String> producer = producer(broker,
                    Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec,
                            ProducerConfig.LINGER_MS_CONFIG, 60_000))) {
                // Sent together and flushed once: one batch per codec.
                for (int i = 0; i < PER_BATCH; i++, offset++) {
                    producer.send(new ProducerRecord<>(TOPIC, 0, null, key(offset),
                            "value-" + offset, headers(offset)));
                }
                producer.flush();
            }
        }
    }

    /** Offset 1 has no key; the others "key-N". */
    private static String key(int offset) {
        return offset == 1 ? null : "key-" + offset;
    }

    /** Every record has a "trace" header; offset 4 has two more. */
    private static RecordHeaders headers(int offset) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("trace", ("t" + offset).getBytes(StandardCharsets.UTF_8));
        if (offset == 4) {
            headers.add("a", new byte[] {1});
            headers.add("b", null);
        }
        return headers;
    }

    /** Each record as the tests render it: offset, header keys, key ("-" for null), payload. */
    private static List<String> expectedRecords() {
        List<String> records = new ArrayList<>();
        for (int offset = 0; offset < CODECS.size() * PER_BATCH; offset++) {
            String headerKeys = offset == 4 ? "trace,a,b" : "trace";
            String key = key(offset) == null ? "-" : key(offset);
            records.add(offset + " [" + headerKeys + "] " + key + " value-" + offset);
        }
        return records;
    }

    private static List<String> records(Tools.Result dump) {
        return dump.lines().stream().map(RECORD::matcher).filter(Matcher::matches)
                .map(m -> m.group(1) + " [" + m.group(2) + "] "
                        + (m.group(3) == null ? "-" : m.group(3)) + " " + m.group(4))
                .toList();
    }

    private static Path sibling(Path segment, String extension) {
        return segment.resolveSibling(segmentName(extension));
    }

    /** Kafka's tool and `weir dump-log --files <f>`; the tools read an index's .log themselves. */
    private static Tools.Result kafkaDumpLog(Path file, String... flags) {
        List<String> args = new ArrayList<>(List.of("--files", file.toString()));
        args.addAll(List.of(flags));
        return raw(null, "kafka-dump-log", args.toArray(String[]::new)).assertOk();
    }

    /**
     * Kafka's tool reports problems in prose, some on stderr only ("Found N invalid bytes",
     * "Index offset mismatches", "The following indexed offsets are not found", "Found out of
     * order timestamp"); none may appear.
     */
    private static void assertNoComplaint(Tools.Result result) {
        String all = (result.stdout() + result.stderr()).toLowerCase();
        for (String word : List.of("invalid", "mismatch", "not found", "out of order",
                "exception", "corrupt", "error")) {
            assertFalse(all.contains(word), result.describe("mentions '" + word + "'"));
        }
    }

    private static List<Long> entryOffsets(Tools.Result dump, Pattern entry, int group) {
        return dump.lines().stream().map(entry::matcher).filter(Matcher::matches)
                .map(m -> Long.valueOf(m.group(group))).toList();
    }

    @Test
    void kafkaDumpLogReadsWeirsBatchesAndRecords() {
        Tools.Result dump = kafkaDumpLog(weirSegment, "--deep-iteration", "--print-data-log");
        assertNoComplaint(dump);
        List<String> batches = dump.lines().stream().map(BATCH::matcher).filter(Matcher::matches)
                .map(m -> m.group(1) + "-" + m.group(2) + " x" + m.group(3) + " " + m.group(4)
                        + " " + m.group(5))
                .toList();
        assertEquals(List.of("0-2 x3 none true", "3-5 x3 gzip true", "6-8 x3 lz4 true",
                "9-11 x3 zstd true"), batches, dump.describe("batches"));
        assertEquals(expectedRecords(), records(dump), dump.describe("records"));
    }

    @Test
    void kafkaDumpLogAcceptsWeirsOffsetIndex() {
        Path index = sibling(weirSegment, "index");
        // Printing the entries, Kafka's tool also checks each against the batch at its position.
        Tools.Result dump = kafkaDumpLog(index);
        assertNoComplaint(dump);
        // index.interval.bytes=1: every batch but the first, by its last offset (as Kafka does).
        assertEquals(LAST_OFFSETS.subList(1, 4), entryOffsets(dump, INDEX_ENTRY, 1),
                dump.describe("index entries"));

        Tools.Result verified = kafkaDumpLog(index, "--verify-index-only");
        assertNoComplaint(verified);
        assertEquals(List.of("Dumping " + index), verified.lines());
    }

    /**
     * Time index entries carry the last offset of the batch holding the maximum timestamp, as
     * Kafka's own files do ("timestamp: T offset: 5", 8, 11); with base offsets (Weir before
     * #12) kafka-dump-log reported "The following indexed offsets are not found in ...".
     */
    @Test
    void kafkaDumpLogAcceptsWeirsTimeIndex() {
        Path timeIndex = sibling(weirSegment, "timeindex");
        Tools.Result dump = kafkaDumpLog(timeIndex);
        assertNoComplaint(dump);
        List<Long> offsets = entryOffsets(dump, TIME_ENTRY, 2);
        assertFalse(offsets.isEmpty(), dump.describe("no time index entries"));
        assertTrue(LAST_OFFSETS.containsAll(offsets), dump.describe("not batches' last offsets"));

        Tools.Result verified = kafkaDumpLog(timeIndex, "--verify-index-only");
        assertNoComplaint(verified);
        assertEquals(List.of("Dumping " + timeIndex), verified.lines());
    }

    @Test
    void weirDumpLogPrintsKafkasSegmentAsKafkaDumpLogDoes() {
        Tools.Result kafka = kafkaDumpLog(kafkaSegment, "--deep-iteration", "--print-data-log");
        Tools.Result weir = Tools.weir("dump-log", "--files", kafkaSegment.toString(),
                "--deep-iteration", "--print-data-log").assertOk();
        assertNoComplaint(weir);
        assertEquals(expectedRecords(), records(weir), weir.describe("records"));
        assertEquals(kafka.lines(), weir.lines(), "kafka-dump-log and weir dump-log differ:\n"
                + kafka.describe("") + "\n" + weir.describe(""));
    }

    /**
     * `weir dump-log` prints Kafka's .index and .timeindex entries line for line as
     * kafka-dump-log does ("offset: O position: P", "timestamp: T offset: O"), not as record
     * batches ("Found N invalid bytes at the end of the segment").
     */
    @Test
    void weirDumpLogPrintsKafkasIndexesAsKafkaDumpLogDoes() {
        for (String extension : List.of("index", "timeindex")) {
            Path file = sibling(kafkaSegment, extension);
            Tools.Result kafka = kafkaDumpLog(file);
            assertEquals(LAST_OFFSETS.subList(1, 4), entryOffsets(kafka,
                    extension.equals("index") ? INDEX_ENTRY : TIME_ENTRY,
                    extension.equals("index") ? 1 : 2), kafka.describe("(the reference)"));
            Tools.Result weir = Tools.weir("dump-log", "--files", file.toString()).assertOk();
            assertNoComplaint(weir);
            assertEquals(kafka.lines(), weir.lines(), "kafka-dump-log and weir dump-log differ:\n"
                    + kafka.describe("") + "\n" + weir.describe(""));
        }
    }
}
