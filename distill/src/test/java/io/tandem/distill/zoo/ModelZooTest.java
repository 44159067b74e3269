package io.tandem.distill.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ModelZooTest {

    @Test
    void countsParametersAndMacsByHand() {
        Architecture teacher = ModelZoo.get(ModelZoo.TEACHER_CNN);
        assertEquals(320 + 64 + 18_496 + 128 + 73_856 + 256 + 1_605_888 + 2_570, teacher.parameterCount());
        assertEquals(225_792L + 14_450_688 + 14_450_688 + 1_605_632 + 2_560, teacher.macs());

        Architecture tiny = ModelZoo.get(ModelZoo.STUDENT_TINY);
        assertEquals(80 + 1_168 + 7_850, tiny.parameterCount());
        assertEquals(56_448L + 225_792 + 7_840, tiny.macs());
        assertTrue(tiny.parameterCount() <= teacher.parameterCount() / 100, "student-tiny has <= 1% of the teacher's");

        Architecture small = ModelZoo.get(ModelZoo.STUDENT_SMALL);
        assertEquals(160 + 4_640 + 15_690, small.parameterCount());

        Architecture mlp = ModelZoo.mlp("sensor", 12, 3, 16);
        assertEquals(12 * 16 + 16 + 16 * 3 + 3, mlp.parameterCount());
        assertEquals(12 * 16 + 16 * 3, mlp.macs());
        assertEquals(3, mlp.classes());
    }

    @Test
    void unknownNamesAndBadShapesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelZoo.get("resnet-9000"));
        assertTrue(e.getMessage().contains(ModelZoo.STUDENT_TINY), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ModelZoo.mlp("x", 0, 3));
        assertThrows(IllegalArgumentException.class, () -> ModelZoo.mlp("x", 4, 3, -1));
    }
}
