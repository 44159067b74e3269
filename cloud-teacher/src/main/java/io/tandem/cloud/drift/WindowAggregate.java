package io.tandem.cloud.drift;

import io.tandem.proto.v1.TelemetryWindow;

/**
 * Telemetry windows added together: frames, escalations, the confidence and class histograms and the
 * input's mean and spread (combined as moments, weighted by frames).
 */
final class WindowAggregate {

    private long frames;
    private long escalated;
    private long[] confidence = new long[0];
    private long[] classes = new long[0];
    private double meanSum;
    private double squareSum;

    /** An aggregate of {@code frames} frames with the given input mean and spread and no histograms. */
    static WindowAggregate ofInput(long frames, double mean, double std) {
        WindowAggregate a = new WindowAggregate();
        a.frames = frames;
        a.meanSum = frames * mean;
        a.squareSum = frames * (std * std + mean * mean);
        return a;
    }

    void add(TelemetryWindow w) {
        frames += w.getFrames();
        escalated += w.getEscalated();
        confidence = addInto(confidence, w.getConfidenceHistogramList());
        classes = addInto(classes, w.getPredictedClassHistogramList());
        double m = w.getInputMean();
        double s = w.getInputStd();
        meanSum += w.getFrames() * m;
        squareSum += w.getFrames() * (s * s + m * m);
    }

    void subtract(TelemetryWindow w) {
        frames -= w.getFrames();
        escalated -= w.getEscalated();
        subtractFrom(confidence, w.getConfidenceHistogramList());
        subtractFrom(classes, w.getPredictedClassHistogramList());
        double m = w.getInputMean();
        double s = w.getInputStd();
        meanSum -= w.getFrames() * m;
        squareSum -= w.getFrames() * (s * s + m * m);
    }

    long frames() {
        return frames;
    }

    double escalationRate() {
        return frames == 0 ? 0 : escalated / (double) frames;
    }

    double inputMean() {
        return frames == 0 ? 0 : meanSum / frames;
    }

    double inputStd() {
        if (frames == 0) {
            return 0;
        }
        double m = inputMean();
        return Math.sqrt(Math.max(0, squareSum / frames - m * m));
    }

    long[] confidence() {
        return confidence;
    }

    long[] classes() {
        return classes;
    }

    private static long[] addInto(long[] into, java.util.List<Long> add) {
        long[] out = into.length >= add.size() ? into : java.util.Arrays.copyOf(into, add.size());
        for (int i = 0; i < add.size(); i++) {
            out[i] += add.get(i);
        }
        return out;
    }

    private static void subtractFrom(long[] from, java.util.List<Long> sub) {
        for (int i = 0; i < sub.size() && i < from.length; i++) {
            from[i] -= sub.get(i);
        }
    }
}
