package io.tandem.distill.kd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.tandem.distill.train.DjlRuntime;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The prepared KD loss has the value and the gradient of Hinton's formula, worked out here by hand. */
class DistillationLossTest {

    private static final int BATCH = 5;
    private static final int CLASSES = 4;

    @BeforeAll
    static void offline() {
        DjlRuntime.configure();
    }

    @ParameterizedTest
    @CsvSource({"1, 0", "2, 0.5", "4, 0.7", "3, 1"})
    void valueAndGradientMatchTheFormula(float temperature, float alpha) {
        Random random = new Random(7);
        float[] student = randomLogits(random, 3f);
        float[] teacher = randomLogits(random, 5f);
        int[] labels = new int[BATCH];
        for (int j = 0; j < BATCH; j++) {
            labels[j] = random.nextInt(CLASSES);
        }

        double expectedLoss = 0;
        float[] expectedGradient = new float[BATCH * CLASSES];
        for (int j = 0; j < BATCH; j++) {
            double[] q = softmax(student, j, 1);
            double[] qT = softmax(student, j, temperature);
            double[] pT = softmax(teacher, j, temperature);
            expectedLoss += (1 - alpha) * -Math.log(q[labels[j]]) / BATCH;
            for (int c = 0; c < CLASSES; c++) {
                expectedLoss += alpha * temperature * temperature * pT[c] * Math.log(pT[c] / qT[c]) / BATCH;
                double hard = (c == labels[j] ? 1 : 0);
                expectedGradient[j * CLASSES + c] = (float) ((1 - alpha) * (q[c] - hard) / BATCH
                        + alpha * temperature * (qT[c] - pT[c]) / BATCH);
            }
        }

        DistillationLoss loss = new DistillationLoss(temperature, alpha);
        float[] hard = new float[BATCH * CLASSES];
        float[] soft = teacher.clone();
        loss.prepare(labels, soft, BATCH, CLASSES, hard, soft);
        try (NDManager manager = NDManager.newBaseManager(Engine.getEngine("PyTorch").defaultDevice(), "PyTorch")) {
            NDArray logits = manager.create(student, new Shape(BATCH, CLASSES));
            logits.setRequiresGradient(true);
            NDList targets = new NDList();
            if (loss.usesLabels()) {
                targets.add(manager.create(hard, new Shape(BATCH, CLASSES)));
            }
            if (loss.usesTeacher()) {
                targets.add(manager.create(soft, new Shape(BATCH, CLASSES)));
            }
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray value = loss.evaluate(targets, new NDList(logits));
                assertEquals(expectedLoss, value.getFloat(), 1e-5);
                collector.backward(value);
            }
            assertArrayEquals(expectedGradient, logits.getGradient().toFloatArray(), 1e-6f);
        }
    }

    @Test
    void refusesOutOfRangeSettings() {
        assertThrows(IllegalArgumentException.class, () -> new DistillationLoss(0f, 0.5f));
        assertThrows(IllegalArgumentException.class, () -> new DistillationLoss(2f, 1.5f));
    }

    private static float[] randomLogits(Random random, float spread) {
        float[] logits = new float[BATCH * CLASSES];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (random.nextGaussian() * spread);
        }
        return logits;
    }

    private static double[] softmax(float[] logits, int row, float temperature) {
        double[] p = new double[CLASSES];
        double sum = 0;
        for (int c = 0; c < CLASSES; c++) {
            p[c] = Math.exp(logits[row * CLASSES + c] / temperature);
            sum += p[c];
        }
        for (int c = 0; c < CLASSES; c++) {
            p[c] /= sum;
        }
        return p;
    }
}
