package io.tandem.cloud.retrain;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.drift.DriftMonitor;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.cloud.store.SampleStore;
import io.tandem.cloud.trigger.RetrainRequested;
import io.tandem.cloud.teacher.TeacherModel;
import io.tandem.distill.data.FashionMnist;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.eval.Metrics;
import io.tandem.distill.eval.OnnxClassifier;
import io.tandem.distill.manifest.SmokeInputs;
import io.tandem.distill.quant.CpuFeatures;
import io.tandem.distill.quant.DeviceInt8;
import io.tandem.proto.ArtifactDigest;
import io.tandem.distill.train.DjlRuntime;
import io.tandem.distill.train.TrainConfig;
import io.tandem.distill.zoo.Architecture;
import io.tandem.distill.zoo.ModelZoo;
import io.tandem.proto.v1.ModelManifest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Retrains the student when a trigger asks for it ({@link RetrainRequested}): distils the
 * next version from the base training data plus every labelled edge sample and registers it; the rollout
 * follows from the registration. At start, when no student exists yet, it distils v1 from the teacher
 * alone. One training runs at a time.
 */
@ApplicationScoped
public class RetrainPipeline {

    private static final Logger LOG = Logger.getLogger(RetrainPipeline.class);

    @Inject
    TandemConfig config;

    @Inject
    TeacherModel teacher;

    @Inject
    SampleStore store;

    @Inject
    ModelRegistry registry;

    @Inject
    Event<StudentPromoted> promoted;

    @Inject
    DriftMonitor drift;


    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "retrain");
        t.setDaemon(true);
        return t;
    });
    private ImageSet base;
    private ImageSet heldOut;
    private ImageSet eval;
    private volatile boolean running;
    private volatile int rounds;
    /** Largest loss of test accuracy an INT8 student may show and still ship in INT8. */
    static final double MAX_INT8_LOSS = 0.01;

    private volatile long samplesAtLastTraining;
    private volatile long humanLabelsAtLastTraining;
    private volatile long humanLabelsAtLastTeacherRound;
    private volatile int teacherRounds;
    private volatile String lastTeacherOutcome = "";
    private volatile List<String> lastStudentOutcomes = List.of();
    private volatile long lastTrainingEndedMs = System.currentTimeMillis();
    private volatile String lastError = "";
    private volatile String lastVersion = "";

    void start(@Observes StartupEvent event) {
        DjlRuntime.configure();
        if (!config.retrain().enabled() || !teacher.configured()) {
            LOG.info("retrain pipeline disabled (tandem.retrain.enabled=false or no teacher configured)");
            return;
        }
        Optional<ModelManifest> latest = registry.latest(ModelRegistry.STUDENT_ID);
        if (latest.isPresent()) {
            samplesAtLastTraining = latest.get().getEdgeSamples();
            lastVersion = latest.get().getVersion();
        } else if (config.retrain().bootstrap()) {
            submit("bootstrap");
        }
    }

    void onRequest(@Observes RetrainRequested request) {
        int max = config.retrain().maxRounds();
        if (config.retrain().enabled() && (max == 0 || rounds < max)) {
            submit(request.reason());
        }
    }

    /** Starts a retrain now, whatever the triggers say; false if one is already running. */
    public synchronized boolean trigger(String reason) {
        if (running) {
            return false;
        }
        submit(reason);
        return true;
    }

    /** Whether a retrain is running. */
    public boolean running() {
        return running;
    }

    /** Labelled samples stored since the last training started. */
    public long samplesSinceTraining() {
        return store.size() - samplesAtLastTraining;
    }

    /** Human labels received since the last training started. */
    public long humanLabelsSinceTraining() {
        return store.humanLabels() - humanLabelsAtLastTraining;
    }

    /** Seconds since the last training ended (or since the service started). */
    public double secondsSinceTraining(long nowMs) {
        return (nowMs - lastTrainingEndedMs) / 1000.0;
    }

    private synchronized void submit(String reason) {
        if (running) {
            return;
        }
        running = true;
        executor.submit(() -> {
            try {
                retrain(reason);
            } catch (RuntimeException e) {
                lastError = e.getMessage();
                LOG.errorf(e, "retrain failed: %s", e.getMessage());
            } finally {
                lastTrainingEndedMs = System.currentTimeMillis();
                running = false;
            }
        });
    }

    private void retrain(String reason) {
        long humanLabels = store.humanLabels();
        long stored = store.size();
        var r = config.retrain();
        Architecture architecture = ModelZoo.get(r.student());
        ImageSet base = baseData();
        TrainConfig train = new TrainConfig(r.epochs(), r.batchSize(), r.learningRate(), r.seed(), r.temperature(),
                r.alpha());
        Optional<ModelManifest> global = registry.latest(ModelRegistry.STUDENT_ID);
        if (global.isEmpty()) {
            LOG.infof("retrain: %s; distilling v1 from teacher %s alone", reason, teacher.manifest().getVersion());
            EdgeExamples none = EdgeExamples.none(base.rows(), base.cols(), teacher.classes());
            StudentRound.Outcome v1 = new StudentRound(System.out).run(new StudentRound.Inputs(architecture, teacher, base,
                    heldOut, evalData(), none, train, r.gateSamples(), drift), "", ModelRegistry.STUDENT_ID, "v1", "",
                    Optional.empty(), work("student-v1"));
            promote(v1);
            lastVersion = "v1";
            return;
        }
        EdgeExamples edge = EdgeExamples.relabel(store, teacher, base.rows(), base.cols());
        LOG.infof("retrain round %d: %s; %d edge samples (%d labelled by a person) from groups %s", rounds + 1, reason,
                edge.all().size(), edge.where(EdgeExamples.Example::human).size(), edge.groups());
        ImageSet roundBase = base.head(Math.min(base.size(), r.adaptationBaseLimit()));
        if (r.teacherAdaptation() && humanLabels - humanLabelsAtLastTeacherRound >= r.teacherMinNewHumanLabels()) {
            humanLabelsAtLastTeacherRound = humanLabels;
            teacherRounds++;
            String version = "t" + (registry.versions(ModelRegistry.TEACHER_ID).size() + 1);
            TeacherAdaptation.Outcome t = new TeacherAdaptation(System.out).run(teacher, roundBase, evalData(), edge,
                    new TeacherAdaptation.Settings(r.teacherEpochs(), r.teacherLearningRate(), r.pseudoLabelConfidence(),
                            r.humanRepeat(), r.seed() + rounds), version, teacher.promotedDir(version));
            lastTeacherOutcome = version + ": " + t.reason();
            if (t.promoted()) {
                teacher.promote(teacher.promotedDir(version));
                edge = EdgeExamples.relabel(store, teacher, base.rows(), base.cols());
            }
        }
        StudentRound.Inputs inputs = new StudentRound.Inputs(architecture, teacher, base, heldOut, evalData(), edge,
                train, r.gateSamples(), drift);
        List<String> targets = new java.util.ArrayList<>();
        if (r.fleetStudent()) {
            targets.add("");
        }
        if (r.siteStudents()) {
            for (String g : edge.groups()) {
                if (edge.where(e -> e.group().equals(g)).size() >= r.siteMinSamples()) {
                    targets.add(g);
                }
            }
        }
        List<String> outcomes = new java.util.ArrayList<>();
        for (String group : targets) {
            String modelId = ModelRegistry.studentId(group);
            Optional<ModelManifest> own = registry.latest(modelId);
            ModelManifest running = own.orElseGet(() -> registry.latest(ModelRegistry.STUDENT_ID).orElseThrow());
            // Site versions carry their group, so a device's active version names what it runs.
            String version = (group.isEmpty() ? "v" : group + "-v") + (registry.versions(modelId).size() + 1);
            StudentRound.Outcome o = new StudentRound(System.out).run(inputs, group, modelId, version,
                    own.map(ModelManifest::getVersion).orElse(""),
                    registry.artifact(running.getModelId(), running.getVersion()), work(modelId + "-" + version));
            outcomes.add(modelId + " " + version + " " + o.reason());
            if (o.promoted()) {
                promote(o);
                if (group.isEmpty()) {
                    lastVersion = version;
                }
            }
        }
        lastStudentOutcomes = List.copyOf(outcomes);
        samplesAtLastTraining = stored;
        humanLabelsAtLastTraining = humanLabels;
        rounds++;
    }

    private void promote(StudentRound.Outcome o) {
        ModelManifest m = o.manifest();
        String mode = config.retrain().int8();
        if (mode.equals("off")) {
            m = m.toBuilder().setQuantization("fp32").setQuantizationReason("tandem.retrain.int8=off").build();
            m = SmokeInputs.attach(o.onnx(), m, heldOut, teacher.normalization());
            registry.register(o.onnx(), m);
        } else {
            boolean dot = mode.equals("qdq") || (mode.equals("auto") && CpuFeatures.hasVnni());
            Path int8 = o.onnx().resolveSibling("student-int8.onnx");
            DeviceInt8.Choice c = DeviceInt8.quantize(o.onnx(), heldOut.head(512), teacher.normalization(), dot, int8);
            double fp32Accuracy = m.getMetricsOrThrow("eval_accuracy");
            double int8Accuracy;
            try (OnnxClassifier q = OnnxClassifier.open(int8, 1)) {
                int8Accuracy = Metrics.accuracy(q.logits(evalData(), teacher.normalization()), evalData().labels(),
                        q.classes());
            }
            if (fp32Accuracy - int8Accuracy > MAX_INT8_LOSS) {
                m = m.toBuilder().setQuantization("fp32").putMetrics("int8_eval_accuracy", int8Accuracy)
                        .setQuantizationReason(String.format("%s lost %.2f points on the test images; FP32 ships",
                                c.form(), (fp32Accuracy - int8Accuracy) * 100)).build();
                m = SmokeInputs.attach(o.onnx(), m, heldOut, teacher.normalization());
                registry.register(o.onnx(), m);
            } else {
                m = m.toBuilder().setQuantization(c.form()).setQuantizationReason(c.reason())
                        .putMetrics("int8_eval_accuracy", int8Accuracy).setFallbackSha256(ArtifactDigest.sha256(o.onnx()))
                        .setFallbackSizeBytes(m.getSizeBytes()).setSha256(ArtifactDigest.sha256(int8))
                        .setSizeBytes(sizeOf(int8)).build();
                m = SmokeInputs.attach(int8, m, heldOut, teacher.normalization());
                registry.register(int8, m, o.onnx());
            }
        }
        promoted.fire(new StudentPromoted(m));
        LOG.infof("student %s %s promoted (group %s): eval accuracy %.4f, ships as %s (%s)", m.getModelId(),
                m.getVersion(), m.getDeviceGroup().isEmpty() ? "fleet" : m.getDeviceGroup(),
                m.getMetricsOrThrow("eval_accuracy"), m.getQuantization(), m.getQuantizationReason());
    }

    private static long sizeOf(Path file) {
        try {
            return java.nio.file.Files.size(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Path work(String name) {
        return config.dataDir().resolve("work").resolve(name + "-" + System.currentTimeMillis());
    }

    private synchronized ImageSet baseData() {
        if (base == null) {
            ImageSet full = FashionMnist.train(config.retrain().baseData());
            base = FashionMnist.trainingPart(full, config.retrain().baseLimit());
            heldOut = FashionMnist.heldOutPart(full);
        }
        return base;
    }

    private synchronized ImageSet evalData() {
        if (eval == null) {
            eval = FashionMnist.test(config.retrain().baseData()).head(config.retrain().evalLimit());
        }
        return eval;
    }

    /** A JSON-friendly status. */
    public Map<String, Object> status() {
        Map<String, Object> m = new TreeMap<>();
        m.put("running", running);
        m.put("rounds", rounds);
        m.put("last_version", lastVersion);
        m.put("last_error", lastError);
        m.put("samples_at_last_training", samplesAtLastTraining);
        m.put("human_labels_at_last_training", humanLabelsAtLastTraining);
        m.put("teacher", teacher.configured() ? teacher.manifest().getVersion() : "");
        m.put("last_teacher_round", lastTeacherOutcome);
        m.put("teacher_rounds", teacherRounds);
        m.put("last_student_rounds", lastStudentOutcomes);
        m.put("threshold", config.retrain().threshold());
        m.put("max_rounds", config.retrain().maxRounds());
        return m;
    }

    void stop(@Observes ShutdownEvent event) {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
