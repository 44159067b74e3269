package io.tandem.worker;

import io.tandem.distill.data.ImageSet;
import io.tandem.distill.eval.Metrics;
import io.tandem.distill.eval.OnnxClassifier;
import io.tandem.distill.kd.FleetStudentRecipe;
import io.tandem.distill.train.Augmentation;
import io.tandem.distill.train.TrainConfig;
import io.tandem.distill.zoo.Architecture;
import io.tandem.proto.ManifestMetrics;
import io.tandem.proto.v1.ModelManifest;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Distils one student from the teacher in service, for the whole fleet or for one device group, and
 * decides whether it ships: it must clearly beat ({@link #beats}) the model the group runs now on the
 * group's most recent held-out samples (a third of them by key, never trained on; labelled by a person where
 * one did, else by the teacher; random audits alone once there are enough, since they show what the group
 * sees). A group's samples are trained on with {@link FleetStudentRecipe}.
 */
final class StudentRound {

    /** Held-out random audits needed before the gate uses them alone. */
    static final int MIN_AUDIT_GATE = 8;
    /** Most recent audits a site's mix of objects is estimated from. */
    static final int MIX_AUDITS = 400;

    /** The result: the distilled student's manifest, whether it passed its gate and why. */
    record Outcome(ModelManifest manifest, Path onnx, boolean promoted, String reason) {
    }

    /** The data and settings of one round. */
    record Inputs(Architecture architecture, JobTeacher teacher, ImageSet base, ImageSet heldOut, ImageSet eval,
            EdgeExamples edge, TrainConfig config, int gateSamples) {
    }

    private final PrintStream log;

    StudentRound(PrintStream log) {
        this.log = log;
    }

    /**
     * Distils a student for {@code group} ({@code ""} for the whole fleet) into {@code outDir} and gates it
     * against {@code deployed}, the ONNX file the group runs now (none for the first student). {@code site} is
     * the group's recent input brightness (mean and spread, NaN when unknown), what its students learn to see.
     */
    Outcome run(Inputs in, String group, String modelId, String version, String parentVersion, Optional<Path> deployed,
            double[] site, Path outDir) {
        List<EdgeExamples.Example> mine = in.edge().where(e -> group.isEmpty() || e.group().equals(group));
        List<EdgeExamples.Example> train = mine.stream().filter(e -> !TeacherAdaptation.validation(e)).toList();
        // The gate looks at what the group sees now: its most recent uploads, the held-out ones among them, and
        // of those the random audits once there are enough, since hard examples alone favour a model tuned to them.
        List<EdgeExamples.Example> recent = mine.subList(Math.max(0, mine.size() - in.gateSamples()), mine.size());
        List<EdgeExamples.Example> heldOutRecent = recent.stream().filter(TeacherAdaptation::validation).toList();
        List<EdgeExamples.Example> audits = heldOutRecent.stream().filter(EdgeExamples.Example::audit).toList();
        List<EdgeExamples.Example> gate = audits.size() >= MIN_AUDIT_GATE ? audits : heldOutRecent;
        String gateKind = audits.size() >= MIN_AUDIT_GATE ? "audit" : "uploaded";
        long human = train.stream().filter(EdgeExamples.Example::human).count();
        ModelManifest teacherManifest = in.teacher().manifest();
        var spec = teacherManifest.getInput();
        Augmentation augmentation = FleetStudentRecipe.augmentation(augmented(teacherManifest), spec.getMean(),
                spec.getStd(), site[0], site[1]);
        log.printf("%s %s learns with %s%n", modelId, version, augmentation);
        ModelManifest m = FleetStudentRecipe.distil(log, new FleetStudentRecipe.Inputs(in.architecture(),
                in.teacher().onnx(), teacherManifest.getVersion(), augmentation, in.base(),
                in.edge().distillationData(train), group.isEmpty() ? FleetStudentRecipe.FLEET_SHARE
                        : FleetStudentRecipe.SITE_SHARE, in.heldOut(), in.eval(), in.teacher().normalization(), in.config(),
                group.isEmpty() ? new int[0] : auditLabels(mine)),
                ModelManifest.newBuilder().setModelId(modelId).setVersion(version).setParentVersion(parentVersion)
                        .setDeviceGroup(group).setDataSnapshot("base[0:" + in.base().size() + "] + "
                                + (group.isEmpty() ? "fleet" : group) + " samples, teacher " + teacherManifest.getVersion())
                        .putDataBySource("human", human),
                outDir, "student");
        if (!Double.isNaN(site[0])) {
            m = m.toBuilder().putMetrics(ManifestMetrics.REFERENCE_MEAN, site[0]).putMetrics(ManifestMetrics.REFERENCE_STD,
                    site[1]).build();
        }
        Path onnx = outDir.resolve("student.onnx");
        if (gate.isEmpty()) {
            return new Outcome(m, onnx, deployed.isEmpty(), deployed.isEmpty() ? "first student, no gate samples"
                    : "no held-out samples to gate on");
        }
        ImageSet gateImages = in.edge().images(gate);
        boolean[] candidateRight = right(onnx, gateImages, in);
        double candidate = share(candidateRight);
        double current = -1;
        boolean promoted = true;
        int wins = 0;
        int losses = 0;
        if (deployed.isPresent()) {
            boolean[] currentRight = right(deployed.get(), gateImages, in);
            current = share(currentRight);
            for (int i = 0; i < candidateRight.length; i++) {
                wins += candidateRight[i] && !currentRight[i] ? 1 : 0;
                losses += currentRight[i] && !candidateRight[i] ? 1 : 0;
            }
            promoted = beats(wins, losses);
        }
        String reason = String.format("%s on %d held-out %s %s samples: candidate %.4f, deployed %s (right where the"
                        + " deployed is wrong %d, the reverse %d)", promoted ? "ships" : "does not ship", gate.size(),
                group.isEmpty() ? "fleet" : group, gateKind, candidate,
                current < 0 ? "none" : String.format("%.4f", current), wins, losses);
        log.printf("%s %s %s%n", modelId, version, reason);
        return new Outcome(m.toBuilder().putMetrics("gate_accuracy", candidate).putMetrics("gate_samples", gate.size())
                .putMetrics("gate_deployed_accuracy", current).build(), onnx, promoted, reason);
    }

    /**
     * The labels of the group's most recent {@link #MIX_AUDITS} random audits (a person's where there is one, else
     * the teacher's): the unbiased sample of which objects the group sees now.
     */
    static int[] auditLabels(List<EdgeExamples.Example> group) {
        List<EdgeExamples.Example> audits = group.stream().filter(EdgeExamples.Example::audit).toList();
        return audits.subList(Math.max(0, audits.size() - MIX_AUDITS), audits.size()).stream()
                .mapToInt(EdgeExamples.Example::label).toArray();
    }

    /** Whether the teacher learnt with camera augmentation; its students then do too, so they match it. */
    static boolean augmented(ModelManifest teacher) {
        return teacher.getMetricsOrDefault(ManifestMetrics.AUGMENTED, 0) > 0;
    }

    /**
     * Whether a candidate beats the deployed model on paired samples: it must be right where the deployed one
     * is wrong more often than the reverse, by at least one standard deviation of that difference under a
     * tie ({@code sqrt(wins + losses)}, at least 1), so a difference of a sample or two on a small gate does
     * not ship a model that is not better.
     */
    static boolean beats(int wins, int losses) {
        return wins - losses >= Math.max(1, Math.sqrt(wins + losses));
    }

    private static boolean[] right(Path onnx, ImageSet images, Inputs in) {
        try (OnnxClassifier c = OnnxClassifier.open(onnx, 1)) {
            float[] logits = c.logits(images, in.teacher().normalization());
            boolean[] out = new boolean[images.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = Metrics.argmax(logits, i * c.classes(), c.classes()) == images.labels()[i];
            }
            return out;
        }
    }

    private static double share(boolean[] right) {
        int n = 0;
        for (boolean r : right) {
            n += r ? 1 : 0;
        }
        return right.length == 0 ? Double.NaN : n / (double) right.length;
    }
}
