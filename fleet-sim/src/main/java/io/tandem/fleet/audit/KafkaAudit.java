package io.tandem.fleet.audit;

import io.tandem.proto.Codecs;
import io.tandem.proto.PayloadException;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.GateReason;
import io.tandem.proto.v1.HardExample;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a Kafka topic from its beginning to its current end, without a consumer group, to count what is there. */
public final class KafkaAudit {

    private KafkaAudit() {
    }

    /**
     * Distinct hard examples, by (device, sequence), on {@code tandem.samples}; records that are not valid
     * hard examples (injected bad input) are not samples and are left out.
     */
    public static long distinctSamples(String bootstrap, Duration timeout) {
        Set<String> keys = new HashSet<>();
        samples(bootstrap, timeout, e -> keys.add(e.getDeviceId() + "#" + e.getSequence()));
        return keys.size();
    }

    /**
     * The source frame ids of the hard examples on {@code tandem.samples}: every one, and those devices sent as random
     * audits.
     */
    public record Uploads(Set<Long> frames, Set<Long> audited) {
    }

    /** What the devices uploaded, read in one pass over {@code tandem.samples}. */
    public static Uploads uploads(String bootstrap, Duration timeout) {
        Set<Long> frames = new HashSet<>();
        Set<Long> audited = new HashSet<>();
        samples(bootstrap, timeout, e -> {
            frames.add(e.getSourceFrame());
            if (e.getGateReason() == GateReason.RANDOM_AUDIT) {
                audited.add(e.getSourceFrame());
            }
        });
        return new Uploads(frames, audited);
    }

    private static void samples(String bootstrap, Duration timeout, java.util.function.Consumer<HardExample> sink) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.KAFKA_SAMPLES).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    try {
                        sink.accept(Codecs.HARD_EXAMPLE.decode(r.value()));
                    } catch (PayloadException e) {
                        // Not a sample: the bad-input check counts these on the cloud's side.
                    }
                }
            }
        }
    }
}
