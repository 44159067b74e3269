package io.tandem.distill.cli;

import io.tandem.distill.data.FashionMnist;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.train.ClassifierTrainer;
import io.tandem.distill.train.TrainConfig;
import io.tandem.distill.train.TrainedModel;
import io.tandem.distill.zoo.ModelZoo;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code distill speed}: images per second of teacher epochs and KD epochs of student-tiny, the counterpart
 * of {@code bench/pytorch_train_speed.py} (same models, data, batch, optimiser, gradient clipping and loss).
 * Untimed warm-up epochs of 2,000 images come first, for at least {@code --warmup} seconds per loop as on the
 * PyTorch side, so that the JVM's compilers have finished before the clock starts (on two cores, C2 alone
 * takes a fifth of the CPU in the first seconds).
 */
@Command(name = "speed", mixinStandardHelpOptions = true,
        description = "Time teacher epochs and KD student epochs (compare with bench/pytorch_train_speed.py).")
final class SpeedCommand implements Callable<Integer> {

    @Option(names = "--data", description = "Fashion-MNIST folder (default: ${DEFAULT-VALUE})")
    Path data = FashionMnist.DEBIAN_DIR;

    @Option(names = "--images", description = "Training images per epoch (default: ${DEFAULT-VALUE})")
    int images = 10_000;

    @Option(names = "--repeats", description = "Timed epochs of each loop (default: ${DEFAULT-VALUE})")
    int repeats = 3;

    @Option(names = "--what", split = ",", description = "Loops to time: teacher, student (default: both)")
    List<String> what = List.of("teacher", "student");

    @Option(names = "--warmup", description = "Seconds of untimed warm-up epochs per loop (default: ${DEFAULT-VALUE})")
    double warmup = 15;

    @Override
    public Integer call() {
        ImageSet train = FashionMnist.train(data).head(images);
        Normalization norm = Normalization.FASHION_MNIST;
        float[] soft;
        try (TrainedModel teacher = TrainedModel.initialise(ModelZoo.get(ModelZoo.TEACHER_CNN))) {
            soft = teacher.logits(train, norm);
        }
        for (String loop : what) {
            boolean student = switch (loop) {
                case "teacher" -> false;
                case "student" -> true;
                default -> throw new IllegalArgumentException("--what takes teacher or student, got " + loop);
            };
            int warm = Math.min(2_000, train.size());
            ImageSet warmImages = train.head(warm);
            float[] warmSoft = Arrays.copyOf(soft, warm * ModelZoo.get(ModelZoo.STUDENT_TINY).classes());
            for (double seconds = 0; seconds < warmup; ) {
                seconds += epoch(student, warmImages, warmSoft, norm, 0);
            }
            for (int r = 1; r <= repeats; r++) {
                double seconds = epoch(student, train, soft, norm, r);
                System.out.printf(Locale.ROOT, "djl %s %s epoch %d: %.1f images/s%n",
                        System.getProperty("ai.djl.pytorch.num_threads"), loop, r, train.size() / seconds);
            }
        }
        return 0;
    }

    /** Trains a fresh model for one epoch, as the PyTorch script does, and returns the seconds it took. */
    private static double epoch(boolean student, ImageSet train, float[] soft, Normalization norm, long seed) {
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        long start = System.nanoTime();
        TrainConfig config = student
                ? new TrainConfig(1, 64, 1e-3f, seed, TrainConfig.DEFAULT_TEMPERATURE, TrainConfig.DEFAULT_ALPHA)
                : TrainConfig.supervised(1, 64, 1e-3f, seed);
        try (TrainedModel m = new ClassifierTrainer(quiet).train(
                ModelZoo.get(student ? ModelZoo.STUDENT_TINY : ModelZoo.TEACHER_CNN), train,
                student ? soft : new float[0], norm, config)) {
            return (System.nanoTime() - start) / 1e9;
        }
    }
}
