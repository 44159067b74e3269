package io.tandem.fleet.eval;

import io.tandem.distill.data.ImageSet;
import io.tandem.distill.eval.Metrics;
import io.tandem.distill.eval.OnnxClassifier;
import io.tandem.distill.kd.FleetStudentRecipe;
import io.tandem.distill.manifest.ModelInput;
import io.tandem.distill.train.TrainConfig;
import io.tandem.distill.zoo.ModelZoo;
import io.tandem.fleet.scenario.GroundTruth;
import io.tandem.proto.v1.ModelManifest;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The upload baselines, run as a shadow of the loop on the same frames: a site student made with the
 * loop's own recipe and teacher from (a) the frames the devices mined, (b) as many frames chosen at random
 * from what the site saw, (c) every frame the site saw. The same number of true labels goes into each, so
 * the three differ only in which frames came back.
 */
public final class ShadowStudents {

    /** Seeds each shadow student is trained with; its accuracy is their mean, since one seed moves by a point or two. */
    public static final int SEEDS = 3;

    /** The three students' accuracy on the site's held-out frames, each the mean over {@link #SEEDS} seeds. */
    public record Result(double mined, double random, double everything, int uploads, int humanLabels) {
    }

    /** What the shadow needs. */
    public record Inputs(ModelJudge judge, String teacherVersion, GroundTruth truth, String group, int lastRound,
            Set<Long> uploaded, Set<Long> audited, Set<Long> humanLabelled, ImageSet base, ImageSet heldOut, ImageSet eval,
            ImageSet siteHeldOut, TrainConfig config, long seed, Path workDir) {
    }

    private ShadowStudents() {
    }

    /** Trains and measures the three students. */
    public static Result run(Inputs in, PrintStream log) {
        List<GroundTruth.Shown> shown = new ArrayList<>(in.truth().all().stream()
                .filter(s -> s.group().equals(in.group()) && s.round() <= in.lastRound()).toList());
        shown.sort(Comparator.comparingLong(GroundTruth.Shown::frameId));
        List<GroundTruth.Shown> mined = shown.stream().filter(s -> in.uploaded().contains(s.frameId())).toList();
        int human = (int) mined.stream().filter(s -> in.humanLabelled().contains(s.frameId())).count();
        Random random = new Random(in.seed());
        List<GroundTruth.Shown> shuffled = new ArrayList<>(shown);
        Collections.shuffle(shuffled, random);
        List<GroundTruth.Shown> chosen = shuffled.subList(0, Math.min(mined.size(), shuffled.size()));
        log.printf("shadow students for %s: %d mined uploads (%d with a human label), %d random, %d frames seen%n",
                in.group(), mined.size(), human, chosen.size(), shown.size());
        double m = 0;
        double r = 0;
        double e = 0;
        for (int seed = 0; seed < SEEDS; seed++) {
            Inputs withSeed = new Inputs(in.judge(), in.teacherVersion(), in.truth(), in.group(), in.lastRound(),
                    in.uploaded(), in.audited(), in.humanLabelled(), in.base(), in.heldOut(), in.eval(), in.siteHeldOut(),
                    in.config().withSeed(in.config().seed() + seed), in.seed(), in.workDir().resolve("seed-" + seed));
            // Each learns its site's mix of objects from the frames it holds that were drawn at random: the
            // devices' audits among the mined uploads, every frame of the other two.
            m += student(withSeed, "mined", mined, s -> in.humanLabelled().contains(s.frameId()),
                    s -> in.audited().contains(s.frameId()), human, random, log);
            r += student(withSeed, "random", chosen, s -> false, s -> true, human, random, log);
            e += student(withSeed, "everything", shown, s -> false, s -> true, human, random, log);
        }
        return new Result(m / SEEDS, r / SEEDS, e / SEEDS, mined.size(), human);
    }

    /** Mean and spread of what the site's devices saw in the last round, as their telemetry reports it. */
    private static double[] siteInput(Inputs in) {
        double sum = 0;
        double squares = 0;
        long n = 0;
        for (GroundTruth.Shown s : in.truth().all()) {
            if (s.group().equals(in.group()) && s.round() == in.lastRound()) {
                for (byte b : s.pixels()) {
                    double v = (b & 0xff) / 255.0;
                    sum += v;
                    squares += v * v;
                }
                n += s.pixels().length;
            }
        }
        if (n == 0) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double mean = sum / n;
        return new double[] {mean, Math.sqrt(Math.max(0, squares / n - mean * mean))};
    }

    private static double student(Inputs in, String name, List<GroundTruth.Shown> frames,
            java.util.function.Predicate<GroundTruth.Shown> labelled, java.util.function.Predicate<GroundTruth.Shown> audit,
            int humanBudget, Random random, PrintStream log) {
        if (frames.isEmpty()) {
            return Double.NaN;
        }
        ModelManifest teacher = in.judge().manifest("teacher", in.teacherVersion());
        ModelInput input = ModelInput.of(teacher);
        int pixels = input.rows() * input.cols();
        byte[] data = new byte[frames.size() * pixels];
        for (int i = 0; i < frames.size(); i++) {
            System.arraycopy(frames.get(i).pixels(), 0, data, i * pixels, pixels);
        }
        ImageSet unlabelled = new ImageSet(data, new int[frames.size()], input.rows(), input.cols());
        float[] logits;
        Path teacherOnnx = in.judge().artifact("teacher", in.teacherVersion());
        try (OnnxClassifier t = OnnxClassifier.open(teacherOnnx, Runtime.getRuntime().availableProcessors())) {
            logits = t.logits(unlabelled, input.normalization());
        }
        int classes = input.classes().size();
        int[] labels = new int[frames.size()];
        List<Integer> humanPicks = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            labels[i] = Metrics.argmax(logits, i * classes, classes);
            if (labelled.test(frames.get(i))) {
                labels[i] = frames.get(i).label();
                humanPicks.add(i);
            }
        }
        // The baselines that did not choose their labels get as many true labels, at random.
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        for (int k = 0; humanPicks.size() < humanBudget && k < order.size(); k++) {
            int i = order.get(k);
            if (!humanPicks.contains(i)) {
                labels[i] = frames.get(i).label();
                humanPicks.add(i);
            }
        }
        ImageSet examples = new ImageSet(data, labels, input.rows(), input.cols());
        int[] auditLabels = java.util.stream.IntStream.range(0, frames.size()).filter(i -> audit.test(frames.get(i)))
                .map(i -> labels[i]).toArray();
        Path out = in.workDir().resolve("shadow-" + in.group() + "-" + name);
        double[] site = siteInput(in);
        FleetStudentRecipe.distil(log, new FleetStudentRecipe.Inputs(ModelZoo.get(ModelZoo.STUDENT_TINY), teacherOnnx,
                teacher.getVersion(), FleetStudentRecipe.augmentation(teacher.getMetricsOrDefault("augmented", 0) > 0,
                        teacher.getInput().getMean(), teacher.getInput().getStd(), site[0], site[1]), in.base(),
                FleetStudentRecipe.examples(examples, logits), FleetStudentRecipe.SITE_SHARE, in.heldOut(), in.eval(),
                input.normalization(), in.config(), auditLabels),
                ModelManifest.newBuilder().setModelId("shadow-" + name).setVersion("s1"), out, "student",
                Runtime.getRuntime().availableProcessors());
        try (OnnxClassifier s = OnnxClassifier.open(out.resolve("student.onnx"), 1)) {
            double accuracy = Metrics.accuracy(s.logits(in.siteHeldOut(), input.normalization()),
                    in.siteHeldOut().labels(), classes);
            log.printf("shadow student %s for %s: %.4f on the site's held-out frames%n", name, in.group(), accuracy);
            return accuracy;
        }
    }
}
