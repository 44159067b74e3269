package io.tandem.distill.quant;

/**
 * Affine quantisation of one tensor: {@code real = scale * (q - zeroPoint)}, q in {@code [qmin, qmax]}.
 *
 * @param scale positive step between adjacent quantised values
 * @param zeroPoint the quantised value of real zero
 * @param qmin smallest quantised value
 * @param qmax largest quantised value
 */
public record QuantParams(float scale, int zeroPoint, int qmin, int qmax) {

    /** Checks the parameters describe a usable grid. */
    public QuantParams {
        if (!(scale > 0) || !Float.isFinite(scale)) {
            throw new IllegalArgumentException("quantisation scale must be positive and finite, got " + scale);
        }
        if (qmin >= qmax || zeroPoint < qmin || zeroPoint > qmax) {
            throw new IllegalArgumentException("zero point " + zeroPoint + " outside [" + qmin + ", " + qmax + "]");
        }
    }

    /**
     * Asymmetric parameters covering {@code [min, max]} (widened to include 0, so zero is exact), on the
     * grid of {@code type}.
     */
    public static QuantParams asymmetric(float min, float max, QuantType type) {
        if (!Float.isFinite(min) || !Float.isFinite(max) || min > max) {
            throw new IllegalArgumentException("activation range [" + min + ", " + max + "] is not a finite range");
        }
        double lo = Math.min(0, min);
        double hi = Math.max(0, max);
        double scale = (hi - lo) / (type.qmax() - type.qmin());
        if (scale == 0) {
            // A tensor that is always 0: any positive scale represents it exactly.
            return new QuantParams(1f, Math.max(type.qmin(), 0), type.qmin(), type.qmax());
        }
        long zp = Math.round(type.qmin() - lo / scale);
        zp = Math.max(type.qmin(), Math.min(type.qmax(), zp));
        return new QuantParams((float) scale, (int) zp, type.qmin(), type.qmax());
    }

    /**
     * Symmetric parameters for weights: zero point 0, {@code |max|} maps to {@code bound}; a bound of 63
     * is the 7-bit "reduce range" that keeps AVX2 kernels without VNNI from overflowing.
     */
    public static QuantParams symmetric(float absMax, int bound) {
        if (!Float.isFinite(absMax) || absMax < 0) {
            throw new IllegalArgumentException("weight range " + absMax + " is not finite");
        }
        float scale = absMax == 0 ? 1f : absMax / bound;
        return new QuantParams(scale, 0, -bound, bound);
    }

    /** The quantised value of {@code x}, rounded half to even and clamped. */
    public int quantize(float x) {
        long q = Math.round(Math.rint(x / (double) scale)) + zeroPoint;
        return (int) Math.max(qmin, Math.min(qmax, q));
    }

    /** The real value of a quantised one. */
    public float dequantize(int q) {
        return scale * (q - zeroPoint);
    }
}
