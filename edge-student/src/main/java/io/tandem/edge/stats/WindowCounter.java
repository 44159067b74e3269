package io.tandem.edge.stats;

import io.tandem.proto.v1.TelemetryWindow;

/**
 * Accumulates what a device sees between two telemetry messages: frames, escalations, the confidence and
 * predicted-class histograms and the mean and spread of the raw input. {@link #drain} returns the window
 * and starts the next one. Thread-safe; recording costs one pass over the frame's pixels.
 */
public final class WindowCounter {

    /** Bins of the confidence histogram over [0, 1]. */
    public static final int CONFIDENCE_BINS = 10;

    private final int classes;
    private long[] confidence = new long[CONFIDENCE_BINS];
    private long[] predicted;
    private long frames;
    private long escalated;
    private double pixelSum;
    private double pixelSquares;
    private long pixels;
    private long startMs = System.currentTimeMillis();

    /** A counter for a model with {@code classes} classes (at most 1024). */
    public WindowCounter(int classes) {
        if (classes < 1 || classes > 1024) {
            throw new IllegalArgumentException("classes must be in 1..1024, got " + classes);
        }
        this.classes = classes;
        this.predicted = new long[classes];
    }

    /** Records one answered frame: its raw unsigned-byte pixels, the top class and its probability. */
    public void record(byte[] raw, int predictedClass, float topProbability, boolean wasEscalated) {
        long sum = 0;
        long squares = 0;
        for (byte b : raw) {
            int v = b & 0xff;
            sum += v;
            squares += (long) v * v;
        }
        int bin = Math.min(CONFIDENCE_BINS - 1, Math.max(0, (int) (topProbability * CONFIDENCE_BINS)));
        synchronized (this) {
            frames++;
            if (wasEscalated) {
                escalated++;
            }
            confidence[bin]++;
            if (predictedClass >= 0 && predictedClass < classes) {
                predicted[predictedClass]++;
            }
            pixelSum += sum;
            pixelSquares += squares;
            pixels += raw.length;
        }
    }

    /** The window since the last drain, answered by {@code modelVersion}; the next window starts now. */
    public synchronized TelemetryWindow drain(String modelVersion) {
        long now = System.currentTimeMillis();
        double mean = pixels == 0 ? 0 : pixelSum / pixels / 255.0;
        double variance = pixels == 0 ? 0 : pixelSquares / pixels / (255.0 * 255.0) - mean * mean;
        TelemetryWindow.Builder w = TelemetryWindow.newBuilder().setStartMs(startMs).setEndMs(Math.max(now, startMs))
                .setFrames(frames).setEscalated(escalated).setInputMean((float) Math.min(1, mean))
                .setInputStd((float) Math.min(1, Math.sqrt(Math.max(0, variance)))).setModelVersion(modelVersion);
        for (long c : confidence) {
            w.addConfidenceHistogram(c);
        }
        long unclassified = frames;
        for (long p : predicted) {
            w.addPredictedClassHistogram(p);
            unclassified -= p;
        }
        if (unclassified != 0) {
            // A frame whose class was out of range cannot be in the class histogram; leave the histogram out
            // rather than send one that disagrees with the frame count.
            w.clearPredictedClassHistogram();
        }
        confidence = new long[CONFIDENCE_BINS];
        predicted = new long[classes];
        frames = 0;
        escalated = 0;
        pixelSum = 0;
        pixelSquares = 0;
        pixels = 0;
        startMs = now;
        return w.build();
    }
}
