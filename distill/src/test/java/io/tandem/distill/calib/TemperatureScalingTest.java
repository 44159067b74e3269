package io.tandem.distill.calib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TemperatureScalingTest {

    /** Logits of an over-confident classifier: right 80% of the time, but with huge margins. */
    private static float[] overconfident(int[] labels, int classes, Random random) {
        float[] logits = new float[labels.length * classes];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = random.nextInt(classes);
            int predicted = random.nextDouble() < 0.8 ? labels[i] : (labels[i] + 1) % classes;
            for (int c = 0; c < classes; c++) {
                logits[i * classes + c] = (float) random.nextGaussian();
            }
            logits[i * classes + predicted] += 12f;
        }
        return logits;
    }

    @Test
    void softensAnOverconfidentModelAndLowersItsCalibrationError() {
        int classes = 10;
        int[] labels = new int[4000];
        float[] logits = overconfident(labels, classes, new Random(5));
        float t = TemperatureScaling.fit(logits, labels, classes);
        assertTrue(t > 2, "an over-confident model needs T > 1, got " + t);
        double before = TemperatureScaling.expectedCalibrationError(
                TemperatureScaling.probabilities(logits, classes, 1), labels, classes, 15);
        double after = TemperatureScaling.expectedCalibrationError(
                TemperatureScaling.probabilities(logits, classes, t), labels, classes, 15);
        assertTrue(before > 0.15, "uncalibrated ECE " + before);
        assertTrue(after < before / 3, "ECE " + before + " -> " + after);
        assertTrue(TemperatureScaling.nll(logits, labels, classes, t)
                <= TemperatureScaling.nll(logits, labels, classes, 1));
    }

    @Test
    void perfectCalibrationHasZeroError() {
        float[] p = {1f, 0f, 0f, 1f};
        assertEquals(0.0, TemperatureScaling.expectedCalibrationError(p, new int[] {0, 1}, 2, 10), 1e-9);
        assertEquals(1.0, TemperatureScaling.expectedCalibrationError(p, new int[] {1, 0}, 2, 10), 1e-9);
    }
}
