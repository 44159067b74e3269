package io.tandem.fleet.eval;

import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.eval.Metrics;
import io.tandem.distill.train.ClassifierTrainer;
import io.tandem.distill.train.TrainConfig;
import io.tandem.distill.train.TrainedModel;
import io.tandem.distill.zoo.Architecture;
import io.tandem.distill.zoo.ModelZoo;
import io.tandem.fleet.scenario.Distribution;
import io.tandem.fleet.scenario.Transform;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The upper bound of a drift scenario: the fleet's student architecture trained, with every true label,
 * on as many training images as the base set, all captured as the drifted site would capture them. No loop
 * with a labelling budget can expect to do better.
 */
public final class Oracle {

    private Oracle() {
    }

    /** The oracle's accuracy on {@code heldOut} after training on {@code train} rendered through {@code drift}. */
    public static double accuracy(ImageSet train, Distribution drift, ImageSet heldOut, int epochs, long seed,
            PrintStream log) {
        ImageSet drifted = render(train, drift, seed);
        Architecture student = ModelZoo.get(ModelZoo.STUDENT_TINY);
        try (TrainedModel model = new ClassifierTrainer(log).train(student, drifted, new float[0],
                Normalization.FASHION_MNIST, TrainConfig.supervised(epochs, 64, 1e-3f, seed))) {
            return Metrics.accuracy(model.logits(heldOut, Normalization.FASHION_MNIST), heldOut.labels(),
                    student.classes());
        }
    }

    /** {@code train.size()} images drawn as the drifted site would see them, following its class mix if any. */
    static ImageSet render(ImageSet train, Distribution drift, long seed) {
        Random random = new Random(seed);
        int pixels = train.imageSize();
        int n = train.size();
        List<List<Integer>> byClass = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int c = train.labels()[i];
            while (byClass.size() <= c) {
                byClass.add(new ArrayList<>());
            }
            byClass.get(c).add(i);
        }
        Transform.ClassMix mix = drift.classMix().orElse(null);
        byte[] out = new byte[n * pixels];
        int[] labels = new int[n];
        for (int k = 0; k < n; k++) {
            int i = k;
            if (mix != null) {
                int c = random.nextDouble() < mix.share() ? mix.classes().get(random.nextInt(mix.classes().size()))
                        : random.nextInt(byClass.size());
                List<Integer> pool = byClass.get(c);
                i = pool.get(random.nextInt(pool.size()));
            }
            byte[] img = java.util.Arrays.copyOfRange(train.pixels(), i * pixels, (i + 1) * pixels);
            System.arraycopy(drift.render(img, train.rows(), train.cols(), random), 0, out, k * pixels, pixels);
            labels[k] = train.labels()[i];
        }
        return new ImageSet(out, labels, train.rows(), train.cols());
    }
}
