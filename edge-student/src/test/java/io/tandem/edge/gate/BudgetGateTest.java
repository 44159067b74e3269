package io.tandem.edge.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.proto.v1.GateReason;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BudgetGateTest {

    private static float[] probabilities(Random random, double sharpness) {
        float[] p = new float[10];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) Math.exp(random.nextGaussian() * sharpness);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= (float) sum;
        }
        return p;
    }

    @Test
    void uploadsTheBudgetWhateverTheModelsConfidence() {
        for (double sharpness : new double[] {0.5, 4}) {
            for (MiningStrategy s : MiningStrategy.values()) {
                BudgetGate gate = new BudgetGate(s, 0.08, 0.01, 1);
                Random random = new Random(2);
                Map<GateReason, Integer> reasons = new EnumMap<>(GateReason.class);
                int n = 20_000;
                for (int i = 0; i < n; i++) {
                    gate.check(probabilities(random, sharpness)).ifPresent(r -> reasons.merge(r, 1, Integer::sum));
                }
                int uploaded = reasons.values().stream().mapToInt(Integer::intValue).sum();
                assertEquals(0.08, uploaded / (double) n, 0.01, s + " at sharpness " + sharpness + ": " + reasons);
                assertEquals(0.01, reasons.getOrDefault(GateReason.RANDOM_AUDIT, 0) / (double) n, 0.003, "audit share");
                assertTrue(reasons.containsKey(s.reason()), s + " names its reason");
            }
        }
    }

    @Test
    void aSuddenShiftDoesNotBreakTheBudget() {
        BudgetGate gate = new BudgetGate(MiningStrategy.LEAST_CONFIDENCE, 0.1, 0, 1);
        float[] sure = {0.97f, 0.01f, 0.01f, 0.01f};
        float[] unsure = {0.4f, 0.3f, 0.2f, 0.1f};
        int uploads = 0;
        for (int i = 0; i < 1000; i++) {
            // Quiet times: only one frame in fifty is hard, and no audits: most of the budget goes unused.
            uploads += gate.check(i % 50 == 0 ? unsure : sure).isPresent() ? 1 : 0;
        }
        int before = uploads;
        for (int i = 0; i < 300; i++) {
            uploads += gate.check(unsure).isPresent() ? 1 : 0;
        }
        assertTrue(uploads - before <= 0.1 * BudgetGate.WINDOW + BudgetGate.BURST, "every frame now looks hard, and"
                + " budget left unused before is not spent at once: " + before + " then " + uploads);
    }

    @Test
    void miningPicksTheLeastConfidentFrames() {
        BudgetGate gate = new BudgetGate(MiningStrategy.LEAST_CONFIDENCE, 0.1, 0, 1);
        float[] sure = {0.97f, 0.01f, 0.01f, 0.01f};
        float[] unsure = {0.4f, 0.3f, 0.2f, 0.1f};
        int sureUploads = 0;
        int unsureUploads = 0;
        for (int i = 0; i < 2000; i++) {
            boolean pickUnsure = i % 10 == 0;
            boolean up = gate.check(pickUnsure ? unsure : sure).isPresent();
            sureUploads += !pickUnsure && up ? 1 : 0;
            unsureUploads += pickUnsure && up ? 1 : 0;
        }
        assertTrue(unsureUploads >= 190 && sureUploads <= 10, "unsure " + unsureUploads + ", sure " + sureUploads);
    }

    @Test
    void scoresAreInTheUnitInterval() {
        float[] uniform = {0.25f, 0.25f, 0.25f, 0.25f};
        assertEquals(1.0, MiningStrategy.ENTROPY.score(uniform, new Random(1)), 1e-6);
        assertEquals(1.0, MiningStrategy.MARGIN.score(uniform, new Random(1)), 1e-6);
        assertEquals(0.75, MiningStrategy.LEAST_CONFIDENCE.score(uniform, new Random(1)), 1e-6);
        float[] certain = {1f, 0f, 0f, 0f};
        assertEquals(0.0, MiningStrategy.ENTROPY.score(certain, new Random(1)), 1e-6);
    }
}
