package io.tandem.distill.data;

import io.tandem.proto.v1.DType;
import io.tandem.proto.v1.InputSpec;
import java.util.List;

/**
 * Turns raw unsigned-byte pixels into model input: {@code (raw * scale - mean) / std}.
 *
 * @param scale multiplier applied to the raw value
 * @param mean mean subtracted after scaling
 * @param std standard deviation divided by after subtracting the mean
 */
public record Normalization(float scale, float mean, float std) {

    /** Fashion-MNIST's normalisation. */
    public static final Normalization FASHION_MNIST = new Normalization(1f / 255f, FashionMnist.MEAN, FashionMnist.STD);

    /** Validates the constants. */
    public Normalization {
        if (!(std > 0) || !Float.isFinite(scale) || !Float.isFinite(mean)) {
            throw new IllegalArgumentException("normalisation needs finite scale/mean and std > 0: "
                    + scale + ", " + mean + ", " + std);
        }
    }

    /** Normalises {@code count} raw bytes from {@code pixels[from]} into {@code out[outOffset]}. */
    public void apply(byte[] pixels, int from, int count, float[] out, int outOffset) {
        float a = scale / std;
        float b = -mean / std;
        for (int i = 0; i < count; i++) {
            out[outOffset + i] = (pixels[from + i] & 0xff) * a + b;
        }
    }

    /** The wire form of this normalisation for an input of the given shape (without batch). */
    public InputSpec toInputSpec(List<Long> shape) {
        return InputSpec.newBuilder().addAllShape(shape).setLayout("NCHW").setScale(scale).setMean(mean)
                .setStd(std).setRawDtype(DType.UINT8).build();
    }
}
