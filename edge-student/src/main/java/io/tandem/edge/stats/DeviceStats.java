package io.tandem.edge.stats;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of one device, counted where things happen: frames per model version, answers checked against
 * ground truth, hard examples published and hard examples the broker acknowledged (PUBACK).
 */
public final class DeviceStats {

    /** Counters of one model version. */
    public static final class VersionStats {
        private final String version;
        private final AtomicLong frames = new AtomicLong();
        private final AtomicLong labelled = new AtomicLong();
        private final AtomicLong correct = new AtomicLong();
        private final AtomicLong escalated = new AtomicLong();

        VersionStats(String version) {
            this.version = version;
        }

        /** Frames this version answered. */
        public long frames() {
            return frames.get();
        }

        /** Share of frames with ground truth that this version got right; NaN when none had any. */
        public double accuracy() {
            long l = labelled.get();
            return l == 0 ? Double.NaN : correct.get() / (double) l;
        }
    }

    private final Map<String, VersionStats> versions = new LinkedHashMap<>();
    private final AtomicLong hardSent = new AtomicLong();
    private final AtomicLong hardAcked = new AtomicLong();
    private final AtomicLong hardFailed = new AtomicLong();
    private final AtomicLong rejectedMessages = new AtomicLong();
    private final AtomicLong inferences = new AtomicLong();
    private final float[] latencies = new float[1024];
    private int latencyCount;

    /** The counters of a version, created on first use. */
    public synchronized VersionStats version(String version) {
        return versions.computeIfAbsent(version, VersionStats::new);
    }

    /** Records one answered frame. */
    public void recordInference(String version, int predicted, int groundTruth, boolean escalated, float latencyMs) {
        VersionStats v = version(version);
        v.frames.incrementAndGet();
        inferences.incrementAndGet();
        if (groundTruth >= 0) {
            v.labelled.incrementAndGet();
            if (predicted == groundTruth) {
                v.correct.incrementAndGet();
            }
        }
        if (escalated) {
            v.escalated.incrementAndGet();
        }
        synchronized (latencies) {
            latencies[latencyCount++ % latencies.length] = latencyMs;
        }
    }

    /** A hard example was handed to the MQTT client. */
    public void hardExampleSent() {
        hardSent.incrementAndGet();
    }

    /** The broker acknowledged a hard example (PUBACK). */
    public void hardExampleAcked() {
        hardAcked.incrementAndGet();
    }

    /** A hard example could not be delivered. */
    public void hardExampleFailed() {
        hardFailed.incrementAndGet();
    }

    /** A message from the cloud was refused. */
    public void messageRejected() {
        rejectedMessages.incrementAndGet();
    }

    /** Hard examples handed to the client. */
    public long hardSent() {
        return hardSent.get();
    }

    /** Hard examples acknowledged by the broker. */
    public long hardAcked() {
        return hardAcked.get();
    }

    /** Messages refused. */
    public long rejected() {
        return rejectedMessages.get();
    }

    /** Frames answered by all versions. */
    public long inferences() {
        return inferences.get();
    }

    /** The given percentile (0..100) of the recent inference latencies, in milliseconds. */
    public float latencyPercentile(double pct) {
        float[] copy;
        synchronized (latencies) {
            copy = Arrays.copyOf(latencies, Math.min(latencyCount, latencies.length));
        }
        if (copy.length == 0) {
            return 0;
        }
        Arrays.sort(copy);
        return copy[(int) Math.min(copy.length - 1, Math.floor(pct / 100 * copy.length))];
    }

    /** Writes the counters as JSON, atomically, for the operator and the demo's report. */
    public void writeJson(Path file, String deviceId, String fleet, String activeVersion, boolean stopped) {
        List<String> rows = new ArrayList<>();
        synchronized (this) {
            for (VersionStats v : versions.values()) {
                double acc = v.accuracy();
                rows.add(String.format(Locale.ROOT,
                        "    {\"version\": \"%s\", \"frames\": %d, \"labelled\": %d, \"correct\": %d, \"escalated\": %d,"
                                + " \"accuracy\": %s}",
                        v.version, v.frames.get(), v.labelled.get(), v.correct.get(), v.escalated.get(),
                        Double.isNaN(acc) ? "null" : String.format(Locale.ROOT, "%.6f", acc)));
            }
        }
        String json = String.format(Locale.ROOT, "{%n  \"device\": \"%s\",%n  \"fleet\": \"%s\",%n"
                        + "  \"active_version\": \"%s\",%n  \"stopped\": %s,%n  \"inferences\": %d,%n"
                        + "  \"hard_examples_sent\": %d,%n  \"hard_examples_acked\": %d,%n  \"hard_examples_failed\": %d,%n"
                        + "  \"rejected_messages\": %d,%n  \"latency_p50_ms\": %.3f,%n  \"latency_p99_ms\": %.3f,%n"
                        + "  \"versions\": [%n%s%n  ]%n}%n",
                deviceId, fleet, activeVersion, stopped, inferences.get(), hardSent.get(), hardAcked.get(),
                hardFailed.get(), rejectedMessages.get(), latencyPercentile(50), latencyPercentile(99),
                String.join(",\n", rows));
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, json);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write status " + file, e);
        }
    }
}
