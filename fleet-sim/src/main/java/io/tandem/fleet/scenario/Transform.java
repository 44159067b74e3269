package io.tandem.fleet.scenario;

import java.util.List;
import java.util.Random;

/**
 * One change a site's camera makes to what it sees. Pixel transforms map a grey {@code rows x cols} image
 * of unsigned bytes to another; {@link ClassMix} changes which objects the site sees instead.
 */
public sealed interface Transform {

    /** Applies the transform to a copy of {@code pixels}; {@code random} is the frame's own generator. */
    byte[] apply(byte[] pixels, int rows, int cols, Random random);

    /** Darker: every pixel times {@code factor} in (0, 1]. */
    record Darken(double factor) implements Transform {
        /** Checks the range. */
        public Darken {
            Scenario.require(factor > 0 && factor <= 1, "darken.factor must be in (0, 1], got " + factor);
        }

        @Override
        public byte[] apply(byte[] pixels, int rows, int cols, Random random) {
            byte[] out = new byte[pixels.length];
            for (int i = 0; i < pixels.length; i++) {
                out[i] = clamp((pixels[i] & 0xff) * factor);
            }
            return out;
        }
    }

    /** Lower (or higher) contrast: each pixel moved towards the image's mean by {@code factor} in (0, 4]. */
    record Contrast(double factor) implements Transform {
        /** Checks the range. */
        public Contrast {
            Scenario.require(factor > 0 && factor <= 4, "contrast.factor must be in (0, 4], got " + factor);
        }

        @Override
        public byte[] apply(byte[] pixels, int rows, int cols, Random random) {
            double mean = 0;
            for (byte b : pixels) {
                mean += b & 0xff;
            }
            mean /= pixels.length;
            byte[] out = new byte[pixels.length];
            for (int i = 0; i < pixels.length; i++) {
                out[i] = clamp(mean + ((pixels[i] & 0xff) - mean) * factor);
            }
            return out;
        }
    }

    /** Fog or a soft focus: a box blur of the given radius in 1..5, applied twice (close to a Gaussian). */
    record Blur(int radius) implements Transform {
        /** Checks the range. */
        public Blur {
            Scenario.require(radius >= 1 && radius <= 5, "blur.radius must be in 1..5, got " + radius);
        }

        @Override
        public byte[] apply(byte[] pixels, int rows, int cols, Random random) {
            return box(box(pixels, rows, cols), rows, cols);
        }

        private byte[] box(byte[] in, int rows, int cols) {
            byte[] out = new byte[in.length];
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    int sum = 0;
                    int n = 0;
                    for (int dy = -radius; dy <= radius; dy++) {
                        for (int dx = -radius; dx <= radius; dx++) {
                            int yy = y + dy;
                            int xx = x + dx;
                            if (yy >= 0 && yy < rows && xx >= 0 && xx < cols) {
                                sum += in[yy * cols + xx] & 0xff;
                                n++;
                            }
                        }
                    }
                    out[y * cols + x] = clamp(sum / (double) n);
                }
            }
            return out;
        }
    }

    /** Sensor noise: Gaussian noise of standard deviation {@code sigma} grey levels in (0, 128]. */
    record Noise(double sigma) implements Transform {
        /** Checks the range. */
        public Noise {
            Scenario.require(sigma > 0 && sigma <= 128, "noise.sigma must be in (0, 128], got " + sigma);
        }

        @Override
        public byte[] apply(byte[] pixels, int rows, int cols, Random random) {
            byte[] out = new byte[pixels.length];
            for (int i = 0; i < pixels.length; i++) {
                out[i] = clamp((pixels[i] & 0xff) + random.nextGaussian() * sigma);
            }
            return out;
        }
    }

    /**
     * A site that sees mostly a few kinds of object: a frame shows one of {@code classes} with probability
     * {@code share}, any class otherwise. Pixels are left alone.
     */
    record ClassMix(List<Integer> classes, double share) implements Transform {
        /** Checks the ranges. */
        public ClassMix {
            Scenario.require(classes != null && !classes.isEmpty(), "class_mix.classes must name at least one class");
            Scenario.require(share >= 0 && share <= 1, "class_mix.share must be in [0, 1], got " + share);
            classes = List.copyOf(classes);
        }

        @Override
        public byte[] apply(byte[] pixels, int rows, int cols, Random random) {
            return pixels;
        }
    }

    /**
     * A condition only part of the site's frames are under (covered quays among open ones, a few cameras in a
     * tunnel): with probability {@code share} a frame goes through {@code transforms}, in order; otherwise it is
     * left alone. Only pixel transforms go inside.
     */
    record SomeFrames(double share, List<Transform> transforms) implements Transform {
        /** Checks the range and that only pixel transforms are inside. */
        public SomeFrames {
            Scenario.require(share > 0 && share <= 1, "some_frames.share must be in (0, 1], got " + share);
            Scenario.require(transforms != null && !transforms.isEmpty(), "some_frames.transforms must name at least"
                    + " one transform");
            Scenario.require(transforms.stream().noneMatch(t -> t instanceof ClassMix || t instanceof SomeFrames),
                    "some_frames.transforms takes pixel transforms only (darken, contrast, blur, noise)");
            transforms = List.copyOf(transforms);
        }

        @Override
        public byte[] apply(byte[] pixels, int rows, int cols, Random random) {
            if (random.nextDouble() >= share) {
                return pixels;
            }
            byte[] out = pixels;
            for (Transform t : transforms) {
                out = t.apply(out, rows, cols, random);
            }
            return out;
        }
    }

    private static byte clamp(double v) {
        return (byte) Math.max(0, Math.min(255, Math.round(v)));
    }
}
