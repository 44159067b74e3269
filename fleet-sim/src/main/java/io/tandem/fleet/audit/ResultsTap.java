package io.tandem.fleet.audit;

import io.tandem.fleet.scenario.GroundTruth;
import io.tandem.proto.Codecs;
import io.tandem.proto.PayloadException;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.InferenceResult;
import io.tandem.proto.v1.ResultBatch;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the devices' results from {@code tandem.results} as they arrive (no consumer group, from the
 * beginning) and scores each answer against the scenario's ground truth by the frame id it carries:
 * accuracy per round, group and model version. The devices never learn the truth.
 */
public final class ResultsTap implements AutoCloseable {

    /** Answers of one round in one group by one model version. */
    public static final class Counts {
        private long frames;
        private long correct;

        /** Frames answered. */
        public synchronized long frames() {
            return frames;
        }

        /** Frames answered right. */
        public synchronized long correct() {
            return correct;
        }

        /** Share answered right; NaN when none. */
        public synchronized double accuracy() {
            return frames == 0 ? Double.NaN : correct / (double) frames;
        }

        synchronized void add(boolean right) {
            frames++;
            correct += right ? 1 : 0;
        }
    }

    private final GroundTruth truth;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final Map<String, Counts> counts = new ConcurrentHashMap<>();
    private final Map<Integer, Counts> perRound = new ConcurrentHashMap<>();
    private volatile boolean running = true;
    private volatile long unknownFrames;

    /** Starts reading. */
    public ResultsTap(String bootstrap, GroundTruth truth) {
        this.truth = truth;
        this.consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.KAFKA_RESULTS).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread = new Thread(this::poll, "results-tap");
        thread.setDaemon(true);
        thread.start();
    }

    private void poll() {
        while (running) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                ResultBatch batch;
                try {
                    batch = Codecs.RESULT_BATCH.decode(r.value());
                } catch (PayloadException e) {
                    continue;
                }
                for (InferenceResult x : batch.getResultsList()) {
                    var shown = truth.frame(x.getSourceFrame());
                    if (shown.isEmpty()) {
                        unknownFrames++;
                        continue;
                    }
                    boolean right = shown.get().label() == x.getPredictedClass();
                    counts.computeIfAbsent(key(shown.get().round(), shown.get().group(), batch.getModelVersion()),
                            k -> new Counts()).add(right);
                    perRound.computeIfAbsent(shown.get().round(), k -> new Counts()).add(right);
                }
            }
        }
        consumer.close(Duration.ofSeconds(5));
    }

    private static String key(int round, String group, String version) {
        return round + "/" + group + "/" + version;
    }

    /** Answers scored for a round, all groups and versions. */
    public long answered(int round) {
        Counts c = perRound.get(round);
        return c == null ? 0 : c.frames();
    }

    /** Accuracy of a group in a round over every version that answered; NaN when none. */
    public double accuracy(int round, String group) {
        long frames = 0;
        long correct = 0;
        for (Map.Entry<String, Counts> e : counts.entrySet()) {
            if (e.getKey().startsWith(round + "/" + group + "/")) {
                frames += e.getValue().frames();
                correct += e.getValue().correct();
            }
        }
        return frames == 0 ? Double.NaN : correct / (double) frames;
    }

    /** Frames per model version that answered a group in a round. */
    public Map<String, Long> versions(int round, String group) {
        Map<String, Long> out = new TreeMap<>();
        String prefix = round + "/" + group + "/";
        counts.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v.frames());
            }
        });
        return out;
    }

    /** Results whose frame the scenario never showed (must stay 0). */
    public long unknownFrames() {
        return unknownFrames;
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
