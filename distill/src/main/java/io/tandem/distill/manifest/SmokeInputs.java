package io.tandem.distill.manifest;

import com.google.protobuf.ByteString;
import io.tandem.distill.calib.TemperatureScaling;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.eval.LatencyProbe;
import io.tandem.distill.eval.OnnxClassifier;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.SmokeInput;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Completes a shipped artifact's manifest with what a device checks before and after it swaps the model
 * in: smoke inputs (a few real images and the probabilities this very file gives them, after temperature
 * scaling) and the median latency of one image on one thread ({@code latency_ms_p50}).
 */
public final class SmokeInputs {

    /** Smoke inputs per manifest. */
    public static final int COUNT = 4;
    /** Tolerance written to the manifest: the largest difference per probability a device may see. */
    public static final float TOLERANCE = 0.05f;

    private SmokeInputs() {
    }

    /** Adds smoke inputs taken from the first {@link #COUNT} of {@code images}, and the latency figure. */
    public static ModelManifest attach(Path onnx, ModelManifest manifest, ImageSet images, Normalization normalization) {
        ImageSet sample = images.head(Math.min(COUNT, images.size()));
        ModelManifest.Builder m = manifest.toBuilder().clearSmokeInputs().setSmokeTolerance(TOLERANCE);
        try (OnnxClassifier model = OnnxClassifier.open(onnx, 1)) {
            int classes = model.classes();
            float[] logits = model.logits(sample, normalization);
            double t = manifest.getTemperature() > 0 ? manifest.getTemperature() : 1;
            float[] p = TemperatureScaling.probabilities(logits, classes, t);
            int size = sample.imageSize();
            for (int i = 0; i < sample.size(); i++) {
                SmokeInput.Builder s = SmokeInput.newBuilder()
                        .setPixels(ByteString.copyFrom(Arrays.copyOfRange(sample.pixels(), i * size, (i + 1) * size)));
                for (int c = 0; c < classes; c++) {
                    s.addExpectedProbabilities(p[i * classes + c]);
                }
                m.addSmokeInputs(s);
            }
            double p50 = LatencyProbe.measure(model, images, normalization, 1, 200, "b1").get("b1_p50");
            m.putMetrics("latency_ms_p50", p50);
        }
        return m.build();
    }
}
