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
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code distill speed}: images per second of one teacher epoch and one KD epoch of student-tiny, the
 * counterpart of {@code bench/pytorch_train_speed.py} (same models, data, batch, optimiser and loss).
 */
@Command(name = "speed", mixinStandardHelpOptions = true,
        description = "Time one teacher epoch and one KD student epoch (compare with bench/pytorch_train_speed.py).")
final class SpeedCommand implements Callable<Integer> {

    @Option(names = "--data", description = "Fashion-MNIST folder (default: ${DEFAULT-VALUE})")
    Path data = FashionMnist.DEBIAN_DIR;

    @Option(names = "--images", description = "Training images per epoch (default: ${DEFAULT-VALUE})")
    int images = 10_000;

    @Option(names = "--repeats", description = "Repeats (default: ${DEFAULT-VALUE})")
    int repeats = 3;

    @Override
    public Integer call() {
        ImageSet train = FashionMnist.train(data).head(images);
        Normalization norm = Normalization.FASHION_MNIST;
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        float[] soft;
        try (TrainedModel teacher = TrainedModel.initialise(ModelZoo.get(ModelZoo.TEACHER_CNN))) {
            soft = teacher.logits(train, norm);
        }
        for (int r = 1; r <= repeats; r++) {
            long t0 = System.nanoTime();
            try (TrainedModel m = new ClassifierTrainer(quiet).train(ModelZoo.get(ModelZoo.TEACHER_CNN), train,
                    new float[0], norm, TrainConfig.supervised(1, 64, 1e-3f, r))) {
                m.architecture();
            }
            double teacher = train.size() / ((System.nanoTime() - t0) / 1e9);
            long t1 = System.nanoTime();
            try (TrainedModel m = new ClassifierTrainer(quiet).train(ModelZoo.get(ModelZoo.STUDENT_TINY), train, soft,
                    norm, new TrainConfig(1, 64, 1e-3f, r, 4f, 0.7f))) {
                m.architecture();
            }
            double student = train.size() / ((System.nanoTime() - t1) / 1e9);
            System.out.printf(Locale.ROOT, "djl %s repeat %d: teacher %.1f images/s, kd student %.1f images/s%n",
                    System.getProperty("ai.djl.pytorch.num_threads"), r, teacher, student);
        }
        return 0;
    }
}
