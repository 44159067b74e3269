package io.tandem.proto;

/** Names of manifest metrics that one module writes and another reads. */
public final class ManifestMetrics {

    /** A site student's reference input brightness (mean pixel, 0..1), what its site's drift is measured from. */
    public static final String REFERENCE_MEAN = "reference_input_mean";
    /** The spread (standard deviation) that goes with {@link #REFERENCE_MEAN}. */
    public static final String REFERENCE_STD = "reference_input_std";
    /** Set to 1 on teachers that learnt with camera augmentation; their students then learn with it too. */
    public static final String AUGMENTED = "augmented";

    private ManifestMetrics() {
    }
}
