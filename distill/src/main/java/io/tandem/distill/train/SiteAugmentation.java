package io.tandem.distill.train;

import java.util.Random;

/**
 * Makes base images look like one site's camera, from the site's own input statistics: each image is
 * scaled in brightness by about {@code brightness} and in contrast by about {@code contrast} (each varied by
 * up to {@code spread} either way) and given Gaussian noise of up to {@code maxNoise} grey levels. With
 * probability {@code 1 - probability} an image is left as it is. A site student trained this way learns
 * the base data as its site would show it.
 *
 * @param probability share of images changed, [0, 1]
 * @param brightness typical brightness factor of the site against the base data, (0, 2]
 * @param contrast typical contrast factor, (0, 2]
 * @param spread relative variation of both factors, [0, 0.5]
 * @param maxNoise largest noise sigma in grey levels, [0, 128]
 */
public record SiteAugmentation(double probability, double brightness, double contrast, double spread, double maxNoise)
        implements Augmentation {

    /** Checks the ranges. */
    public SiteAugmentation {
        if (!(probability >= 0 && probability <= 1) || !(brightness > 0 && brightness <= 2)
                || !(contrast > 0 && contrast <= 2) || !(spread >= 0 && spread <= 0.5) || !(maxNoise >= 0 && maxNoise <= 128)) {
            throw new IllegalArgumentException("site augmentation out of range: " + probability + ", " + brightness + ", "
                    + contrast + ", " + spread + ", " + maxNoise);
        }
    }

    /**
     * The augmentation that maps images of mean {@code baseMean} and spread {@code baseStd} (in [0, 1]) to a
     * site whose input has {@code siteMean} and {@code siteStd}: brightness from the means, contrast from
     * what brightness leaves of the spread.
     */
    public static SiteAugmentation matching(double baseMean, double baseStd, double siteMean, double siteStd) {
        double b = Math.max(0.05, Math.min(2, siteMean / Math.max(1e-3, baseMean)));
        double c = Math.max(0.05, Math.min(2, siteStd / Math.max(1e-3, baseStd * b)));
        return new SiteAugmentation(0.8, b, c, 0.15, 12);
    }

    @Override
    public void apply(byte[] pixels, int rows, int cols, Random random) {
        if (random.nextDouble() >= probability) {
            return;
        }
        double b = brightness * (1 + spread * (2 * random.nextDouble() - 1));
        double c = contrast * (1 + spread * (2 * random.nextDouble() - 1));
        double sigma = random.nextDouble() * maxNoise;
        int n = rows * cols;
        double mean = 0;
        for (int i = 0; i < n; i++) {
            mean += (pixels[i] & 0xff) * b;
        }
        mean /= n;
        for (int i = 0; i < n; i++) {
            double v = mean + ((pixels[i] & 0xff) * b - mean) * c + random.nextGaussian() * sigma;
            pixels[i] = (byte) Math.max(0, Math.min(255, Math.round(v)));
        }
    }
}
