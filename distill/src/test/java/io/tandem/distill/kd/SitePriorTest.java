package io.tandem.distill.kd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.distill.data.ImageSet;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SitePriorTest {

    private static final int CLASSES = 10;

    @Test
    void quantilesMatchTables() {
        assertEquals(3.0902, SitePrior.normalQuantile(0.999), 1e-4);
        assertEquals(-1.6449, SitePrior.normalQuantile(0.05), 1e-4);
        // chi-square 0.999 quantile with 9 degrees of freedom is 27.877 (Wilson-Hilferty is within 1%).
        assertEquals(27.877, SitePrior.chiSquareQuantile(9, 0.999), 0.3);
    }

    @Test
    void aUniformSiteKeepsTheBaseMix() {
        int[] base = uniform(6000, 1);
        // 400 audits drawn uniformly: the test must not reject (it would at p = 0.001 about once in 1,000 sites).
        assertTrue(SitePrior.estimate(uniform(400, 2), base, CLASSES).isEmpty());
    }

    @Test
    void tooFewAuditsSayNothing() {
        int[] skewed = new int[SitePrior.MIN_AUDITS - 1];
        assertTrue(SitePrior.estimate(skewed, uniform(6000, 1), CLASSES).isEmpty());
    }

    @Test
    void aSkewedSiteIsLearntAndBaseDataFollowsIt() {
        int[] base = uniform(6000, 1);
        Random random = new Random(3);
        int[] audits = new int[200];
        for (int i = 0; i < audits.length; i++) {
            audits[i] = random.nextDouble() < 0.8 ? new int[] {4, 7, 8, 9}[random.nextInt(4)] : random.nextInt(CLASSES);
        }
        SitePrior prior = SitePrior.estimate(audits, base, CLASSES).orElseThrow();
        double mixed = prior.shares()[4] + prior.shares()[7] + prior.shares()[8] + prior.shares()[9];
        assertEquals(0.82, mixed, 0.08);
        float[] shift = prior.logitShift(base);
        assertTrue(shift[4] > 0.5 && shift[0] < -0.5, "seen classes gain, unseen ones lose");

        byte[] pixels = new byte[base.length];
        for (int i = 0; i < base.length; i++) {
            pixels[i] = (byte) base[i];
        }
        ImageSet drawn = prior.resample(new ImageSet(pixels, base, 1, 1), new int[0], 5);
        assertEquals(base.length, drawn.size());
        int inMix = 0;
        for (int i = 0; i < drawn.size(); i++) {
            assertEquals(drawn.labels()[i], drawn.pixels()[i], "each image keeps its own label");
            int c = drawn.labels()[i];
            inMix += c == 4 || c == 7 || c == 8 || c == 9 ? 1 : 0;
        }
        assertEquals(mixed, inMix / (double) drawn.size(), 0.02);
    }

    private static int[] uniform(int n, long seed) {
        Random random = new Random(seed);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(CLASSES);
        }
        return labels;
    }

    @Test
    void baseDataMakesUpWhatTheSitesOwnExamplesLack() {
        int[] base = uniform(6000, 1);
        int[] audits = new int[400];
        for (int i = 0; i < audits.length; i++) {
            audits[i] = i % 2 == 0 ? 4 : 7;
        }
        SitePrior prior = SitePrior.estimate(audits, base, CLASSES).orElseThrow();
        // The examples already hold 3,000 coats (4) and no sneakers (7): the base data is then mostly sneakers.
        int[] examples = new int[3000];
        java.util.Arrays.fill(examples, 4);
        byte[] pixels = new byte[base.length];
        ImageSet drawn = prior.resample(new ImageSet(pixels, base, 1, 1), examples, 5);
        int coats = 0;
        int sneakers = 0;
        for (int label : drawn.labels()) {
            coats += label == 4 ? 1 : 0;
            sneakers += label == 7 ? 1 : 0;
        }
        double total = base.length + examples.length;
        assertEquals(prior.shares()[4] * total, coats + examples.length, 0.05 * total);
        assertEquals(prior.shares()[7] * total, sneakers, 0.05 * total);
    }

    @Test
    void aShiftIsAddedToEachRowOfTheRangeScaledByTheTemperature() {
        float[] logits = {1, 1, 1, 1, 1, 1};
        SitePrior.addShift(logits, 2, 6, new float[] {0.5f, -1f}, 2f);
        assertEquals(1f, logits[0]);
        assertEquals(1f, logits[1]);
        assertEquals(2f, logits[2]);
        assertEquals(-1f, logits[3]);
        assertEquals(2f, logits[4]);
        assertEquals(-1f, logits[5]);
    }
}
