package io.tandem.distill.train;

import java.util.Random;

/**
 * What a camera's light and sensor do to an image, drawn afresh for each image: with probability
 * {@code probability} the image is dimmed (times U(minBrightness, 1)), flattened towards its mean (contrast
 * U(minContrast, 1)), softened by a 3x3 box blur (with probability {@code blurProbability}) and given
 * Gaussian noise (sigma U(0, maxNoise) grey levels). Lets a teacher learn that night, fog and sensor noise
 * do not change what an object is.
 *
 * @param probability share of images changed, [0, 1]
 * @param minBrightness lowest brightness factor, (0, 1]
 * @param minContrast lowest contrast factor, (0, 1]
 * @param blurProbability share of changed images blurred, [0, 1]
 * @param maxNoise largest noise sigma in grey levels, [0, 128]
 */
public record PhotometricAugmentation(double probability, double minBrightness, double minContrast,
        double blurProbability, double maxNoise) implements Augmentation {

    /** A setting that covers dusk to night, light fog and a noisy sensor. */
    public static final PhotometricAugmentation CAMERA = new PhotometricAugmentation(0.7, 0.3, 0.4, 0.3, 16);

    /** Checks the ranges. */
    public PhotometricAugmentation {
        if (!(probability >= 0 && probability <= 1) || !(minBrightness > 0 && minBrightness <= 1)
                || !(minContrast > 0 && minContrast <= 1) || !(blurProbability >= 0 && blurProbability <= 1)
                || !(maxNoise >= 0 && maxNoise <= 128)) {
            throw new IllegalArgumentException("photometric augmentation out of range: " + probability + ", "
                    + minBrightness + ", " + minContrast + ", " + blurProbability + ", " + maxNoise);
        }
    }

    @Override
    public void apply(byte[] pixels, int rows, int cols, Random random) {
        if (random.nextDouble() >= probability) {
            return;
        }
        double brightness = minBrightness + random.nextDouble() * (1 - minBrightness);
        double contrast = minContrast + random.nextDouble() * (1 - minContrast);
        double sigma = random.nextDouble() * maxNoise;
        boolean blur = random.nextDouble() < blurProbability;
        int n = rows * cols;
        double[] v = new double[n];
        double mean = 0;
        for (int i = 0; i < n; i++) {
            v[i] = (pixels[i] & 0xff) * brightness;
            mean += v[i];
        }
        mean /= n;
        for (int i = 0; i < n; i++) {
            v[i] = mean + (v[i] - mean) * contrast;
        }
        if (blur) {
            double[] b = new double[n];
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    double sum = 0;
                    int count = 0;
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) {
                            int yy = y + dy;
                            int xx = x + dx;
                            if (yy >= 0 && yy < rows && xx >= 0 && xx < cols) {
                                sum += v[yy * cols + xx];
                                count++;
                            }
                        }
                    }
                    b[y * cols + x] = sum / count;
                }
            }
            v = b;
        }
        for (int i = 0; i < n; i++) {
            double w = v[i] + (sigma > 0 ? random.nextGaussian() * sigma : 0);
            pixels[i] = (byte) Math.max(0, Math.min(255, Math.round(w)));
        }
    }
}
