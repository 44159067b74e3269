package io.tandem.distill.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class QuantParamsTest {

    @Test
    void asymmetricRangeRepresentsZeroExactly() {
        QuantParams p = QuantParams.asymmetric(-1f, 3f, QuantType.UINT8);
        assertEquals(4f / 255, p.scale(), 1e-7);
        assertEquals(64, p.zeroPoint());
        assertEquals(0f, p.dequantize(p.quantize(0f)));
        assertEquals(0, p.quantize(-5f), "clamped below");
        assertEquals(255, p.quantize(50f), "clamped above");
        for (float x = -1f; x <= 3f; x += 0.01f) {
            assertTrue(Math.abs(p.dequantize(p.quantize(x)) - x) <= p.scale() / 2 + 1e-6, "round trip of " + x);
        }
    }

    @Test
    void reluOutputsGetTheLowestZeroPointSoOnnxRuntimeCanDropTheRelu() {
        assertEquals(0, QuantParams.asymmetric(0f, 6f, QuantType.UINT8).zeroPoint());
        assertEquals(-128, QuantParams.asymmetric(0f, 6f, QuantType.INT8).zeroPoint());
        assertEquals(0, QuantParams.asymmetric(0.5f, 6f, QuantType.UINT8).zeroPoint(), "range widened to include 0");
    }

    @Test
    void symmetricWeightsRespectTheReducedRange() {
        QuantParams full = QuantParams.symmetric(2f, 127);
        QuantParams reduced = QuantParams.symmetric(2f, 63);
        assertEquals(127, full.quantize(2f));
        assertEquals(-127, full.quantize(-2f));
        assertEquals(63, reduced.quantize(2f));
        assertEquals(-63, reduced.quantize(-9f));
        assertEquals(0, reduced.zeroPoint());
        assertEquals(1f, QuantParams.symmetric(0f, 127).scale(), "an all-zero channel still has a valid scale");
    }

    @Test
    void roundsHalfToEven() {
        QuantParams p = QuantParams.symmetric(127f, 127);
        assertEquals(2, p.quantize(2.5f));
        assertEquals(4, p.quantize(3.5f));
        assertEquals(-2, p.quantize(-2.5f));
    }

    @Test
    void refusesNonFiniteRanges() {
        assertThrows(IllegalArgumentException.class, () -> QuantParams.asymmetric(Float.NaN, 1f, QuantType.UINT8));
        assertThrows(IllegalArgumentException.class, () -> QuantParams.asymmetric(2f, 1f, QuantType.UINT8));
        assertThrows(IllegalArgumentException.class, () -> QuantParams.symmetric(Float.POSITIVE_INFINITY, 127));
    }
}
