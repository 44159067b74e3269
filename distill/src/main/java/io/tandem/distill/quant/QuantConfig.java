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
 * @param excludedNodes names of Conv/Gemm nodes kept in float (per-layer opt-out)
 * @param quantizeOutput also quantise the last layer's output (off keeps float logits)
 */
public record QuantConfig(QuantType activations, boolean reduceRange, Calibration calibration, double percentile,
        Set<String> excludedNodes, boolean quantizeOutput) {

    /** Validates the values. */
    public QuantConfig {
        if (!(percentile > 50 && percentile <= 100)) {
            throw new IllegalArgumentException("percentile must be in (50, 100], got " + percentile);
        }
        excludedNodes = Set.copyOf(excludedNodes);
    }

    /** The weight bound: 63 with reduce range, else 127. */
    public int weightBound() {
        return reduceRange ? 63 : 127;
    }

    /** The default for this CPU: reduce range unless it has VNNI. */
    public static QuantConfig defaults() {
        return new QuantConfig(QuantType.UINT8, !CpuFeatures.hasVnni(), Calibration.MINMAX, 99.99, Set.of(), false);
    }
}
