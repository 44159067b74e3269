package io.tandem.distill.quant;

import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.onnx.OnnxGraphs;
import java.nio.file.Path;
import java.util.Set;

/**
 * The INT8 form a student ships in, chosen for the devices' CPU: integer kernels (QDQ, U8S8) where the CPU
 * has an int8 dot-product instruction (VNNI; SDOT/UDOT on ARM), else weight-only INT8, whose weights are
 * stored as int8 (3.4x smaller) and folded back to float once at load, because integer kernels without such
 * an instruction are slower than float (see bench/RESULTS.md).
 */
public final class DeviceInt8 {

    /** Form name of weight-only INT8 in manifests. */
    public static final String WEIGHT_ONLY = "int8-weight-only";
    /** Form name of integer-kernel INT8 in manifests. */
    public static final String QDQ = "int8-qdq";

    private DeviceInt8() {
    }

    /** The chosen form, why, and the result of quantising. */
    public record Choice(String form, String reason, ModelQuantizer.Result result) {
    }

    /** Quantises {@code fp32} into {@code out} in the form that suits a CPU with or without int8 dot products. */
    public static Choice quantize(Path fp32, ImageSet calibration, Normalization normalization, boolean int8DotProduct,
            Path out) {
        if (int8DotProduct) {
            ModelQuantizer.Result r = ModelQuantizer.quantize(fp32, calibration, normalization,
                    new QuantConfig(QuantType.UINT8, false, Calibration.MINMAX, 99.99, Set.of(), false, Set.of()), out);
            return new Choice(QDQ, "the target CPU has an int8 dot-product instruction: integer kernels", r);
        }
        Set<String> weighted = QdqQuantizer.weightedNodes(OnnxGraphs.read(fp32));
        ModelQuantizer.Result r = ModelQuantizer.quantize(fp32, calibration, normalization,
                new QuantConfig(QuantType.UINT8, false, Calibration.MINMAX, 99.99, Set.of(), false, weighted), out);
        return new Choice(WEIGHT_ONLY, "no int8 dot-product instruction on the target CPU: integer kernels would be"
                + " slower than float, so weights are stored as int8 and computed in float", r);
    }
}
