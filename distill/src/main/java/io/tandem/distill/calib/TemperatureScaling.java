package io.tandem.distill.calib;

/**
 * Temperature scaling (Guo et al., 2017): one scalar T that divides the logits so that the softmax's
 * confidence matches the accuracy on held-out data. It never changes the predicted class, so edge
 * confidence thresholds mean the same from one model version to the next.
 */
public final class TemperatureScaling {

    /** Smallest temperature searched. */
    public static final double MIN_T = 0.05;
    /** Largest temperature searched. */
    public static final double MAX_T = 20;

    private TemperatureScaling() {
    }

    /** The temperature that minimises the negative log-likelihood of {@code labels} under {@code logits / T}. */
    public static float fit(float[] logits, int[] labels, int classes) {
        if (labels.length == 0 || logits.length != labels.length * classes) {
            throw new IllegalArgumentException("temperature fitting needs " + labels.length * classes + " logits for "
                    + labels.length + " labels, got " + logits.length);
        }
        // Golden-section search on log T: the NLL is unimodal in T for fixed logits.
        double lo = Math.log(MIN_T);
        double hi = Math.log(MAX_T);
        double g = (Math.sqrt(5) - 1) / 2;
        double a = hi - g * (hi - lo);
        double b = lo + g * (hi - lo);
        double fa = nll(logits, labels, classes, Math.exp(a));
        double fb = nll(logits, labels, classes, Math.exp(b));
        for (int i = 0; i < 80; i++) {
            if (fa < fb) {
                hi = b;
                b = a;
                fb = fa;
                a = hi - g * (hi - lo);
                fa = nll(logits, labels, classes, Math.exp(a));
            } else {
                lo = a;
                a = b;
                fa = fb;
                b = lo + g * (hi - lo);
                fb = nll(logits, labels, classes, Math.exp(b));
            }
        }
        return (float) Math.exp((lo + hi) / 2);
    }

    /** Mean negative log-likelihood of the labels under {@code softmax(logits / t)}. */
    public static double nll(float[] logits, int[] labels, int classes, double t) {
        double total = 0;
        for (int i = 0; i < labels.length; i++) {
            int o = i * classes;
            total += logSumExp(logits, o, classes, t) - logits[o + labels[i]] / t;
        }
        return total / labels.length;
    }

    /** Softmax of every row of {@code logits / t}. */
    public static float[] probabilities(float[] logits, int classes, double t) {
        float[] p = new float[logits.length];
        for (int o = 0; o < logits.length; o += classes) {
            double lse = logSumExp(logits, o, classes, t);
            for (int c = 0; c < classes; c++) {
                p[o + c] = (float) Math.exp(logits[o + c] / t - lse);
            }
        }
        return p;
    }

    /** {@code log(sum(exp(logits[o + c] / t)))} over one row, computed without overflow. */
    public static double logSumExp(float[] logits, int o, int classes, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            max = Math.max(max, logits[o + c] / t);
        }
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            sum += Math.exp(logits[o + c] / t - max);
        }
        return max + Math.log(sum);
    }

    /**
     * Expected calibration error: the confidence-weighted gap between confidence and accuracy over
     * {@code bins} equal-width confidence bins.
     */
    public static double expectedCalibrationError(float[] probabilities, int[] labels, int classes, int bins) {
        double[] confidence = new double[bins];
        double[] correct = new double[bins];
        int[] count = new int[bins];
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (probabilities[i * classes + c] > probabilities[i * classes + best]) {
                    best = c;
                }
            }
            double p = probabilities[i * classes + best];
            int bin = Math.min(bins - 1, (int) (p * bins));
            confidence[bin] += p;
            correct[bin] += best == labels[i] ? 1 : 0;
            count[bin]++;
        }
        double ece = 0;
        for (int b = 0; b < bins; b++) {
            if (count[b] > 0) {
                ece += Math.abs(confidence[b] - correct[b]) / labels.length;
            }
        }
        return ece;
    }
}
