package io.tandem.distill.train;

import java.util.Random;

/**
 * Changes a training image each time it is drawn, so a model learns what should not matter. Works in
 * place on raw unsigned-byte pixels, before normalisation.
 */
public interface Augmentation {

    /** No change. */
    Augmentation NONE = new Augmentation() {
        @Override
        public void apply(byte[] pixels, int rows, int cols, Random random) {
        }

        @Override
        public String toString() {
            return "no augmentation";
        }
    };

    /** Changes {@code pixels} (a {@code rows x cols} grey image) in place, drawing from {@code random}. */
    void apply(byte[] pixels, int rows, int cols, Random random);
}
