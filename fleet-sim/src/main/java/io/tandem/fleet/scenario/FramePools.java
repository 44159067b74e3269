package io.tandem.fleet.scenario;

import io.tandem.distill.data.ImageSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The images a scenario draws on, split so that what models are measured on is never what devices see:
 * the first {@code evalFrames} test images are the held-out frames of every group (rendered through the
 * group's distribution), the rest are the devices' stream. Training data (the training set) is disjoint
 * from both.
 */
public final class FramePools {

    private final ImageSet test;
    private final int evalFrames;
    private final List<List<Integer>> streamByClass = new ArrayList<>();

    /** Splits {@code test}; it must hold more than {@code evalFrames} images with labels. */
    public FramePools(ImageSet test, int evalFrames) {
        if (test.size() <= evalFrames || test.labels().length != test.size()) {
            throw new ScenarioException("the test set has " + test.size() + " labelled images; " + evalFrames
                    + " held-out frames leave no stream for the devices");
        }
        this.test = test;
        this.evalFrames = evalFrames;
        int classes = 0;
        for (int label : test.labels()) {
            classes = Math.max(classes, label + 1);
        }
        for (int c = 0; c < classes; c++) {
            streamByClass.add(new ArrayList<>());
        }
        for (int i = evalFrames; i < test.size(); i++) {
            streamByClass.get(test.labels()[i]).add(i);
        }
    }

    /** Image height. */
    public int rows() {
        return test.rows();
    }

    /** Image width. */
    public int cols() {
        return test.cols();
    }

    /** Number of classes. */
    public int classes() {
        return streamByClass.size();
    }

    /** The held-out frames of a group seeing {@code distribution}, rendered with a generator seeded by {@code seed}. */
    public ImageSet heldOut(Distribution distribution, long seed) {
        Random random = new Random(seed);
        int pixels = rows() * cols();
        List<Integer> chosen = new ArrayList<>();
        java.util.Optional<Transform.ClassMix> mix = distribution.classMix();
        if (mix.isEmpty()) {
            for (int i = 0; i < evalFrames; i++) {
                chosen.add(i);
            }
        } else {
            // Held-out frames follow the site's class mix too, drawn from the held-out part only.
            List<List<Integer>> byClass = new ArrayList<>();
            for (int c = 0; c < classes(); c++) {
                byClass.add(new ArrayList<>());
            }
            for (int i = 0; i < evalFrames; i++) {
                byClass.get(test.labels()[i]).add(i);
            }
            for (int i = 0; i < evalFrames; i++) {
                chosen.add(pick(byClass, mix.get(), random));
            }
        }
        byte[] out = new byte[chosen.size() * pixels];
        int[] labels = new int[chosen.size()];
        for (int k = 0; k < chosen.size(); k++) {
            int i = chosen.get(k);
            byte[] frame = java.util.Arrays.copyOfRange(test.pixels(), i * pixels, (i + 1) * pixels);
            System.arraycopy(distribution.render(frame, rows(), cols(), random), 0, out, k * pixels, pixels);
            labels[k] = test.labels()[i];
        }
        return new ImageSet(out, labels, rows(), cols());
    }

    /** Draws one stream frame as a device of a site seeing {@code distribution} would capture it. */
    public Drawn draw(Distribution distribution, Random random) {
        int i = distribution.classMix().map(m -> pick(streamByClass, m, random))
                .orElseGet(() -> evalFrames + random.nextInt(test.size() - evalFrames));
        int pixels = rows() * cols();
        byte[] frame = java.util.Arrays.copyOfRange(test.pixels(), i * pixels, (i + 1) * pixels);
        return new Drawn(distribution.render(frame, rows(), cols(), random), test.labels()[i]);
    }

    /** A captured frame and its true class, which stays in the scenario. */
    public record Drawn(byte[] pixels, int label) {
    }

    private static int pick(List<List<Integer>> byClass, Transform.ClassMix mix, Random random) {
        int c = random.nextDouble() < mix.share() ? mix.classes().get(random.nextInt(mix.classes().size()))
                : random.nextInt(byClass.size());
        List<Integer> pool = byClass.get(c);
        if (pool.isEmpty()) {
            throw new ScenarioException("class " + c + " has no images to draw from");
        }
        return pool.get(random.nextInt(pool.size()));
    }
}
