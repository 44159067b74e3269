package io.tandem.distill.quant;

import java.util.Set;

/**
 * How to quantise a model.
 *
 * @param activations the 8-bit type of activations (weights are always int8)
 * @param reduceRange 7-bit weights (+-63); needed on x86 CPUs without VNNI, where the int8 kernels'
 *     16-bit intermediate sums overflow with full-range weights
 * @param calibration how activation ranges are chosen
 * @param percentile the upper percentile for {@link Calibration#PERCENTILE}, e.g. 99.99
 * @param excludedNodes names of nodes kept in float (per-layer opt-out)
 * @param quantizeOutput also quantise the last layer's output (off keeps float logits)
 * @param weightOnlyNodes names of Conv/Gemm nodes whose weights are stored as int8 and dequantised for a float
 *     kernel: the file shrinks as with full quantisation, the arithmetic stays float (for CPUs where ONNX
 *     Runtime's float kernel beats its integer one for that layer)
 */
public record QuantConfig(QuantType activations, boolean reduceRange, Calibration calibration, double percentile,
        Set<String> excludedNodes, boolean quantizeOutput, Set<String> weightOnlyNodes) {

    /** Validates the values. */
    public QuantConfig {
        if (!(percentile > 50 && percentile <= 100)) {
            throw new IllegalArgumentException("percentile must be in (50, 100], got " + percentile);
        }
        excludedNodes = Set.copyOf(excludedNodes);
        weightOnlyNodes = Set.copyOf(weightOnlyNodes);
        for (String node : weightOnlyNodes) {
            if (excludedNodes.contains(node)) {
                throw new IllegalArgumentException("node '" + node + "' cannot be both kept in float and weight-only");
            }
        }
    }

    /** A configuration with every weighted layer fully quantised unless excluded. */
    public QuantConfig(QuantType activations, boolean reduceRange, Calibration calibration, double percentile,
            Set<String> excludedNodes, boolean quantizeOutput) {
        this(activations, reduceRange, calibration, percentile, excludedNodes, quantizeOutput, Set.of());
    }

    /** The weight bound: 63 with reduce range, else 127. */
    public int weightBound() {
        return reduceRange ? 63 : 127;
    }

    /** The default for this CPU: reduce range unless it has VNNI. */
    public static QuantConfig defaults() {
        return new QuantConfig(QuantType.UINT8, !CpuFeatures.hasVnni(), Calibration.MINMAX, 99.99, Set.of(), false,
                Set.of());
    }
}
