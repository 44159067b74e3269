package io.tandem.worker;

import io.tandem.distill.calib.TemperatureScaling;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.eval.Metrics;
import io.tandem.distill.manifest.ModelArtifacts;
import io.tandem.distill.kd.FleetStudentRecipe;
import io.tandem.distill.train.Augmentation;
import io.tandem.distill.train.AugmentationMix;
import io.tandem.distill.train.ClassifierTrainer;
import io.tandem.distill.train.PhotometricAugmentation;
import io.tandem.distill.train.TrainConfig;
import io.tandem.distill.train.TrainedModel;
import io.tandem.distill.zoo.Architecture;
import io.tandem.distill.zoo.ModelZoo;
import io.tandem.proto.ManifestMetrics;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.SiteInput;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One round of the teacher learning from the fleet: fine-tunes the teacher in service on base data, the
 * samples a person labelled (two thirds of them, repeated so a few count), and the samples the teacher
 * is already sure of (pseudo-labels), every image passed through camera-like augmentation or made to look like
 * one of the groups whose input has drifted from the base data's. The candidate is
 * promoted only if it beats the teacher in service on the held-out third of the human labels without
 * losing more than {@link #MAX_BASE_DROP} on the base test images.
 */
final class TeacherAdaptation {

    /** Largest drop in base test accuracy a promoted teacher may show. */
    static final double MAX_BASE_DROP = 0.015;

    /** Settings of one round. */
    record Settings(int epochs, float learningRate, float pseudoLabelConfidence, int humanRepeat, long seed) {
    }

    /**
     * What the teacher learns to see: camera augmentation, and, for each group whose recent input ({@code sites})
     * differs from the base data's, base images made to look like that group's, each drawn as often.
     */
    static Augmentation augmentation(ModelManifest teacher, List<SiteInput> sites) {
        List<Augmentation> choices = new ArrayList<>(List.of(PhotometricAugmentation.CAMERA));
        var input = teacher.getInput();
        for (SiteInput site : sites) {
            Augmentation a = FleetStudentRecipe.augmentation(true, input.getMean(), input.getStd(), site.getMean(),
                    site.getStd());
            if (!choices.contains(a)) {
                choices.add(a);
            }
        }
        return choices.size() == 1 ? choices.get(0) : new AugmentationMix(choices);
    }

    /** What the round produced and whether it replaces the teacher in service. */
    record Outcome(boolean promoted, ModelManifest manifest, String reason) {
    }

    private final PrintStream log;

    TeacherAdaptation(PrintStream log) {
        this.log = log;
    }

    /** Whether a human-labelled sample is kept for validation rather than training (a third, by key). */
    static boolean validation(EdgeExamples.Example e) {
        return Math.floorMod(e.key().hashCode(), 3) == 0;
    }

    Outcome run(JobTeacher teacher, ImageSet base, ImageSet eval, EdgeExamples edge, List<SiteInput> sites, Settings s,
            String version, Path outDir) {
        ModelManifest current = teacher.manifest();
        Normalization norm = teacher.normalization();
        int classes = edge.classes();
        List<EdgeExamples.Example> humanTrain = edge.where(e -> e.human() && !validation(e));
        List<EdgeExamples.Example> humanVal = edge.where(e -> e.human() && validation(e));
        List<EdgeExamples.Example> pseudo = edge.where(e -> !e.human()
                && maxProbability(e.teacherLogits()) >= s.pseudoLabelConfidence());
        List<EdgeExamples.Example> extra = new ArrayList<>(pseudo);
        for (int r = 0; r < s.humanRepeat(); r++) {
            extra.addAll(humanTrain);
        }
        ImageSet data = base.concat(edge.images(extra));
        log.printf("teacher %s from %s: %d base + %d human (x%d) + %d pseudo-labelled images, %d human labels held out%n",
                version, current.getVersion(), base.size(), humanTrain.size(), s.humanRepeat(), pseudo.size(),
                humanVal.size());
        Augmentation augmentation = augmentation(current, sites);
        log.printf("teacher %s learns with %s%n", version, augmentation);
        Architecture arch = ModelZoo.get(current.getArchitecture());
        TrainedModel start = TrainedModel.load(arch, teacher.paramsDir());
        try (TrainedModel tuned = new ClassifierTrainer(log).fineTune(start, data, null, norm,
                TrainConfig.supervised(s.epochs(), 64, s.learningRate(), s.seed()), augmentation)) {
            ImageSet valImages = edge.images(humanVal);
            double candidateEval = Metrics.accuracy(tuned.logits(eval, norm), eval.labels(), classes);
            double currentEval = Metrics.accuracy(teacher.logits(eval), eval.labels(), classes);
            int candidateVal = humanVal.isEmpty() ? 0 : correct(tuned.logits(valImages, norm), valImages.labels(), classes);
            int currentVal = humanVal.isEmpty() ? 0 : correct(teacher.logits(valImages), valImages.labels(),
                    classes);
            Map<String, Double> perGroup = new TreeMap<>();
            for (String g : edge.groups()) {
                List<EdgeExamples.Example> gv = humanVal.stream().filter(e -> e.group().equals(g)).toList();
                if (!gv.isEmpty()) {
                    ImageSet gi = edge.images(gv);
                    perGroup.put(g, Metrics.accuracy(tuned.logits(gi, norm), gi.labels(), classes));
                }
            }
            boolean better;
            String reason;
            if (humanVal.size() >= 5) {
                better = (candidateVal > currentVal || (candidateVal == currentVal && candidateEval > currentEval))
                        && candidateEval >= currentEval - MAX_BASE_DROP;
                reason = String.format("held-out human labels %d/%d vs %d/%d, base test %.4f vs %.4f", candidateVal,
                        humanVal.size(), currentVal, humanVal.size(), candidateEval, currentEval);
            } else {
                better = candidateEval > currentEval;
                reason = String.format("only %d held-out human labels; base test %.4f vs %.4f", humanVal.size(),
                        candidateEval, currentEval);
            }
            log.printf("teacher %s %s: %s%n", version, better ? "promoted" : "not promoted", reason);
            if (!better) {
                return new Outcome(false, null, reason);
            }
            tuned.save(outDir);
            ModelManifest.Builder m = current.toBuilder().clearMetrics().clearDataBySource().setVersion(version)
                    .setParentVersion(current.getVersion()).setParentTeacherVersion("")
                    .setDataSnapshot(current.getDataSnapshot() + " + fleet round " + version)
                    .setBaseTrainingSamples(base.size()).setEdgeSamples(humanTrain.size() + pseudo.size())
                    .putDataBySource("base", base.size()).putDataBySource("human", humanTrain.size())
                    .putDataBySource("pseudo", pseudo.size())
                    .putMetrics("eval_accuracy", candidateEval).putMetrics("eval_samples", eval.size())
                    .putMetrics(ManifestMetrics.AUGMENTED, 1)
                    .putMetrics("parent_eval_accuracy", currentEval)
                    .putMetrics("human_val_samples", humanVal.size())
                    .putMetrics("human_val_accuracy", humanVal.isEmpty() ? 0 : candidateVal / (double) humanVal.size())
                    .putMetrics("parent_human_val_accuracy", humanVal.isEmpty() ? 0 : currentVal / (double) humanVal.size());
            perGroup.forEach((g, a) -> m.putMetrics("human_val_accuracy." + g, a));
            ModelManifest written = ModelArtifacts.write(tuned, m, outDir, "teacher");
            return new Outcome(true, written, reason);
        }
    }

    private static int correct(float[] logits, int[] labels, int classes) {
        return (int) Math.round(Metrics.accuracy(logits, labels, classes) * labels.length);
    }

    private static double maxProbability(float[] logits) {
        float max = 0;
        for (float p : TemperatureScaling.probabilities(logits, logits.length, 1)) {
            max = Math.max(max, p);
        }
        return max;
    }
}
