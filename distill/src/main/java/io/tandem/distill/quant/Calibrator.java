package io.tandem.distill.quant;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.tandem.distill.onnx.OnnxGraphs;
import io.tandem.distill.onnx.proto.GraphProto;
import io.tandem.distill.onnx.proto.ModelProto;
import io.tandem.distill.onnx.proto.NodeProto;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Measures the range of every activation of a float model on calibration inputs, by running the model
 * in ONNX Runtime with every intermediate tensor exposed as an output.
 */
public final class Calibrator {

    /** Values kept per tensor for percentile calibration. */
    static final int RESERVOIR = 1 << 18;
    private static final int BATCH = 64;

    private Calibrator() {
    }

    /** The observed range of one tensor. */
    public record Range(float min, float max) {
    }

    /**
     * Ranges of the graph input and every node output.
     *
     * @param model the float model
     * @param inputs normalised inputs, {@code n * elements} values
     * @param n number of inputs
     * @param inputShape shape of one input, without the batch dimension
     * @param calibration how to turn observed values into a range
     * @param percentile upper percentile for {@link Calibration#PERCENTILE}
     */
    public static Map<String, Range> ranges(ModelProto model, float[] inputs, int n, long[] inputShape,
            Calibration calibration, double percentile) {
        if (n == 0) {
            throw new IllegalArgumentException("calibration needs at least one input");
        }
        for (int i = 0; i < inputs.length; i++) {
            if (!Float.isFinite(inputs[i])) {
                throw new IllegalArgumentException("calibration input " + (i / (inputs.length / n)) + " holds "
                        + inputs[i] + " at element " + (i % (inputs.length / n)) + "; calibration data must be finite");
            }
        }
        GraphProto.Builder graph = model.getGraph().toBuilder();
        List<String> tensors = new ArrayList<>();
        String input = graph.getInput(0).getName();
        tensors.add(input);
        java.util.Set<String> outputs = new java.util.HashSet<>();
        graph.getOutputList().forEach(o -> outputs.add(o.getName()));
        for (NodeProto node : graph.getNodeList()) {
            for (String out : node.getOutputList()) {
                tensors.add(out);
                if (!outputs.contains(out)) {
                    graph.addOutput(OnnxGraphs.floatValue(out));
                }
            }
        }
        byte[] augmented = model.toBuilder().setGraph(graph).build().toByteArray();
        Map<String, Stats> stats = new LinkedHashMap<>();
        tensors.forEach(t -> stats.put(t, new Stats(calibration == Calibration.PERCENTILE)));
        int per = inputs.length / n;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession session = env.createSession(augmented, options)) {
                for (int start = 0; start < n; start += BATCH) {
                    int b = Math.min(BATCH, n - start);
                    long[] shape = new long[inputShape.length + 1];
                    shape[0] = b;
                    System.arraycopy(inputShape, 0, shape, 1, inputShape.length);
                    try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(inputs, start * per, b * per), shape);
                         OrtSession.Result r = session.run(Map.of(input, x))) {
                        stats.get(input).add(Arrays.copyOfRange(inputs, start * per, (start + b) * per));
                        for (Map.Entry<String, OnnxValue> e : r) {
                            Stats s = stats.get(e.getKey());
                            if (s != null) {
                                FloatBuffer fb = ((OnnxTensor) e.getValue()).getFloatBuffer();
                                float[] values = new float[fb.remaining()];
                                fb.get(values);
                                s.add(values);
                            }
                        }
                    }
                }
            }
        } catch (OrtException e) {
            throw new IllegalArgumentException("ONNX Runtime cannot run the model for calibration: " + e.getMessage(), e);
        }
        Map<String, Range> ranges = new LinkedHashMap<>();
        stats.forEach((t, s) -> ranges.put(t, s.range(percentile)));
        return ranges;
    }

    /** Running min/max and a reservoir sample of one tensor's values. */
    static final class Stats {
        private float min = Float.POSITIVE_INFINITY;
        private float max = Float.NEGATIVE_INFINITY;
        private final float[] reservoir;
        private long seen;
        private final Random random = new Random(17);

        Stats(boolean keepSample) {
            reservoir = keepSample ? new float[RESERVOIR] : null;
        }

        void add(float[] values) {
            for (float v : values) {
                if (v < min) {
                    min = v;
                }
                if (v > max) {
                    max = v;
                }
                if (reservoir != null) {
                    if (seen < RESERVOIR) {
                        reservoir[(int) seen] = v;
                    } else {
                        long j = (long) (random.nextDouble() * (seen + 1));
                        if (j < RESERVOIR) {
                            reservoir[(int) j] = v;
                        }
                    }
                }
                seen++;
            }
        }

        Range range(double percentile) {
            if (seen == 0) {
                throw new IllegalStateException("no values observed");
            }
            if (reservoir == null) {
                return new Range(min, max);
            }
            int k = (int) Math.min(seen, RESERVOIR);
            float[] sample = Arrays.copyOf(reservoir, k);
            Arrays.sort(sample);
            float hi = sample[(int) Math.min(k - 1, Math.floor(percentile / 100 * (k - 1)))];
            float lo = sample[(int) Math.max(0, Math.ceil((100 - percentile) / 100 * (k - 1)))];
            return new Range(lo, hi);
        }
    }
}
