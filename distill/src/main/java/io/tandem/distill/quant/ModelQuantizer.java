package io.tandem.distill.quant;

import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.onnx.OnnxGraphs;
import io.tandem.distill.onnx.proto.ModelProto;
import io.tandem.distill.onnx.proto.TensorShapeProto;
import java.nio.file.Path;
import java.util.Map;

/** Quantises an ONNX file: calibrates on images, writes the QDQ model and reports what ONNX Runtime runs. */
public final class ModelQuantizer {

    private ModelQuantizer() {
    }

    /**
     * What quantisation produced.
     *
     * @param output the INT8 model file
     * @param optimizedOps op types ONNX Runtime runs for it, with counts
     */
    public record Result(Path output, Map<String, Integer> optimizedOps) {

        /** Number of integer convolution and matrix kernels ONNX Runtime runs. */
        public int integerKernels() {
            return optimizedOps.entrySet().stream()
                    .filter(e -> e.getKey().startsWith("QLinear") || e.getKey().equals("QGemm")
                            || e.getKey().equals("MatMulInteger") || e.getKey().equals("ConvInteger"))
                    .mapToInt(Map.Entry::getValue).sum();
        }
    }

    /** Calibrates {@code floatModel} on {@code calibration} and writes the quantised model to {@code output}. */
    public static Result quantize(Path floatModel, ImageSet calibration, Normalization normalization, QuantConfig config,
            Path output) {
        ModelProto model = OnnxGraphs.read(floatModel);
        long[] inputShape = model.getGraph().getInput(0).getType().getTensorType().getShape().getDimList().stream()
                .skip(1).mapToLong(TensorShapeProto.Dimension::getDimValue).toArray();
        long per = 1;
        for (long d : inputShape) {
            per *= d;
        }
        if (per != calibration.imageSize()) {
            throw new IllegalArgumentException(floatModel + " takes inputs of " + per + " values, calibration images have "
                    + calibration.imageSize());
        }
        int n = calibration.size();
        float[] inputs = new float[Math.multiplyExact(n, calibration.imageSize())];
        normalization.apply(calibration.pixels(), 0, inputs.length, inputs, 0);
        Map<String, Calibrator.Range> ranges = Calibrator.ranges(model, inputs, n, inputShape, config.calibration(),
                config.percentile());
        OnnxGraphs.write(QdqQuantizer.quantize(model, ranges, config), output);
        return new Result(output, OrtGraphInspector.optimizedOpTypes(output));
    }
}
