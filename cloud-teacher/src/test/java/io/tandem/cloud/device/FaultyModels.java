package io.tandem.cloud.device;

import static io.tandem.distill.onnx.OnnxGraphs.floatTensor;
import static io.tandem.distill.onnx.OnnxGraphs.intAttr;
import static io.tandem.distill.onnx.OnnxGraphs.node;

import io.tandem.distill.onnx.OnnxGraphs;
import io.tandem.distill.onnx.proto.GraphProto;
import io.tandem.distill.onnx.proto.ModelProto;
import io.tandem.distill.onnx.proto.OperatorSetIdProto;
import io.tandem.distill.onnx.proto.TensorProto;
import io.tandem.distill.onnx.proto.TensorShapeProto;
import io.tandem.distill.onnx.proto.TypeProto;
import io.tandem.distill.onnx.proto.ValueInfoProto;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Small real ONNX classifiers that are wrong for a device in one way each: an input of another size,
 * integer outputs, or a graph that fails at run time on bright frames (a data-dependent reshape), which
 * loads, passes dark smoke inputs and breaks only once the camera sees daylight.
 */
final class FaultyModels {

    /** What is wrong with the model. */
    enum Fault { NONE, INPUT_32X32, INT64_OUTPUT, FAILS_ON_BRIGHT }

    private FaultyModels() {
    }

    /** Writes a linear classifier over 28x28 (or 32x32) frames with {@code fault} to {@code file}. */
    static Path write(Fault fault, Path file) {
        long side = fault == Fault.INPUT_32X32 ? 32 : 28;
        int features = (int) (side * side);
        Random random = new Random(7);
        float[] w = new float[10 * features];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian() * 0.05f;
        }
        GraphProto.Builder g = GraphProto.newBuilder().setName("faulty-" + fault.name().toLowerCase());
        g.addInitializer(floatTensor("w", w, 10, features));
        g.addInitializer(floatTensor("b", new float[10], 10));
        g.addNode(node("Flatten", "flatten", List.of("input"), "flat").addAttribute(intAttr("axis", 1)));
        String z = fault == Fault.NONE ? "logits" : "z";
        g.addNode(node("Gemm", "fc", List.of("flat", "w", "b"), z).addAttribute(intAttr("transB", 1)));
        TensorProto.DataType outType = TensorProto.DataType.FLOAT;
        switch (fault) {
            case INT64_OUTPUT -> {
                g.addNode(node("Cast", "cast", List.of("z"), "logits").addAttribute(intAttr("to",
                        TensorProto.DataType.INT64_VALUE)));
                outType = TensorProto.DataType.INT64;
            }
            case FAILS_ON_BRIGHT -> {
                // shape = (1 + (max(input) > 1.5)) * [-1, 10]: [-1, 10] for dark frames, [-2, 20] (invalid) for bright.
                g.addInitializer(floatTensor("limit", new float[] {1.5f}));
                g.addInitializer(TensorProto.newBuilder().setName("one").setDataType(TensorProto.DataType.INT64_VALUE)
                        .addInt64Data(1));
                g.addInitializer(TensorProto.newBuilder().setName("base").setDataType(TensorProto.DataType.INT64_VALUE)
                        .addDims(2).addInt64Data(-1).addInt64Data(10));
                g.addNode(node("ReduceMax", "max", List.of("input"), "mx").addAttribute(intAttr("keepdims", 0)));
                g.addNode(node("Greater", "bright", List.of("mx", "limit"), "is_bright"));
                g.addNode(node("Cast", "k", List.of("is_bright"), "k").addAttribute(intAttr("to",
                        TensorProto.DataType.INT64_VALUE)));
                g.addNode(node("Add", "k1", List.of("k", "one"), "k1"));
                g.addNode(node("Mul", "shape", List.of("k1", "base"), "shape"));
                g.addNode(node("Reshape", "reshape", List.of("z", "shape"), "logits"));
            }
            case INPUT_32X32, NONE -> {
                if (fault == Fault.INPUT_32X32) {
                    g.addNode(node("Identity", "out", List.of("z"), "logits"));
                }
            }
        }
        g.addInput(value("input", TensorProto.DataType.FLOAT, -1, 1, side, side));
        g.addOutput(value("logits", outType, -1, 10));
        ModelProto model = ModelProto.newBuilder().setIrVersion(8).setProducerName("tandem-test").setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).build();
        return OnnxGraphs.write(model, file);
    }

    private static ValueInfoProto value(String name, TensorProto.DataType type, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : dims) {
            shape.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape))).build();
    }
}
