package io.tandem.distill.quant;

/** How activation ranges are chosen from calibration data. */
public enum Calibration {
    /** The smallest and largest value seen. */
    MINMAX,
    /** The given low and high percentiles of the values seen, ignoring rare outliers. */
    PERCENTILE
}
