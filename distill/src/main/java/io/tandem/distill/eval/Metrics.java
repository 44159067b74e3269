package io.tandem.distill.eval;

/** Classification metrics computed from logits. */
public final class Metrics {

    private Metrics() {
    }

    /** Index of the largest of {@code classes} values starting at {@code offset}. */
    public static int argmax(float[] values, int offset, int classes) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
            if (values[offset + c] > values[offset + best]) {
                best = c;
            }
        }
        return best;
    }

    /** The arg-max class of every row of {@code [n * classes]} logits. */
    public static int[] predictions(float[] logits, int classes) {
        int[] out = new int[logits.length / classes];
        for (int i = 0; i < out.length; i++) {
            out[i] = argmax(logits, i * classes, classes);
        }
        return out;
    }

    /** Share of rows whose arg-max equals the label. */
    public static double accuracy(float[] logits, int[] labels, int classes) {
        if (labels.length == 0) {
            throw new IllegalArgumentException("accuracy of an empty set");
        }
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            if (argmax(logits, i * classes, classes) == labels[i]) {
                correct++;
            }
        }
        return correct / (double) labels.length;
    }

    /** Share of rows where two sets of {@code [n * classes]} logits pick the same class; 0 for none. */
    public static double agreement(float[] a, float[] b, int classes) {
        int[] pa = predictions(a, classes);
        int[] pb = predictions(b, classes);
        int same = 0;
        for (int i = 0; i < pa.length; i++) {
            if (pa[i] == pb[i]) {
                same++;
            }
        }
        return pa.length == 0 ? 0 : same / (double) pa.length;
    }
}
