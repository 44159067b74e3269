package io.tandem.cloud.bridge;

import io.quarkus.runtime.ShutdownEvent;
import io.tandem.cloud.store.SamplesHandled;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.SampleReceipt;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Tells each device which of its samples the cloud has taken responsibility for, on the device's receipts
 * topic, so the device can let them go; a device resends what gets no receipt in time, which makes a sample the
 * broker acknowledged but lost arrive after all. Receipts go out on their own thread through the bridge's MQTT
 * connection; when it is down or the queue is full they are skipped and counted, and the devices resend.
 */
@ApplicationScoped
public class ReceiptSender {

    private static final Logger LOG = Logger.getLogger(ReceiptSender.class);
    /** Batches of receipts waiting to go out. */
    static final int QUEUE = 1024;

    @Inject
    MqttKafkaBridge bridge;

    /** A receipt and the device topic it goes to. */
    private record Outgoing(String topic, SampleReceipt receipt) {
    }

    private final BlockingQueue<Outgoing> queue = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private volatile Thread worker;
    private volatile boolean stopping;

    void onHandled(@Observes SamplesHandled handled) {
        Map<List<String>, SampleReceipt.Builder> byDevice = new LinkedHashMap<>();
        for (SamplesHandled.SampleId id : handled.samples()) {
            SampleReceipt.Builder b = byDevice.computeIfAbsent(List.of(id.fleet(), id.deviceId(), id.incarnation()),
                    k -> SampleReceipt.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId(id.deviceId())
                            .setIncarnation(id.incarnation()));
            if (b.getSequencesCount() < Codecs.MAX_RECEIPT_SEQUENCES) {
                b.addSequences(id.sequence());
            }
        }
        byDevice.forEach((k, b) -> {
            String topic;
            try {
                topic = Topics.deviceReceipts(k.get(0), k.get(1));
            } catch (IllegalArgumentException e) {
                skipped.incrementAndGet();
                return;
            }
            if (!queue.offer(new Outgoing(topic, b.build()))) {
                skipped.incrementAndGet();
            }
        });
        startWorker();
    }

    private synchronized void startWorker() {
        if (worker == null && !stopping) {
            worker = new Thread(this::run, "receipts");
            worker.setDaemon(true);
            worker.start();
        }
    }

    private void run() {
        while (!stopping) {
            Outgoing o;
            try {
                o = queue.poll(500, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (o == null) {
                continue;
            }
            try {
                if (bridge.publish(o.topic(), Codecs.SAMPLE_RECEIPT.encode(o.receipt()))) {
                    sent.incrementAndGet();
                } else {
                    skipped.incrementAndGet();
                }
            } catch (RuntimeException e) {
                // The thread must outlive any one receipt; the device resends what it did not get.
                skipped.incrementAndGet();
                LOG.warnf("receipt to %s not sent: %s", o.topic(), e.getMessage());
            }
        }
    }

    /** Receipts published. */
    public long sent() {
        return sent.get();
    }

    /** Receipts not published (no connection, queue full): their devices send the samples again. */
    public long skipped() {
        return skipped.get();
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        Thread w = worker;
        if (w != null) {
            w.interrupt();
        }
        List<Outgoing> left = new ArrayList<>();
        queue.drainTo(left);
        if (!left.isEmpty()) {
            LOG.infof("%d receipts not sent at shutdown; their devices will send those samples again", left.size());
        }
    }
}
