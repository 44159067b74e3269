package io.tandem.cloud.kafka;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * A consumer polled on its own thread. The handler processes each poll's records; the loop commits the
 * offsets after the handler returns, so a record is committed only once it is handled.
 */
public final class ConsumerLoop implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ConsumerLoop.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    /** Starts polling {@code topics}. */
    public ConsumerLoop(String name, KafkaConsumer<String, byte[]> consumer, List<String> topics,
            Consumer<ConsumerRecords<String, byte[]>> handler) {
        this.consumer = consumer;
        this.thread = new Thread(() -> {
            consumer.subscribe(topics);
            while (running) {
                try {
                    ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
                    if (!records.isEmpty()) {
                        handler.accept(records);
                        consumer.commitSync();
                    }
                } catch (WakeupException e) {
                    break;
                } catch (RuntimeException e) {
                    // Uncommitted records are polled again after the pause; nothing is skipped.
                    LOG.errorf(e, "%s: handling failed, retrying from the last committed offset", name);
                    sleep(1000);
                    consumer.assignment().forEach(tp -> consumer.committed(java.util.Set.of(tp)).forEach((p, o) ->
                            consumer.seek(p, o == null ? 0 : o.offset())));
                }
            }
            consumer.close(Duration.ofSeconds(5));
        }, name);
        thread.setDaemon(true);
        thread.start();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
