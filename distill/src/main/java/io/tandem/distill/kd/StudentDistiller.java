package io.tandem.distill.kd;

import io.tandem.distill.calib.TemperatureScaling;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.eval.Evaluation;
import io.tandem.distill.eval.Metrics;
import io.tandem.distill.eval.OnnxClassifier;
import io.tandem.distill.manifest.ModelArtifacts;
import io.tandem.distill.train.Augmentation;
import io.tandem.distill.train.ClassifierTrainer;
import io.tandem.distill.train.TrainConfig;
import io.tandem.distill.train.TrainedModel;
import io.tandem.distill.zoo.Architecture;
import io.tandem.proto.v1.ModelManifest;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Distils a student from any ONNX teacher: the teacher's logits on the base data (computed with ONNX
 * Runtime) and on the labelled edge samples (computed when they were labelled) are the soft targets.
 */
public final class StudentDistiller {

    /** Confidence bins of the expected calibration error. */
    public static final int ECE_BINS = 15;

    private final PrintStream log;
    private final int ortThreads;

    /** Creates a distiller that logs progress to {@code log} and runs the teacher on {@code ortThreads}. */
    public StudentDistiller(PrintStream log, int ortThreads) {
        this.log = log;
        this.ortThreads = ortThreads;
    }

    /**
     * What to distil.
     *
     * @param student the student architecture
     * @param teacher the teacher: any ONNX classifier with a matching input, or a DJL zoo model
     * @param teacherVersion the teacher's version, recorded in the manifest
     * @param base labelled base training data (labels are used for the hard-label term)
     * @param edge teacher-labelled edge samples, possibly empty
     * @param heldOut labelled data not trained on, for fitting the temperature
     * @param eval labelled held-out data for the manifest's accuracy figures
     * @param normalization how raw pixels become inputs
     * @param config hyper-parameters
     * @param manifest the manifest fields the caller knows (model id, version, parent version, snapshot)
     * @param outDir where the artifact goes
     * @param name base file name of the artifact
     */
    public record Request(Architecture student, Teacher teacher, String teacherVersion, ImageSet base,
            EdgeSamples edge, ImageSet heldOut, ImageSet eval, Normalization normalization, TrainConfig config,
            ModelManifest.Builder manifest, Path outDir, String name, Augmentation augmentation) {

        /** A request without augmentation. */
        public Request(Architecture student, Teacher teacher, String teacherVersion, ImageSet base, EdgeSamples edge,
                ImageSet heldOut, ImageSet eval, Normalization normalization, TrainConfig config,
                ModelManifest.Builder manifest, Path outDir, String name) {
            this(student, teacher, teacherVersion, base, edge, heldOut, eval, normalization, config, manifest, outDir,
                    name, Augmentation.NONE);
        }
    }

    /** Runs the distillation and writes the artifact; returns its complete manifest. */
    public ModelManifest distill(Request r) {
        ImageSet data = r.base().concat(r.edge().images());
        log.printf("distilling %s from %d base + %d edge samples (T=%.1f, alpha=%.2f, %d epochs, %s teacher)%n",
                r.student().name(), r.base().size(), r.edge().images().size(), r.config().temperature(),
                r.config().alpha(), r.config().epochs(), r.teacher() instanceof Teacher.Djl ? "online DJL" : "ONNX");
        if (r.teacher() instanceof Teacher.Onnx onnx) {
            float[] baseLogits;
            float[] evalTeacherLogits;
            try (OnnxClassifier teacher = OnnxClassifier.open(onnx.file(), ortThreads)) {
                teacher.requireInput(1, r.base().rows(), r.base().cols());
                requireClasses(teacher.classes(), onnx.file().toString(), r.student());
                log.printf("teacher %s: labelling %d base images%n", r.teacherVersion(), r.base().size());
                baseLogits = teacher.logits(r.base(), r.normalization());
                evalTeacherLogits = teacher.logits(r.eval(), r.normalization());
            }
            float[] logits = concat(baseLogits, r.edge().teacherLogits());
            if (onnx.logitShift().length > 0) {
                SitePrior.addShift(logits, 0, logits.length, onnx.logitShift(), 1);
            }
            SoftTargets targets = r.config().distills() ? SoftTargets.cached(logits, r.student().classes()) : null;
            try (TrainedModel student = new ClassifierTrainer(log).train(r.student(), data, targets, r.normalization(),
                    r.config(), r.augmentation())) {
                return finish(r, student, evalTeacherLogits);
            }
        }
        Teacher.Djl djl = (Teacher.Djl) r.teacher();
        try (TrainedModel teacher = TrainedModel.load(io.tandem.distill.zoo.ModelZoo.get(djl.architecture()),
                djl.paramsDir())) {
            requireClasses(teacher.architecture().classes(), djl.paramsDir().toString(), r.student());
            float[] evalTeacherLogits = teacher.logits(r.eval(), r.normalization());
            try (TrainedModel student = new ClassifierTrainer(log).train(r.student(), data,
                    r.config().distills() ? new DjlTeacherTargets(teacher, data, r.normalization()) : null,
                    r.normalization(), r.config(), r.augmentation())) {
                return finish(r, student, evalTeacherLogits);
            }
        }
    }

    private static void requireClasses(int teacherClasses, String teacher, Architecture student) {
        if (teacherClasses != student.classes()) {
            throw new IllegalArgumentException("teacher " + teacher + " outputs " + teacherClasses
                    + " classes, student " + student.name() + " has " + student.classes());
        }
    }

    private ModelManifest finish(Request r, TrainedModel student, float[] evalTeacherLogits) {
        ModelManifest.Builder m = r.manifest().clone()
                .setRole("student")
                .setArchitecture(r.student().name())
                .setParentTeacherVersion(r.teacherVersion())
                .setBaseTrainingSamples(r.base().size())
                .setEdgeSamples(r.edge().images().size())
                .setInput(r.normalization().toInputSpec(r.student().inputShape()))
                .addAllClassLabels(classLabels(r.student().classes()));
        float[] studentLogits = student.logits(r.eval(), r.normalization());
        int classes = r.student().classes();
        float temperature = TemperatureScaling.fit(student.logits(r.heldOut(), r.normalization()),
                r.heldOut().labels(), classes);
        m.setTemperature(temperature).setMacs(r.student().macs());
        m.putMetrics("ece_uncalibrated", TemperatureScaling.expectedCalibrationError(
                TemperatureScaling.probabilities(studentLogits, classes, 1), r.eval().labels(), classes, ECE_BINS));
        m.putMetrics("ece", TemperatureScaling.expectedCalibrationError(
                TemperatureScaling.probabilities(studentLogits, classes, temperature), r.eval().labels(), classes,
                ECE_BINS));
        m.putMetrics("eval_accuracy", Metrics.accuracy(studentLogits, r.eval().labels(), classes));
        m.putMetrics("teacher_eval_accuracy", Metrics.accuracy(evalTeacherLogits, r.eval().labels(), classes));
        m.putMetrics("teacher_agreement", Metrics.agreement(studentLogits, evalTeacherLogits, classes));
        m.putMetrics("eval_samples", r.eval().size());
        ModelManifest written = ModelArtifacts.write(student, m, r.outDir(), r.name());
        return evaluate(written, r);
    }

    /** Writes the evaluation report beside the artifact and copies its figures into the manifest. */
    private ModelManifest evaluate(ModelManifest manifest, Request r) {
        ModelArtifacts.Files3 files = ModelArtifacts.Files3.of(r.outDir(), r.name());
        Path teacherOnnx = r.teacher() instanceof Teacher.Onnx onnx ? onnx.file() : null;
        Evaluation e = Evaluation.run(files.onnx(), r.eval(), r.normalization(), teacherOnnx, manifest.getTemperature(),
                manifest.getParameters());
        e.write(r.outDir(), r.name(), manifest.getClassLabelsList());
        ModelManifest.Builder withReport = manifest.toBuilder().putAllMetrics(e.metrics());
        if (teacherOnnx == null) {
            // The DJL teacher's agreement was measured above; the report has none to replace it.
            withReport.putMetrics("teacher_agreement", manifest.getMetricsOrThrow("teacher_agreement"));
        }
        return ModelArtifacts.writeManifest(withReport, files);
    }

    private static List<String> classLabels(int classes) {
        if (classes == io.tandem.distill.data.FashionMnist.CLASSES.size()) {
            return io.tandem.distill.data.FashionMnist.CLASSES;
        }
        return java.util.stream.IntStream.range(0, classes).mapToObj(Integer::toString).toList();
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
