package io.tandem.distill.eval;

import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Times ONNX Runtime on fixed batches: warm-up runs first, then percentiles of the timed runs. */
public final class LatencyProbe {

    private LatencyProbe() {
    }

    /** p50 and p99 in milliseconds of {@code runs} inferences of a batch of {@code batch} images. */
    public static Map<String, Double> measure(OnnxClassifier model, ImageSet images, Normalization normalization,
            int batch, int runs, String label) {
        int pixels = images.imageSize();
        int b = Math.min(batch, images.size());
        float[] x = new float[b * pixels];
        normalization.apply(images.pixels(), 0, b * pixels, x, 0);
        for (int i = 0; i < Math.max(5, runs / 10); i++) {
            model.logits(x, b);
        }
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            model.logits(x, b);
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(ms);
        Map<String, Double> out = new LinkedHashMap<>();
        out.put(label + "_p50", ms[runs / 2]);
        out.put(label + "_p99", ms[Math.min(runs - 1, (int) Math.ceil(runs * 0.99) - 1)]);
        return out;
    }
}
