package io.tandem.edge.stats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
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

    }

    private final Map<String, VersionStats> versions = new LinkedHashMap<>();
    private final AtomicLong hardSent = new AtomicLong();
    private final AtomicLong hardAcked = new AtomicLong();
    private final AtomicLong hardFailed = new AtomicLong();
    private final AtomicLong rejectedMessages = new AtomicLong();
    private final AtomicLong inferences = new AtomicLong();
    private final AtomicLong inferenceErrors = new AtomicLong();
    private final AtomicLong teacherAnswers = new AtomicLong();
    private final AtomicLong teacherFallbacks = new AtomicLong();
    private final AtomicLong answeredLabelled = new AtomicLong();
    private final AtomicLong answeredCorrect = new AtomicLong();
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

    /** A hard example was dropped: the upload queue was full, or it could not be stored. */
    public void hardExampleFailed() {
        hardFailed.incrementAndGet();
    }

    /**
     * Records the answer a frame finally got (the teacher's under joint inference, else the student's).
     *
     * @param askedTeacher whether the frame was escalated to the teacher
     * @param teacherAnswered whether the teacher answered in time
     */
    public void recordAnswer(boolean askedTeacher, boolean teacherAnswered, int answered, int groundTruth) {
        if (askedTeacher) {
            (teacherAnswered ? teacherAnswers : teacherFallbacks).incrementAndGet();
        }
        if (groundTruth >= 0) {
            answeredLabelled.incrementAndGet();
            if (answered == groundTruth) {
                answeredCorrect.incrementAndGet();
            }
        }
    }

    /** Escalated frames the teacher answered in time. */
    public long teacherAnswers() {
        return teacherAnswers.get();
    }

    /** Escalated frames answered by the student because the teacher did not answer in time. */
    public long teacherFallbacks() {
        return teacherFallbacks.get();
    }

    /** A model threw on a frame that no other model answered. */
    public void inferenceError() {
        inferenceErrors.incrementAndGet();
    }

    /** Frames a model threw on that no other model answered. */
    public long inferenceErrors() {
        return inferenceErrors.get();
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

    /** A consistent copy of the counters. */
    public DeviceStatus snapshot(String deviceId, String fleet, String activeVersion, boolean stopped, long rollbacks) {
        List<DeviceStatus.Version> rows = new ArrayList<>();
        synchronized (this) {
            for (VersionStats v : versions.values()) {
                rows.add(new DeviceStatus.Version(v.version, v.frames.get(), v.labelled.get(), v.correct.get(),
                        v.escalated.get()));
            }
        }
        return new DeviceStatus(deviceId, fleet, activeVersion, stopped, inferences.get(), hardSent.get(),
                hardAcked.get(), hardFailed.get(), rejectedMessages.get(), inferenceErrors.get(), rollbacks,
                teacherAnswers.get(), teacherFallbacks.get(), answeredLabelled.get(), answeredCorrect.get(),
                latencyPercentile(50), latencyPercentile(99),
                List.copyOf(rows));
    }
}
