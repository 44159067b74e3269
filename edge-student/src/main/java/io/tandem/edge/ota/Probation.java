package io.tandem.edge.ota;

import java.util.Arrays;

/**
 * The first frames of a newly swapped-in model: it passes when it has answered them all with a median
 * latency within {@code factor} times the manifest's figure (or with no figure or factor to compare),
 * and is too slow otherwise. Thread-safe; the verdict is given once.
 */
final class Probation {

    /** What one more frame decided. */
    enum Verdict { UNDECIDED, PASSED, TOO_SLOW }

    private final double[] latencies;
    private final double factor;
    private final double manifestMs;
    private int seen;
    private double median = Double.NaN;

    Probation(int frames, double factor, double manifestMs) {
        this.latencies = new double[frames];
        this.factor = factor;
        this.manifestMs = manifestMs;
    }

    synchronized Verdict observe(double latencyMs) {
        if (seen >= latencies.length) {
            return Verdict.UNDECIDED;
        }
        latencies[seen++] = latencyMs;
        if (seen < latencies.length) {
            return Verdict.UNDECIDED;
        }
        double[] sorted = latencies.clone();
        Arrays.sort(sorted);
        median = sorted[sorted.length / 2];
        return factor > 0 && manifestMs > 0 && median > factor * manifestMs ? Verdict.TOO_SLOW : Verdict.PASSED;
    }

    synchronized String describe() {
        return String.format("median latency %.3f ms over %d frames, manifest says %.3f ms, limit %s", median, seen,
                manifestMs, factor > 0 && manifestMs > 0 ? String.format("%.3f ms", factor * manifestMs) : "none");
    }
}
