package io.tandem.cloud.retrain;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.cloud.store.SampleStore;
import io.tandem.cloud.trigger.RetrainRequested;
import io.tandem.cloud.teacher.TeacherModel;
import io.tandem.distill.data.FashionMnist;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.kd.EdgeSamples;
import io.tandem.distill.kd.StudentDistiller;
import io.tandem.distill.kd.Teacher;
import io.tandem.distill.train.DjlRuntime;
import io.tandem.distill.train.TrainConfig;
import io.tandem.distill.zoo.Architecture;
import io.tandem.distill.zoo.ModelZoo;
import io.tandem.proto.v1.LabelledSample;
import io.tandem.proto.v1.ModelManifest;
import jakarta.enterprise.context.ApplicationScoped;
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
    private volatile int samplesAtLastTraining;
    private volatile long humanLabelsAtLastTraining;
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
            samplesAtLastTraining = (int) latest.get().getEdgeSamples();
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
        List<LabelledSample> samples = store.readAll();
        Optional<ModelManifest> parent = registry.latest(ModelRegistry.STUDENT_ID);
        String version = "v" + (registry.versions(ModelRegistry.STUDENT_ID).size() + 1);
        LOG.infof("retrain %s: %s; %d labelled edge samples", version, reason, samples.size());
        Architecture student = ModelZoo.get(config.retrain().student());
        ImageSet baseData = baseData();
        EdgeSamples edge = EdgeSamples.from(samples, baseData.rows(), baseData.cols(), student.classes());
        edge.skipped().forEach(s -> LOG.warnf("retrain %s skips sample %s", version, s));
        var r = config.retrain();
        Path out = config.dataDir().resolve("work").resolve(version);
        ModelManifest m = new StudentDistiller(System.out, Math.max(1, Runtime.getRuntime().availableProcessors()))
                .distill(new StudentDistiller.Request(student, new Teacher.Onnx(teacher.onnx()), teacher.manifest().getVersion(), baseData,
                        edge, heldOut, evalData(), teacher.normalization(),
                        new TrainConfig(r.epochs(), r.batchSize(), r.learningRate(), r.seed(), r.temperature(), r.alpha()),
                        ModelManifest.newBuilder().setModelId(ModelRegistry.STUDENT_ID).setVersion(version)
                                .setParentVersion(parent.map(ModelManifest::getVersion).orElse(""))
                                .setDataSnapshot("fashion-mnist/train[0:" + baseData.size() + "] + store["
                                        + samples.size() + "]"),
                        out, "student"));
        registry.register(out.resolve("student.onnx"), m);
        samplesAtLastTraining = samples.size();
        humanLabelsAtLastTraining = humanLabels;
        if (!samples.isEmpty()) {
            // The bootstrap (v1, from the teacher alone) is not one of the retrain rounds max-rounds limits.
            rounds++;
        }
        lastVersion = version;
        LOG.infof("retrain %s done: eval accuracy %.4f on %d samples, learned from %d edge samples", version,
                m.getMetricsOrThrow("eval_accuracy"), (long) m.getMetricsOrThrow("eval_samples"), m.getEdgeSamples());
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
