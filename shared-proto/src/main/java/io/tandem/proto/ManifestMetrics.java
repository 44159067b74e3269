package io.tandem.proto;

/** Names of manifest metrics that one module writes and another reads. */
public final class ManifestMetrics {

    /** A site student's reference input brightness (mean pixel, 0..1), what its site's drift is measured from. */
    public static final String REFERENCE_MEAN = "reference_input_mean";
    /** The spread (standard deviation) that goes with {@link #REFERENCE_MEAN}. */
    public static final String REFERENCE_STD = "reference_input_std";
    /** Set to 1 on teachers that learnt with camera augmentation; their students then learn with it too. */
    public static final String AUGMENTED = "augmented";

    /**
     * Prefix of a site student's per-class logit shift ({@code site_logit_shift_0}, ...): {@code log(site share /
     * base share)} of each class, the mix of objects its site sees. The teacher adds it when it answers that
     * site's devices, as the student learnt it.
     */
    public static final String SITE_LOGIT_SHIFT = "site_logit_shift_";

    private ManifestMetrics() {
    }

    /** The manifest's site logit shift, one value per class; empty when its model learnt no site mix. */
    public static float[] siteLogitShift(io.tandem.proto.v1.ModelManifest m) {
        int classes = m.getClassLabelsCount();
        if (classes == 0 || !m.containsMetrics(SITE_LOGIT_SHIFT + 0)) {
            return new float[0];
        }
        float[] shift = new float[classes];
        for (int c = 0; c < classes; c++) {
            shift[c] = (float) m.getMetricsOrDefault(SITE_LOGIT_SHIFT + c, 0);
        }
        return shift;
    }

    /** Records {@code shift} (one value per class) as the site logit shift. */
    public static void putSiteLogitShift(io.tandem.proto.v1.ModelManifest.Builder m, float[] shift) {
        for (int c = 0; c < shift.length; c++) {
            m.putMetrics(SITE_LOGIT_SHIFT + c, shift[c]);
        }
    }
}
