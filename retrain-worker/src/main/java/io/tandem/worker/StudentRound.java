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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Distils one student from the teacher in service, for the whole fleet or for one device group, and
 * decides whether it ships: it must clearly beat ({@link #beats}) the model the group runs now on the
 * group's most recent random audits, which students never train on (the held-out third of its recent uploads
 * until there are enough audits). A fleet student, every group's fallback, is judged on all groups together, and
 * one that the deployed fleet student beats on a group that runs it does not ship. A group's samples are trained on
 * with {@link FleetStudentRecipe}.
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
            EdgeExamples edge, TrainConfig config, int gateSamples, int onnxThreads) {
    }

    private final PrintStream log;

    StudentRound(PrintStream log) {
        this.log = log;
    }

    /**
     * Distils a student for {@code group} ({@code ""} for the whole fleet) into {@code outDir} and gates it
     * against {@code deployed}, the ONNX file the group runs now (none for the first student). {@code site} is
     * the group's recent input brightness (mean and spread, NaN when unknown), what its students learn to see.
     * {@code fleetStudentGroups} are the groups that run the fleet's student (empty: every group).
     */
    Outcome run(Inputs in, String group, String modelId, String version, String parentVersion, Optional<Path> deployed,
            double[] site, List<String> fleetStudentGroups, Path outDir) {
        List<EdgeExamples.Example> mine = in.edge().where(e -> group.isEmpty() || e.group().equals(group));
        // Random audits are the gate's: students never train on them, so every audit can judge a candidate.
        List<EdgeExamples.Example> train = mine.stream().filter(e -> !e.audit() && !TeacherAdaptation.validation(e))
                .toList();
        Map<String, Boolean> judged = judgedGroups(group, in.edge().all(), fleetStudentGroups);
        Map<String, List<EdgeExamples.Example>> gates = new LinkedHashMap<>();
        for (String g : judged.keySet()) {
            List<EdgeExamples.Example> samples = gateSamples(in.edge().where(e -> e.group().equals(g)), in.gateSamples());
            if (!samples.isEmpty()) {
                gates.put(g, samples);
            }
        }
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
                outDir, "student", in.onnxThreads());
        if (!Double.isNaN(site[0])) {
            m = m.toBuilder().putMetrics(ManifestMetrics.REFERENCE_MEAN, site[0]).putMetrics(ManifestMetrics.REFERENCE_STD,
                    site[1]).build();
        }
        Path onnx = outDir.resolve("student.onnx");
        if (gates.isEmpty()) {
            return new Outcome(m, onnx, deployed.isEmpty(), deployed.isEmpty() ? "first student, no gate samples"
                    : "no held-out samples to gate on");
        }
        Verdict verdict = judge(onnx, deployed, gates, judged, in);
        String reason = (verdict.promoted() ? "ships" : "does not ship") + " on " + verdict.describe();
        log.printf("%s %s %s%n", modelId, version, reason);
        return new Outcome(m.toBuilder().putMetrics("gate_accuracy", verdict.candidate())
                .putMetrics("gate_samples", verdict.samples()).putMetrics("gate_deployed_accuracy", verdict.deployed())
                .build(), onnx, verdict.promoted(), reason);
    }

    /**
     * The groups a candidate is judged on, each with whether it would run the candidate: a group's student on its
     * group; a fleet student, every group's fallback, on every group that sent samples (devices without a group, the
     * empty name, too), run by those in {@code fleetStudentGroups} and by devices without a group (all of them when
     * the list is empty).
     */
    static Map<String, Boolean> judgedGroups(String group, List<EdgeExamples.Example> all, List<String> fleetStudentGroups) {
        Map<String, Boolean> out = new LinkedHashMap<>();
        if (!group.isEmpty()) {
            out.put(group, true);
            return out;
        }
        all.stream().map(EdgeExamples.Example::group).distinct().sorted().forEach(g -> out.put(g, g.isEmpty()
                || fleetStudentGroups.isEmpty() || fleetStudentGroups.contains(g)));
        return out;
    }

    /**
     * What a group's gate judges on: of its most recent {@code window} samples, the random audits once there are
     * {@link #MIN_AUDIT_GATE} (they show what the group sees; hard examples alone favour a model tuned to them),
     * else the held-out third of them.
     */
    static List<EdgeExamples.Example> gateSamples(List<EdgeExamples.Example> group, int window) {
        List<EdgeExamples.Example> recent = group.subList(Math.max(0, group.size() - window), group.size());
        List<EdgeExamples.Example> audits = recent.stream().filter(EdgeExamples.Example::audit).toList();
        return audits.size() >= MIN_AUDIT_GATE ? audits
                : recent.stream().filter(e -> !e.audit() && TeacherAdaptation.validation(e)).toList();
    }

    /**
     * One group's paired comparison: samples, right answers of each model, where only one is right, and whether
     * the group runs the model the candidate would replace.
     */
    record GroupGate(String group, int samples, int candidateRight, int deployedRight, int wins, int losses,
            boolean served) {

        /** Whether the deployed model beats the candidate here, where the group would run the candidate. */
        boolean worseHere() {
            return served && beats(losses, wins);
        }
    }

    /**
     * The gate's decision. A candidate ships when it {@link #beats} the deployed model over every judged group
     * together and the deployed model does not beat it on any group that would run it: a fleet student must not
     * make one group worse to make another better.
     */
    record Verdict(List<GroupGate> groups, boolean hasDeployed) {

        int samples() {
            return groups.stream().mapToInt(GroupGate::samples).sum();
        }

        double candidate() {
            return groups.stream().mapToInt(GroupGate::candidateRight).sum() / (double) samples();
        }

        double deployed() {
            return hasDeployed ? groups.stream().mapToInt(GroupGate::deployedRight).sum() / (double) samples() : -1;
        }

        boolean promoted() {
            if (!hasDeployed) {
                return true;
            }
            int wins = groups.stream().mapToInt(GroupGate::wins).sum();
            int losses = groups.stream().mapToInt(GroupGate::losses).sum();
            return beats(wins, losses) && groups.stream().noneMatch(GroupGate::worseHere);
        }

        String describe() {
            StringBuilder b = new StringBuilder(String.format("%d held-out samples: candidate %.4f, deployed %s", samples(),
                    candidate(), hasDeployed ? String.format("%.4f", deployed()) : "none"));
            for (GroupGate g : groups) {
                b.append(String.format("; %s %d: %d vs %d right (only the candidate %d, only the deployed %d)%s",
                        g.group().isEmpty() ? "devices without a group" : g.group(), g.samples(), g.candidateRight(), g.deployedRight(), g.wins(), g.losses(),
                        !g.served() ? ", runs its own student" : hasDeployed && g.worseHere() ? ", worse here" : ""));
            }
            return b.toString();
        }
    }

    private static Verdict judge(Path candidate, Optional<Path> deployed, Map<String, List<EdgeExamples.Example>> gates,
            Map<String, Boolean> served, Inputs in) {
        // Each model runs once over every group's gate samples, in group order; the answers are then told apart by group.
        List<EdgeExamples.Example> all = gates.values().stream().flatMap(List::stream).toList();
        ImageSet images = in.edge().images(all);
        boolean[] c = right(candidate, images, in);
        boolean[] d = deployed.isPresent() ? right(deployed.get(), images, in) : new boolean[c.length];
        List<GroupGate> out = new ArrayList<>();
        int start = 0;
        for (Map.Entry<String, List<EdgeExamples.Example>> e : gates.entrySet()) {
            int end = start + e.getValue().size();
            int cr = 0;
            int dr = 0;
            int wins = 0;
            int losses = 0;
            for (int i = start; i < end; i++) {
                cr += c[i] ? 1 : 0;
                dr += d[i] ? 1 : 0;
                wins += c[i] && !d[i] ? 1 : 0;
                losses += d[i] && !c[i] ? 1 : 0;
            }
            out.add(new GroupGate(e.getKey(), end - start, cr, dr, wins, losses, served.get(e.getKey())));
            start = end;
        }
        return new Verdict(out, deployed.isPresent());
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
     * tie ({@code sqrt(wins + losses)}) and by at least two samples, so that one sample on a gate where the
     * two models nearly always agree does not ship a model that is not better.
     */
    static boolean beats(int wins, int losses) {
        return wins - losses >= Math.max(2, Math.sqrt(wins + losses));
    }

    private static boolean[] right(Path onnx, ImageSet images, Inputs in) {
        try (OnnxClassifier c = OnnxClassifier.open(onnx, in.onnxThreads())) {
            float[] logits = c.logits(images, in.teacher().normalization());
            boolean[] out = new boolean[images.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = Metrics.argmax(logits, i * c.classes(), c.classes()) == images.labels()[i];
            }
            return out;
        }
    }
}
