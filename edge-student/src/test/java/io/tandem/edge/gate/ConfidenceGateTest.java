package io.tandem.edge.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.edge.inference.StudentModel;
import io.tandem.proto.v1.GateReason;
import org.junit.jupiter.api.Test;

class ConfidenceGateTest {

    @Test
    void escalatesOnlyInputsUnderTheThreshold() {
        ConfidenceGate gate = new ConfidenceGate(0.6f);
        assertEquals(GateReason.LOW_CONFIDENCE, gate.check(new float[] {0.5f, 0.3f, 0.2f}).orElseThrow());
        assertTrue(gate.check(new float[] {0.6f, 0.3f, 0.1f}).isEmpty());
        assertTrue(gate.check(new float[] {0.05f, 0.95f}).isEmpty());
    }

    @Test
    void refusesThresholdsOutsideZeroToOne() {
        assertThrows(IllegalArgumentException.class, () -> new ConfidenceGate(1.5f));
        assertThrows(IllegalArgumentException.class, () -> new ConfidenceGate(Float.NaN));
    }

    @Test
    void softmaxIsStableForLargeLogits() {
        float[] p = StudentModel.softmax(new float[] {1000f, 999f, -1000f});
        assertEquals(1.0, p[0] + p[1] + p[2], 1e-6);
        assertTrue(p[0] > p[1] && p[2] == 0f);
    }
}
