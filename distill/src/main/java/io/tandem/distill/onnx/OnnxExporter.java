package io.tandem.distill.onnx;

import static io.tandem.distill.onnx.OnnxGraphs.floatAttr;
import static io.tandem.distill.onnx.OnnxGraphs.floatTensor;
import static io.tandem.distill.onnx.OnnxGraphs.intAttr;
import static io.tandem.distill.onnx.OnnxGraphs.ints;
import static io.tandem.distill.onnx.OnnxGraphs.node;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import io.tandem.distill.onnx.proto.GraphProto;
import io.tandem.distill.onnx.proto.ModelProto;
import io.tandem.distill.onnx.proto.NodeProto;
import io.tandem.distill.onnx.proto.OperatorSetIdProto;
import io.tandem.distill.onnx.proto.StringStringEntryProto;
import io.tandem.distill.onnx.proto.TensorProto;
import io.tandem.distill.onnx.proto.TensorShapeProto;
import io.tandem.distill.onnx.proto.TypeProto;
import io.tandem.distill.onnx.proto.ValueInfoProto;
import io.tandem.distill.train.TrainedModel;
import io.tandem.distill.zoo.Architecture;
import io.tandem.distill.zoo.Layer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;


/**
 * Writes a trained zoo model as an ONNX file that ONNX Runtime loads: one input {@code input}
 * {@code [batch, C, H, W]} float, one output {@code logits} {@code [batch, classes]}.
 *
 * <p>Batch normalisation that follows a convolution is folded into the convolution's weights; dropout is
 * the identity at inference and is left out.
 */
public final class OnnxExporter {

    /** Name of the graph input. */
    public static final String INPUT = "input";
    /** Name of the graph output. */
    public static final String OUTPUT = "logits";
    /** ONNX IR version written. */
    public static final long IR_VERSION = 8;
    /** Default-domain opset written. */
    public static final long OPSET = 17;

    private OnnxExporter() {
    }

    /** Builds the ONNX model of a trained model, with metadata properties. */
    public static ModelProto toOnnx(TrainedModel model, Map<String, String> metadata) {
        Architecture arch = model.architecture();
        List<Block> blocks = new ArrayList<>(model.djlModel().getBlock().getChildren().values());
        if (blocks.size() != arch.layers().size()) {
            throw new IllegalStateException(arch.name() + " has " + arch.layers().size() + " layers but the block has "
                    + blocks.size() + " children");
        }
        GraphProto.Builder graph = GraphProto.newBuilder().setName(arch.name());
        String current = INPUT;
        int i = 0;
        while (i < arch.layers().size()) {
            Layer layer = arch.layers().get(i);
            Block block = blocks.get(i);
            String out = "t" + i;
            if (layer instanceof Layer.Conv c) {
                float[] w = values(block, "weight");
                float[] b = values(block, "bias");
                if (i + 1 < arch.layers().size() && arch.layers().get(i + 1) instanceof Layer.BatchNorm bn) {
                    fold(w, b, blocks.get(i + 1), bn.epsilon());
                    i++;
                    out = "t" + i;
                }
                String wName = "conv" + i + ".weight";
                String bName = "conv" + i + ".bias";
                graph.addInitializer(floatTensor(wName, w, c.outChannels(), c.inChannels(), c.kernel(), c.kernel()));
                graph.addInitializer(floatTensor(bName, b, c.outChannels()));
                graph.addNode(node("Conv", "conv" + i, List.of(current, wName, bName), out)
                        .addAttribute(ints("kernel_shape", c.kernel(), c.kernel()))
                        .addAttribute(ints("pads", c.padding(), c.padding(), c.padding(), c.padding()))
                        .addAttribute(ints("strides", 1, 1)));
            } else if (layer instanceof Layer.BatchNorm bn) {
                String p = "bn" + i + ".";
                graph.addInitializer(floatTensor(p + "scale", values(block, "gamma"), bn.channels()));
                graph.addInitializer(floatTensor(p + "bias", values(block, "beta"), bn.channels()));
                graph.addInitializer(floatTensor(p + "mean", values(block, "runningMean"), bn.channels()));
                graph.addInitializer(floatTensor(p + "var", values(block, "runningVar"), bn.channels()));
                graph.addNode(node("BatchNormalization", "bn" + i,
                        List.of(current, p + "scale", p + "bias", p + "mean", p + "var"), out)
                        .addAttribute(floatAttr("epsilon", bn.epsilon())));
            } else if (layer instanceof Layer.Relu) {
                graph.addNode(node("Relu", "relu" + i, List.of(current), out));
            } else if (layer instanceof Layer.MaxPool p) {
                graph.addNode(node("MaxPool", "pool" + i, List.of(current), out)
                        .addAttribute(ints("kernel_shape", p.size(), p.size()))
                        .addAttribute(ints("strides", p.size(), p.size())));
            } else if (layer instanceof Layer.AvgPool p) {
                graph.addNode(node("AveragePool", "avgpool" + i, List.of(current), out)
                        .addAttribute(ints("kernel_shape", p.size(), p.size()))
                        .addAttribute(ints("strides", p.size(), p.size())));
            } else if (layer instanceof Layer.GlobalAvgPool) {
                graph.addNode(node("GlobalAveragePool", "gap" + i, List.of(current), out));
            } else if (layer instanceof Layer.Flatten) {
                graph.addNode(node("Flatten", "flatten" + i, List.of(current), out)
                        .addAttribute(intAttr("axis", 1)));
            } else if (layer instanceof Layer.Linear l) {
                String wName = "fc" + i + ".weight";
                String bName = "fc" + i + ".bias";
                graph.addInitializer(floatTensor(wName, values(block, "weight"), l.outFeatures(), l.inFeatures()));
                graph.addInitializer(floatTensor(bName, values(block, "bias"), l.outFeatures()));
                graph.addNode(node("Gemm", "fc" + i, List.of(current, wName, bName), out)
                        .addAttribute(intAttr("transB", 1)));
            } else if (layer instanceof Layer.Dropout) {
                out = current;
            } else {
                throw new IllegalArgumentException("no ONNX export for layer " + layer);
            }
            current = out;
            i++;
        }
        // Name the last tensor "logits" by renaming the producing node's output.
        int last = graph.getNodeCount() - 1;
        NodeProto.Builder lastNode = graph.getNodeBuilder(last);
        lastNode.setOutput(0, OUTPUT);

        List<Long> inputDims = arch.inputShape();
        graph.addInput(valueInfo(INPUT, inputDims));
        graph.addOutput(valueInfo(OUTPUT, List.of((long) arch.classes())));

        ModelProto.Builder onnx = ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName("tandem-distill")
                .setProducerVersion("0.1").setGraph(graph)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET));
        metadata.forEach((k, v) -> onnx.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return onnx.build();
    }

    /** Writes the ONNX file atomically (temporary file, then rename). */
    public static Path write(TrainedModel model, Map<String, String> metadata, Path file) {
        return OnnxGraphs.write(toOnnx(model, metadata), file);
    }

    private static void fold(float[] weight, float[] bias, Block batchNorm, float epsilon) {
        float[] gamma = values(batchNorm, "gamma");
        float[] beta = values(batchNorm, "beta");
        float[] mean = values(batchNorm, "runningMean");
        float[] var = values(batchNorm, "runningVar");
        int perChannel = weight.length / bias.length;
        for (int c = 0; c < bias.length; c++) {
            float k = (float) (gamma[c] / Math.sqrt(var[c] + epsilon));
            for (int j = 0; j < perChannel; j++) {
                weight[c * perChannel + j] *= k;
            }
            bias[c] = (bias[c] - mean[c]) * k + beta[c];
        }
    }

    private static float[] values(Block block, String name) {
        Parameter p = block.getParameters().get(name);
        if (p == null || !p.isInitialized()) {
            throw new IllegalStateException("block " + block.getClass().getSimpleName() + " has no initialised '"
                    + name + "' parameter; known: " + block.getParameters().keys());
        }
        return p.getArray().toFloatArray();
    }

    private static ValueInfoProto valueInfo(String name, List<Long> dimsWithoutBatch) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        for (long d : dimsWithoutBatch) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }
}
