package io.tandem.cloud.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * A consumer polled on its own thread that does not die. The handler processes each poll's records; the
 * loop commits the offsets after the handler returns, so a record is committed only once it is handled.
 * When the handler fails, the batch is retried from the last committed offset with a doubling backoff; after
 * {@link #ATTEMPTS} failures the batch is handled one record at a time, and a record that still fails
 * {@link #ATTEMPTS} times on its own (a poison record) goes to {@code tandem.dead-letters} with its error,
 * is counted, and is committed past, so
 * the records behind it are not held up for ever. Every throwable is caught; the loop stops only when
 * closed. {@link #health()} says when it last polled and how it fares.
 */
public final class ConsumerLoop implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ConsumerLoop.class);
    /** Failures of a batch before its records are tried one by one. */
    public static final int ATTEMPTS = 3;
    private static final Map<String, ConsumerLoop> LOOPS = new ConcurrentHashMap<>();

    private final String name;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Consumer<ConsumerRecords<String, byte[]>> handler;
    private final KafkaProducer<String, byte[]> deadLetters;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long lastPollMs = System.currentTimeMillis();
    private volatile String lastError = "";
    private volatile long assignedSinceMs;
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong handled = new AtomicLong();
    private int failedInARow;
    /** Offsets to resume from where they are behind the committed ones; each used at its first assignment. */
    private final Map<TopicPartition, Long> resumeAt = new ConcurrentHashMap<>();

    /**
     * Starts polling {@code topics}.
     *
     * @param deadLetters where poison records go; null logs and counts them only (they are still skipped)
     */
    public ConsumerLoop(String name, KafkaConsumer<String, byte[]> consumer, List<String> topics,
            Consumer<ConsumerRecords<String, byte[]>> handler, KafkaProducer<String, byte[]> deadLetters) {
        this(name, consumer, topics, handler, deadLetters, Map.of());
    }

    /**
     * Starts polling {@code topics}, first going back to {@code resumeAt} on each partition where the committed
     * offset is past it: for a store that lost records it had acknowledged (a file torn by a crash), so Kafka
     * delivers them again.
     */
    public ConsumerLoop(String name, KafkaConsumer<String, byte[]> consumer, List<String> topics,
            Consumer<ConsumerRecords<String, byte[]>> handler, KafkaProducer<String, byte[]> deadLetters,
            Map<TopicPartition, Long> resumeAt) {
        this.resumeAt.putAll(resumeAt);
        this.name = name;
        this.consumer = consumer;
        this.handler = handler;
        this.deadLetters = deadLetters;
        this.thread = new Thread(() -> run(topics), name);
        thread.setDaemon(true);
        LOOPS.put(name, this);
        thread.start();
    }

    private void run(List<String> topics) {
        consumer.subscribe(topics, new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                if (assignedSinceMs == 0 && !partitions.isEmpty()) {
                    assignedSinceMs = System.currentTimeMillis();
                }
                resume(partitions);
            }
        });
        while (running) {
            try {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
                lastPollMs = System.currentTimeMillis();
                if (records.isEmpty()) {
                    continue;
                }
                if (failedInARow >= ATTEMPTS) {
                    oneByOne(records);
                } else {
                    handler.accept(records);
                }
                consumer.commitSync();
                handled.addAndGet(records.count());
                failedInARow = 0;
            } catch (WakeupException e) {
                if (!running) {
                    break;
                }
            } catch (Throwable e) {
                failures.incrementAndGet();
                failedInARow++;
                lastError = e.getClass().getSimpleName() + ": " + e.getMessage();
                long backoff = Math.min(30_000, 500L << Math.min(6, failedInARow));
                LOG.errorf(e, "%s: handling failed (%d in a row), retrying from the last committed offset in %d ms",
                        name, failedInARow, backoff);
                pause(backoff);
                rewind();
            }
        }
        try {
            consumer.close(Duration.ofSeconds(5));
        } catch (Throwable e) {
            LOG.warnf("%s: closing the consumer: %s", name, e.getMessage());
        }
    }

    /** Handles a batch record by record; records that fail are dead-lettered and committed past. */
    private void oneByOne(ConsumerRecords<String, byte[]> records) {
        for (TopicPartition tp : records.partitions()) {
            for (ConsumerRecord<String, byte[]> r : records.records(tp)) {
                Throwable last = null;
                for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                    try {
                        handler.accept(new ConsumerRecords<>(Map.of(tp, List.of(r)), Map.of()));
                        last = null;
                        break;
                    } catch (Throwable e) {
                        last = e;
                        pause(200L << attempt);
                    }
                }
                if (last != null) {
                    deadLetter(r, last);
                }
                consumer.commitSync(Map.of(tp, new OffsetAndMetadata(r.offset() + 1)));
            }
        }
    }

    private void deadLetter(ConsumerRecord<String, byte[]> r, Throwable e) {
        deadLettered.incrementAndGet();
        String where = r.topic() + "/" + r.partition() + "@" + r.offset();
        LOG.errorf("%s: record %s fails after %d attempts, sent to %s: %s", name, where, ATTEMPTS,
                io.tandem.proto.Topics.KAFKA_DEAD_LETTERS, e);
        if (deadLetters == null) {
            return;
        }
        ProducerRecord<String, byte[]> dl = new ProducerRecord<>(io.tandem.proto.Topics.KAFKA_DEAD_LETTERS, where,
                r.value());
        dl.headers().add("worker", name.getBytes(StandardCharsets.UTF_8))
                .add("error", String.valueOf(e).getBytes(StandardCharsets.UTF_8))
                .add("source", where.getBytes(StandardCharsets.UTF_8));
        try {
            deadLetters.send(dl).get(10, TimeUnit.SECONDS);
        } catch (Exception ex) {
            throw new IllegalStateException("cannot dead-letter " + where + ": " + ex.getMessage(), ex);
        }
    }

    /** Seeks every assigned partition back to its committed offset; failures are retried next round. */
    private void resume(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            Long at = resumeAt.remove(tp);
            if (at == null) {
                continue;
            }
            OffsetAndMetadata committed = consumer.committed(Set.of(tp), Duration.ofSeconds(10)).get(tp);
            if (committed == null || at < committed.offset()) {
                consumer.seek(tp, at);
                LOG.warnf("%s: %s resumes at offset %d, behind the committed %s, to have records delivered again",
                        name, tp, at, committed == null ? "none" : Long.toString(committed.offset()));
            }
        }
    }

    private void rewind() {
        try {
            Set<TopicPartition> assigned = consumer.assignment();
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assigned, Duration.ofSeconds(10));
            for (TopicPartition tp : assigned) {
                OffsetAndMetadata o = committed.get(tp);
                if (o != null) {
                    consumer.seek(tp, o.offset());
                } else {
                    consumer.seekToBeginning(Set.of(tp));
                }
            }
        } catch (Throwable e) {
            lastError = "rewind: " + e.getMessage();
            LOG.errorf("%s: cannot rewind to the committed offsets (%s); will try again", name, e.getMessage());
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** When this loop first got partitions to read, 0 while it has none yet. */
    public long assignedSinceMs() {
        return assignedSinceMs;
    }

    /** This loop's health: alive, last poll, counters, last error. */
    public Map<String, Object> health() {
        Map<String, Object> m = new TreeMap<>();
        long sincePoll = System.currentTimeMillis() - lastPollMs;
        m.put("alive", thread.isAlive());
        m.put("ms_since_poll", sincePoll);
        m.put("handled", handled.get());
        m.put("failures", failures.get());
        m.put("failing_in_a_row", failedInARow);
        m.put("dead_lettered", deadLettered.get());
        m.put("last_error", lastError);
        m.put("up", thread.isAlive() && sincePoll < 60_000);
        return m;
    }

    /** Every loop of this process by name. */
    public static Map<String, ConsumerLoop> all() {
        return Map.copyOf(LOOPS);
    }

    @Override
    public void close() {
        running = false;
        LOOPS.remove(name, this);
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
