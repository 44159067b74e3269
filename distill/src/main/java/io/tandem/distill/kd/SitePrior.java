package io.tandem.distill.kd;

import io.tandem.distill.data.ImageSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * The mix of objects a site sees, when it clearly differs from the base data's: a site student then learns
 * that mix (label shift). It is estimated from the labels of the site's random audits, the unbiased sample of
 * its frames, and used only when a chi-square test against the base data's class shares rejects "the same
 * mix" at {@link #P_VALUE}; otherwise a site is taken to see what the base data shows, so a few audits of a
 * uniform site do not skew its student.
 *
 * @param shares the site's class shares (Laplace-smoothed), summing to 1
 * @param chiSquare the test statistic against the base shares
 * @param audits how many audit labels the estimate rests on
 */
public record SitePrior(double[] shares, double chiSquare, int audits) {

    /** Fewest audits the estimate needs. */
    public static final int MIN_AUDITS = 40;
    /** Significance of the chi-square test. */
    public static final double P_VALUE = 0.001;

    /** Compact form for logs and manifests, e.g. {@code 0:0.03 1:0.02 ...}. */
    public String describe() {
        StringBuilder s = new StringBuilder();
        for (int c = 0; c < shares.length; c++) {
            s.append(c == 0 ? "" : " ").append(c).append(':').append(String.format("%.2f", shares[c]));
        }
        return s.toString();
    }

    /**
     * The site's mix from {@code auditLabels} (class indices), if it differs from {@code baseLabels}' mix;
     * empty with fewer than {@link #MIN_AUDITS} audits or when the test does not reject.
     */
    public static Optional<SitePrior> estimate(int[] auditLabels, int[] baseLabels, int classes) {
        if (auditLabels.length < MIN_AUDITS || baseLabels.length == 0) {
            return Optional.empty();
        }
        double[] base = shares(baseLabels, classes, 0);
        long[] counts = new long[classes];
        for (int label : auditLabels) {
            counts[label]++;
        }
        double chi = 0;
        int df = -1;
        for (int c = 0; c < classes; c++) {
            if (base[c] > 0) {
                double expected = base[c] * auditLabels.length;
                chi += (counts[c] - expected) * (counts[c] - expected) / expected;
                df++;
            }
        }
        if (df < 1 || chi <= chiSquareQuantile(df, 1 - P_VALUE)) {
            return Optional.empty();
        }
        return Optional.of(new SitePrior(shares(auditLabels, classes, 1), chi, auditLabels.length));
    }

    /**
     * {@code base} drawn again, as many images, so that together with the site's own examples the student learns
     * from ({@code exampleLabels}, repeats included) its classes follow this mix: each class gets what its share of
     * the whole lacks after the examples (none where the examples already hold more; uploads chosen by how hard
     * they are are not a random sample of the site), an image of it drawn uniformly with replacement.
     * Deterministic for a {@code seed}.
     */
    public ImageSet resample(ImageSet base, int[] exampleLabels, long seed) {
        double total = base.size() + exampleLabels.length;
        double[] lacking = new double[shares.length];
        for (int c = 0; c < shares.length; c++) {
            lacking[c] = shares[c] * total;
        }
        for (int label : exampleLabels) {
            lacking[label]--;
        }
        double sum = 0;
        for (int c = 0; c < shares.length; c++) {
            lacking[c] = Math.max(0, lacking[c]);
            sum += lacking[c];
        }
        return draw(base, sum > 0 ? lacking : shares, seed);
    }

    private static ImageSet draw(ImageSet base, double[] weights, long seed) {
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < weights.length; c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < base.size(); i++) {
            byClass.get(base.labels()[i]).add(i);
        }
        double[] cumulative = new double[weights.length];
        double total = 0;
        for (int c = 0; c < weights.length; c++) {
            total += byClass.get(c).isEmpty() ? 0 : weights[c];
            cumulative[c] = total;
        }
        Random random = new Random(seed);
        int n = base.size();
        int size = base.imageSize();
        byte[] pixels = new byte[n * size];
        int[] labels = new int[n];
        for (int k = 0; k < n; k++) {
            double u = random.nextDouble() * total;
            int c = 0;
            while (c < weights.length - 1 && (u >= cumulative[c] || byClass.get(c).isEmpty())) {
                c++;
            }
            List<Integer> pool = byClass.get(c);
            int i = pool.get(random.nextInt(pool.size()));
            System.arraycopy(base.pixels(), i * size, pixels, k * size, size);
            labels[k] = c;
        }
        return new ImageSet(pixels, labels, base.rows(), base.cols());
    }

    /**
     * What Bayes' rule adds to a base-trained classifier's logits for this site: {@code log(site share / base
     * share)} per class, so that the teacher's soft targets follow the site's mix too.
     */
    public float[] logitShift(int[] baseLabels) {
        double[] base = shares(baseLabels, shares.length, 1);
        float[] shift = new float[shares.length];
        for (int c = 0; c < shares.length; c++) {
            shift[c] = (float) Math.log(shares[c] / base[c]);
        }
        return shift;
    }

    /**
     * Applies a site's mix to a classifier's logits: adds {@code scale * shift[c]} to logit {@code c} of each row
     * (rows of {@code shift.length} classes) in {@code [from, to)}. {@code scale} is the classifier's temperature
     * when the shift is meant for its calibrated logits, 1 for its raw ones.
     */
    public static void addShift(float[] logits, int from, int to, float[] shift, float scale) {
        for (int i = from; i < to; i++) {
            logits[i] += scale * shift[(i - from) % shift.length];
        }
    }

    private static double[] shares(int[] labels, int classes, double pseudoCount) {
        double[] out = new double[classes];
        for (int label : labels) {
            out[label]++;
        }
        double total = labels.length + pseudoCount * classes;
        for (int c = 0; c < classes; c++) {
            out[c] = (out[c] + pseudoCount) / total;
        }
        return out;
    }

    /** The chi-square distribution's {@code p}-quantile with {@code df} degrees of freedom (Wilson-Hilferty). */
    static double chiSquareQuantile(int df, double p) {
        double z = normalQuantile(p);
        double a = 2.0 / (9 * df);
        double t = 1 - a + z * Math.sqrt(a);
        return df * t * t * t;
    }

    /** The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9). */
    static double normalQuantile(double p) {
        if (!(p > 0 && p < 1)) {
            throw new IllegalArgumentException("p must be in (0, 1), got " + p);
        }
        double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
            -3.066479806614716e+01, 2.506628277459239e+00};
        double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
            -1.328068155288572e+01};
        double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
            4.374664141464968e+00, 2.938163982698783e+00};
        double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
        double low = 0.02425;
        if (p < low) {
            double q = Math.sqrt(-2 * Math.log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                    / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - low) {
            return -normalQuantile(1 - p);
        }
        double q = p - 0.5;
        double r = q * q;
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
}
