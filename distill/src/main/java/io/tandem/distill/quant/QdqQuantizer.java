package io.tandem.distill.quant;

import static io.tandem.distill.onnx.OnnxGraphs.byteTensor;
import static io.tandem.distill.onnx.OnnxGraphs.floatTensor;
import static io.tandem.distill.onnx.OnnxGraphs.int32Tensor;
import static io.tandem.distill.onnx.OnnxGraphs.intAttr;
import static io.tandem.distill.onnx.OnnxGraphs.node;

import io.tandem.distill.onnx.OnnxGraphs;
import io.tandem.distill.onnx.proto.GraphProto;
import io.tandem.distill.onnx.proto.ModelProto;
import io.tandem.distill.onnx.proto.NodeProto;
import io.tandem.distill.onnx.proto.StringStringEntryProto;
import io.tandem.distill.onnx.proto.TensorProto;
import io.tandem.proto.RuntimeHints;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Post-training static quantisation to the ONNX QDQ format: int8 weights with one symmetric scale per
 * output channel, 8-bit activations with scales from calibration, int32 biases at the product of the
 * input and weight scales. Float tensors stay in the graph; QuantizeLinear/DequantizeLinear pairs mark
 * where ONNX Runtime may run integer kernels (it fuses {@code DQ -> Conv -> Q} into QLinearConv, drops a
 * ReLU whose output is quantised from zero, and runs MaxPool and Flatten on int8 directly).
 *
 * <p>Pooling and Flatten run on int8 only when their input comes from an integer layer (through ReLU or
 * other int8 pooling): after a layer kept in float they stay float, because ONNX Runtime's uint8 MaxPool in
 * NCHW layout is many times slower than its float one. Weight-only layers keep float arithmetic with
 * dequantised int8 weights and a float bias.
 */
public final class QdqQuantizer {

    private static final Set<String> WEIGHTED = Set.of("Conv", "Gemm");
    /** Ops whose output has the same quantisation as their input. */
    private static final Set<String> SCALE_PRESERVING = Set.of("MaxPool", "Flatten");
    private static final Set<String> POOLING = Set.of("AveragePool", "GlobalAveragePool");

    private final QuantConfig config;
    private final Map<String, Calibrator.Range> ranges;
    private final Map<String, TensorProto> initializers = new HashMap<>();
    private final Map<String, QuantParams> activationParams = new HashMap<>();
    private final Map<String, String> dequantized = new HashMap<>();
    private final Set<String> graphOutputs = new HashSet<>();
    /** Tensors an integer kernel produces (directly, or through ReLU and int8 pooling). */
    private final Set<String> integerChain = new HashSet<>();
    private GraphProto.Builder out;

    private QdqQuantizer(QuantConfig config, Map<String, Calibrator.Range> ranges) {
        this.config = config;
        this.ranges = ranges;
    }

    /** Quantises a float model with calibrated activation ranges. */
    public static ModelProto quantize(ModelProto model, Map<String, Calibrator.Range> ranges, QuantConfig config) {
        return new QdqQuantizer(config, ranges).run(model);
    }

    /** Names of the nodes with weights to quantise (Conv and Gemm), in graph order. */
    public static Set<String> weightedNodes(ModelProto model) {
        Set<String> names = new LinkedHashSet<>();
        model.getGraph().getNodeList().stream().filter(n -> WEIGHTED.contains(n.getOpType()))
                .forEach(n -> names.add(n.getName()));
        return names;
    }

    private ModelProto run(ModelProto model) {
        GraphProto in = model.getGraph();
        Set<String> known = new HashSet<>();
        in.getNodeList().forEach(n -> known.add(n.getName()));
        for (String excluded : config.excludedNodes()) {
            if (!known.contains(excluded)) {
                throw new IllegalArgumentException("cannot keep node '" + excluded + "' in float: the model has no such "
                        + "node; nodes are " + known);
            }
        }
        Set<String> weighted = weightedNodes(model);
        for (String weightOnly : config.weightOnlyNodes()) {
            if (!weighted.contains(weightOnly)) {
                throw new IllegalArgumentException("cannot quantise only the weights of '" + weightOnly + "': the model"
                        + " has no Conv or Gemm node of that name; nodes are " + known);
            }
        }
        in.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        in.getOutputList().forEach(o -> graphOutputs.add(o.getName()));
        out = in.toBuilder().clearNode().clearInitializer();
        Set<String> usedInitializers = new HashSet<>();
        for (NodeProto node : in.getNodeList()) {
            String op = node.getOpType();
            boolean excluded = config.excludedNodes().contains(node.getName());
            boolean onInteger = node.getInputCount() > 0 && integerChain.contains(node.getInput(0));
            if (WEIGHTED.contains(op) && config.weightOnlyNodes().contains(node.getName())) {
                quantizeWeightsOnly(node, usedInitializers);
            } else if (WEIGHTED.contains(op) && !excluded) {
                quantizeWeighted(node);
                integerChain.add(node.getOutput(0));
            } else if ((SCALE_PRESERVING.contains(op) || POOLING.contains(op)) && !excluded && onInteger) {
                String x = dq(node.getInput(0), params(node.getInput(0)));
                if (SCALE_PRESERVING.contains(op)) {
                    activationParams.put(node.getOutput(0), params(node.getInput(0)));
                }
                out.addNode(node.toBuilder().setInput(0, x));
                integerChain.add(node.getOutput(0));
            } else {
                if ("Relu".equals(op) && onInteger) {
                    integerChain.add(node.getOutput(0));
                }
                out.addNode(node);
                node.getInputList().stream().filter(initializers::containsKey).forEach(usedInitializers::add);
            }
        }
        usedInitializers.forEach(name -> out.addInitializer(initializers.get(name)));
        ModelProto.Builder m = model.toBuilder().setGraph(out);
        m.addMetadataProps(StringStringEntryProto.newBuilder().setKey("tandem.quantization")
                .setValue("qdq int8 weights per-channel" + (config.reduceRange() ? " (7-bit)" : "") + ", "
                        + config.activations().name().toLowerCase() + " activations, " + config.calibration()
                        .name().toLowerCase() + (config.weightOnlyNodes().isEmpty() ? ""
                                : ", weight-only " + String.join(",", new TreeSet<>(config.weightOnlyNodes())))));
        if (integerChain.isEmpty() && !config.weightOnlyNodes().isEmpty()) {
            // No integer kernel to fuse: let ONNX Runtime fold the int8 weights to float once, at load, so
            // that its float kernels get constant (pre-packed) weights, as for the float model.
            m.addMetadataProps(StringStringEntryProto.newBuilder()
                    .setKey(RuntimeHints.SESSION_CONFIG_PREFIX + RuntimeHints.DISABLE_QUANT_QDQ).setValue("1"));
        }
        return m.build();
    }

    private void quantizeWeighted(NodeProto node) {
        String x = node.getInput(0);
        QuantParams xp = params(x);
        String xdq = dq(x, xp);
        float[] scales = quantizeWeights(node, config.weightBound());
        String wName = node.getInput(1);
        NodeProto.Builder quantized = node.toBuilder().setInput(0, xdq).setInput(1, wName + "_dq");
        if (node.getInputCount() > 2) {
            TensorProto b = initializer(node, 2);
            float[] bias = OnnxGraphs.floats(b);
            int[] qb = new int[bias.length];
            float[] bScales = new float[bias.length];
            for (int c = 0; c < bias.length; c++) {
                bScales[c] = xp.scale() * scales[c];
                qb[c] = (int) Math.max(Integer.MIN_VALUE + 1L, Math.min(Integer.MAX_VALUE, Math.round(bias[c] / (double) bScales[c])));
            }
            String bName = b.getName();
            out.addInitializer(int32Tensor(bName + "_q", qb, bias.length));
            out.addInitializer(floatTensor(bName + "_s", bScales, bias.length));
            // The zero point of an int32 bias is 0, ONNX's default, so it is left out of the file.
            out.addNode(node("DequantizeLinear", "",
                    List.of(bName + "_q", bName + "_s"), bName + "_dq")
                    .addAttribute(intAttr("axis", 0)));
            quantized.setInput(2, bName + "_dq");
        }
        String y = node.getOutput(0);
        if (graphOutputs.contains(y) && config.quantizeOutput()) {
            String raw = y + "_float";
            quantized.setOutput(0, raw);
            out.addNode(quantized);
            QuantParams yp = params(y);
            addQdq(raw, yp, y);
        } else {
            out.addNode(quantized);
        }
    }

    /** Float arithmetic on int8 weights: only the weight initializer is quantised and dequantised. */
    private void quantizeWeightsOnly(NodeProto node, Set<String> usedInitializers) {
        // Float arithmetic cannot overflow, so these weights use the full int8 range even in reduce-range mode.
        quantizeWeights(node, 127);
        String wName = node.getInput(1);
        if (node.getInputCount() > 2) {
            usedInitializers.add(initializer(node, 2).getName());
        }
        out.addNode(node.toBuilder().setInput(1, wName + "_dq"));
    }

    /**
     * Writes a node's weights as int8 with one symmetric scale per output channel, and their
     * DequantizeLinear, whose output is {@code <weights>_dq}; returns the scales.
     *
     * @param bound the largest quantised magnitude (127, or 63 for 7-bit weights)
     */
    private float[] quantizeWeights(NodeProto node, int bound) {
        TensorProto w = initializer(node, 1);
        float[] weights = OnnxGraphs.floats(w);
        int channels = (int) w.getDims(0);
        if ("Gemm".equals(node.getOpType()) && OnnxGraphs.intAttr(node, "transB", 0) != 1) {
            throw new IllegalArgumentException("Gemm " + node.getName() + " must have transB=1 ([out, in] weights)");
        }
        int perChannel = weights.length / channels;
        int[] q = new int[weights.length];
        float[] scales = new float[channels];
        int[] zeros = new int[channels];
        for (int c = 0; c < channels; c++) {
            float absMax = 0;
            for (int j = 0; j < perChannel; j++) {
                absMax = Math.max(absMax, Math.abs(weights[c * perChannel + j]));
            }
            QuantParams wp = QuantParams.symmetric(absMax, bound);
            scales[c] = wp.scale();
            for (int j = 0; j < perChannel; j++) {
                q[c * perChannel + j] = wp.quantize(weights[c * perChannel + j]);
            }
        }
        long[] dims = w.getDimsList().stream().mapToLong(Long::longValue).toArray();
        String wName = w.getName();
        out.addInitializer(byteTensor(wName + "_q", TensorProto.DataType.INT8_VALUE, q, dims));
        out.addInitializer(floatTensor(wName + "_s", scales, channels));
        out.addInitializer(byteTensor(wName + "_z", TensorProto.DataType.INT8_VALUE, zeros, channels));
        out.addNode(node("DequantizeLinear", "",
                List.of(wName + "_q", wName + "_s", wName + "_z"), wName + "_dq")
                .addAttribute(intAttr("axis", 0)));
        return scales;
    }

    private TensorProto initializer(NodeProto node, int index) {
        TensorProto t = initializers.get(node.getInput(index));
        if (t == null) {
            throw new IllegalArgumentException(node.getOpType() + " " + node.getName() + " input " + index
                    + " is not a constant initializer; only constant weights can be quantised");
        }
        return t;
    }

    /** Quantisation of an activation, from calibration or inherited through a scale-preserving op. */
    private QuantParams params(String tensor) {
        QuantParams p = activationParams.get(tensor);
        if (p != null) {
            return p;
        }
        Calibrator.Range r = ranges.get(tensor);
        if (r == null) {
            throw new IllegalArgumentException("no calibration range for tensor '" + tensor + "'");
        }
        p = QuantParams.asymmetric(r.min(), r.max(), config.activations());
        activationParams.put(tensor, p);
        return p;
    }

    /** The dequantised twin of a float tensor, adding its Q/DQ pair the first time. */
    private String dq(String tensor, QuantParams p) {
        return dequantized.computeIfAbsent(tensor, t -> {
            String name = t + "_dq";
            addQdq(t, p, name);
            return name;
        });
    }

    private void addQdq(String tensor, QuantParams p, String outputName) {
        String scale = tensor + "_s";
        String zero = tensor + "_z";
        out.addInitializer(floatTensor(scale, new float[] {p.scale()}));
        out.addInitializer(byteTensor(zero, config.activations().onnxType(), new int[] {p.zeroPoint()}));
        // Q/DQ nodes stay unnamed: names are optional in ONNX and would only grow the file.
        out.addNode(node("QuantizeLinear", "", List.of(tensor, scale, zero), tensor + "_q"));
        out.addNode(node("DequantizeLinear", "", List.of(tensor + "_q", scale, zero), outputName));
    }
}
