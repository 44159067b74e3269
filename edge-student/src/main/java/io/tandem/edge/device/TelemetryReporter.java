package io.tandem.edge.device;

import io.tandem.edge.uplink.UploadQueue;
import io.tandem.edge.stats.DeviceStats;
import io.tandem.edge.stats.WindowCounter;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.Topics.DeviceStream;
import io.tandem.proto.v1.Telemetry;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Publishes one device's telemetry on its own thread at a fixed interval until closed: counters, and the
 * window of what the device saw since the previous message. Each tick first runs the device's own
 * periodic work (publishing results that have waited long enough).
 */
final class TelemetryReporter implements AutoCloseable {

    private final UploadQueue queue;
    private final DeviceStats stats;
    private final String deviceId;
    private final String fleet;
    private final String group;
    private final Supplier<String> activeVersion;
    private final Supplier<WindowCounter> window;
    private final LongSupplier rollbacks;
    /** Times the device started on its work folder, this start included. */
    private final long starts;
    private final Thread thread;
    private volatile boolean running = true;

    TelemetryReporter(UploadQueue queue, DeviceStats stats, String deviceId, String fleet, String group,
            Supplier<String> activeVersion, Supplier<WindowCounter> window, LongSupplier rollbacks, long starts,
            Duration interval, Runnable onTick) {
        this.rollbacks = rollbacks;
        this.starts = starts;
        this.group = group;
        this.window = window;
        this.queue = queue;
        this.stats = stats;
        this.deviceId = deviceId;
        this.fleet = fleet;
        this.activeVersion = activeVersion;
        this.thread = new Thread(() -> {
            while (running) {
                try {
                    Thread.sleep(interval.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    onTick.run();
                } catch (IllegalStateException e) {
                    System.out.println("[" + deviceId + "] " + e.getMessage());
                }
                publish();
            }
        }, deviceId + "-telemetry");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Publishes one telemetry message now, with the window since the previous one. */
    synchronized void publish() {
        String version = activeVersion.get();
        io.tandem.proto.v1.UploadQueueStats uploads = queue.stats();
        Telemetry.Builder t = Telemetry.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId(deviceId)
                .setFleet(fleet).setGroup(group).setModelVersion(version).setTimeMs(System.currentTimeMillis())
                .setInferencesTotal(stats.inferences()).setHardExamplesSent(stats.hardAcked())
                .setHardExamplesPending(uploads.getStreams(UploadQueue.Kind.SAMPLES.ordinal()).getQueuedMessages())
                .setUploadQueue(uploads).setInferenceErrors(stats.inferenceErrors())
                .setRollbacks(rollbacks.getAsLong()).setTeacherAnswers(stats.teacherAnswers())
                .setTeacherFallbacks(stats.teacherFallbacks()).setLatencyP50Ms(stats.latencyPercentile(50))
                .setLatencyP95Ms(stats.latencyPercentile(95)).setLatencyP99Ms(stats.latencyPercentile(99))
                .setRejectedMessages(stats.rejected()).setStarts(starts);
        WindowCounter w = window.get();
        if (w != null) {
            t.setWindow(w.drain(version));
        }
        queue.offer(UploadQueue.Kind.TELEMETRY, Topics.mqtt(fleet, deviceId, DeviceStream.TELEMETRY),
                Codecs.TELEMETRY.encode(t.build()), 0);
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
