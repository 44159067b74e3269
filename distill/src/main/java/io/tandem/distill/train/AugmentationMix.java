package io.tandem.distill.train;

import java.util.List;
import java.util.Random;

/**
 * One of several augmentations, drawn afresh for each image with equal odds: a model that must serve several
 * sites learns each site's look (and the general camera one) in equal measure.
 *
 * @param choices the augmentations drawn from, at least one
 */
public record AugmentationMix(List<Augmentation> choices) implements Augmentation {

    /** Checks there is something to draw. */
    public AugmentationMix {
        if (choices.isEmpty()) {
            throw new IllegalArgumentException("an augmentation mix needs at least one augmentation");
        }
        choices = List.copyOf(choices);
    }

    @Override
    public void apply(byte[] pixels, int rows, int cols, Random random) {
        choices.get(random.nextInt(choices.size())).apply(pixels, rows, cols, random);
    }

    @Override
    public String toString() {
        return "one of " + choices;
    }
}
