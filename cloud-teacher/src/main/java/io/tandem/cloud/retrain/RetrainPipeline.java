package io.tandem.cloud.retrain;

import com.google.protobuf.ByteString;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.drift.DriftMonitor;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.cloud.retrain.PipelineRuns.Kind;
import io.tandem.cloud.retrain.PipelineRuns.Planned;
import io.tandem.cloud.retrain.PipelineRuns.Run;
import io.tandem.cloud.retrain.PipelineRuns.State;
import io.tandem.cloud.store.SampleStore;
import io.tandem.cloud.teacher.TeacherModel;
import io.tandem.cloud.trigger.RetrainRequested;
import io.tandem.proto.Codecs;
import io.tandem.proto.DurableFiles;
import io.tandem.proto.v1.DType;
import io.tandem.proto.v1.EdgeSample;
import io.tandem.proto.v1.GateReason;
import io.tandem.proto.v1.LabelledSample;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.SiteInput;
import io.tandem.proto.v1.TeacherBundle;
import io.tandem.proto.v1.TrainingJob;
import io.tandem.proto.v1.TrainingResult;
import io.tandem.proto.v1.TrainingSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Plans retraining and takes its results; the training itself runs in retrain workers (module
 * {@code retrain-worker}), so this service carries no DJL. A trigger ({@link RetrainRequested}) queues a round in
 * {@link PipelineRuns}: a teacher run when enough people labelled samples since the last one, then a student for
 * the fleet and one for each group that sent enough samples, each waiting for the teacher run. A worker claims a
 * run and gets a {@link TrainingJob} made at that moment (the teacher in service then, every stored sample, what
 * the group runs now); its {@link TrainingResult} is checked, stored and registered here, and a promoted student
 * goes out through a rollout plan. At start, when no student exists yet, a round distils v1 from the teacher
 * alone. One round at a time; the queue lives in the database and outlives a restart.
 */
@ApplicationScoped
public class RetrainPipeline {

    private static final Logger LOG = Logger.getLogger(RetrainPipeline.class);
    /** The reason of the round that distils v1. */
    static final String BOOTSTRAP = "bootstrap";
    private static final Pattern PARAMS_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,100}\\.params");

    /** The run is not (or no longer) the asking worker's. */
    public static final class NotYours extends RuntimeException {
        NotYours(String message) {
            super(message);
        }
    }

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

    @Inject
    PipelineRuns runs;

    /** How long a queued run may wait for its first worker before the log says no worker seems to run. */
    private static final long UNCLAIMED_WARNING_MS = 60_000;
    private final java.util.Set<String> warnedUnclaimed = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService leases;
    private volatile boolean active;
    private volatile long samplesAtLastTraining;
    private volatile long humanLabelsAtLastTraining;
    private volatile long humanLabelsAtLastTeacherRound;
    private volatile long lastTrainingEndedMs = System.currentTimeMillis();
    private volatile String lastError = "";
    private volatile String lastVersion = "";

    void start(@Observes StartupEvent event) {
        if (!config.retrain().enabled() || !teacher.configured()) {
            LOG.info("retrain pipeline disabled (tandem.retrain.enabled=false or no teacher configured)");
            return;
        }
        active = true;
        Optional<ModelManifest> latest = registry.latest(ModelRegistry.STUDENT_ID);
        if (latest.isPresent()) {
            samplesAtLastTraining = latest.get().getEdgeSamples();
            lastVersion = latest.get().getVersion();
        } else if (config.retrain().bootstrap() && !running()) {
            submit(BOOTSTRAP);
        }
        leases = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "retrain-leases");
            t.setDaemon(true);
            return t;
        });
        leases.scheduleWithFixedDelay(this::expireLeases, 5, 5, TimeUnit.SECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (leases != null) {
            leases.shutdownNow();
        }
    }

    void onRequest(@Observes RetrainRequested request) {
        int max = config.retrain().maxRounds();
        if (active && (max == 0 || runs.roundsExcept(BOOTSTRAP) < max)) {
            submit(request.reason());
        }
    }

    /** Queues a round now, whatever the triggers say; false if one is queued or running already. */
    public boolean trigger(String reason) {
        return active && submit(reason);
    }

    /** Whether a round is queued or running. */
    public boolean running() {
        // Rounds run one at a time, so a run not yet ended is one of the open round's.
        return runs.open() > 0;
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

    private synchronized boolean submit(String reason) {
        if (running()) {
            return false;
        }
        long humanLabels = store.humanLabels();
        long stored = store.size();
        var r = config.retrain();
        List<Planned> plan = new ArrayList<>();
        if (registry.latest(ModelRegistry.STUDENT_ID).isEmpty()) {
            plan.add(new Planned(Kind.STUDENT, ModelRegistry.STUDENT_ID, "v1", ""));
        } else {
            if (r.teacherAdaptation() && humanLabels - humanLabelsAtLastTeacherRound >= r.teacherMinNewHumanLabels()) {
                humanLabelsAtLastTeacherRound = humanLabels;
                plan.add(new Planned(Kind.TEACHER, ModelRegistry.TEACHER_ID,
                        "t" + (registry.versions(ModelRegistry.TEACHER_ID).size() + 1), ""));
            }
            List<String> targets = new ArrayList<>();
            if (r.fleetStudent()) {
                targets.add("");
            }
            if (r.siteStudents()) {
                Map<String, Integer> perGroup = new TreeMap<>();
                usableSamples().forEach(s -> perGroup.merge(s.getExample().getGroup(), 1, Integer::sum));
                perGroup.forEach((g, n) -> {
                    if (!g.isEmpty() && n >= r.siteMinSamples()) {
                        targets.add(g);
                    }
                });
            }
            for (String group : targets) {
                String modelId = ModelRegistry.studentId(group);
                // Site versions carry their group, so a device's active version names what it runs.
                String version = (group.isEmpty() ? "v" : group + "-v") + (registry.versions(modelId).size() + 1);
                plan.add(new Planned(Kind.STUDENT, modelId, version, group));
            }
        }
        if (plan.isEmpty()) {
            LOG.infof("retrain: %s; nothing to train (no fleet student wanted and no group with %d samples)", reason,
                    r.siteMinSamples());
            return false;
        }
        List<Run> queued = runs.queueRound(reason, plan);
        samplesAtLastTraining = stored;
        humanLabelsAtLastTraining = humanLabels;
        LOG.infof("retrain round %d queued: %s; %s", queued.get(0).round(), reason, queued.stream()
                .map(q -> q.id() + " " + q.modelId() + " " + q.version()).toList());
        return true;
    }

    /** Stored samples a student or teacher of the teacher's input size can learn from. */
    private List<LabelledSample> usableSamples() {
        var shape = teacher.manifest().getInput();
        long pixels = shape.getShape(1) * shape.getShape(2);
        return store.trainingSet().stream().filter(s -> s.getExample().getInput().getDtype() == DType.UINT8
                && s.getExample().getInput().getData().size() == pixels).toList();
    }

    /**
     * Hands the next run that may start to {@code worker}, with everything it needs.
     *
     * @return empty when no run waits (or retraining is off here)
     */
    public Optional<TrainingJob> claim(String worker) {
        if (!active) {
            return Optional.empty();
        }
        Optional<Run> claimed = runs.claim(worker);
        if (claimed.isEmpty()) {
            return Optional.empty();
        }
        Run run = claimed.get();
        try {
            TrainingJob job = job(run);
            LOG.infof("run %s (%s %s %s) claimed by %s", run.id(), run.kind(), run.modelId(), run.version(), worker);
            return Optional.of(job);
        } catch (RuntimeException e) {
            fail(run.id(), worker, "cannot make its job: " + e.getMessage());
            throw e;
        }
    }

    private TrainingJob job(Run run) {
        var r = config.retrain();
        TrainingSettings settings = TrainingSettings.newBuilder().setEpochs(r.epochs()).setBatchSize(r.batchSize())
                .setLearningRate(r.learningRate()).setSeed(r.seed() + (run.kind() == Kind.TEACHER ? run.round() : 0))
                .setTemperature(r.temperature()).setAlpha(r.alpha()).setGateSamples(r.gateSamples())
                .setBaseData(r.baseData().toString()).setBaseLimit(r.baseLimit())
                .setAdaptationBaseLimit(r.adaptationBaseLimit()).setEvalLimit(r.evalLimit())
                .setStudentArchitecture(r.student()).setTeacherEpochs(r.teacherEpochs())
                .setTeacherLearningRate(r.teacherLearningRate()).setPseudoLabelConfidence(r.pseudoLabelConfidence())
                .setHumanRepeat(r.humanRepeat()).setInt8(r.int8()).build();
        ModelManifest current = teacher.manifest();
        TeacherBundle.Builder bundle = TeacherBundle.newBuilder().setManifest(current).setOnnx(read(teacher.onnx()));
        if (run.kind() == Kind.TEACHER) {
            String name = current.getArchitecture() + "-0000.params";
            Path params = teacher.paramsDir().resolve(name);
            if (!Files.isRegularFile(params)) {
                throw new IllegalStateException("the teacher in service has no parameters to fine-tune from: " + params
                        + " is missing");
            }
            bundle.setParamsName(name).setParams(read(params));
        }
        TrainingJob.Builder job = TrainingJob.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setRunId(run.id())
                .setKind(run.kind() == Kind.TEACHER ? TrainingJob.Kind.TEACHER : TrainingJob.Kind.STUDENT)
                .setReason(run.reason()).setModelId(run.modelId()).setVersion(run.version()).setDeviceGroup(run.site())
                .setSettings(settings).setTeacher(bundle);
        boolean first = run.kind() == Kind.STUDENT && registry.latest(ModelRegistry.STUDENT_ID).isEmpty();
        if (first) {
            // v1 learns from the teacher and the base data alone.
            return job.build();
        }
        SortedSet<String> groups = new TreeSet<>();
        for (LabelledSample s : usableSamples()) {
            String group = s.getExample().getGroup();
            if (!group.isEmpty()) {
                groups.add(group);
            }
            if (!run.site().isEmpty() && !group.equals(run.site())) {
                continue;
            }
            String key = SampleStore.key(s);
            job.addSamples(EdgeSample.newBuilder().setKey(key).setGroup(group)
                    .setPixels(s.getExample().getInput().getData())
                    .setHumanLabel(store.humanLabel(key).map(h -> h.getLabel()).orElse(-1))
                    .setAudit(s.getExample().getGateReason() == GateReason.RANDOM_AUDIT));
        }
        if (run.kind() == Kind.TEACHER) {
            for (String group : drift.groups()) {
                drift.recentInput(group).ifPresent(site -> job.addSites(SiteInput.newBuilder().setGroup(group)
                        .setMean(site[0]).setStd(site[1])));
            }
        }
        if (run.kind() == Kind.STUDENT) {
            Optional<ModelManifest> own = registry.latest(run.modelId());
            ModelManifest deployed = own.orElseGet(() -> registry.latest(ModelRegistry.STUDENT_ID).orElseThrow());
            job.setParentVersion(own.map(ModelManifest::getVersion).orElse(""));
            registry.artifact(deployed.getModelId(), deployed.getVersion()).ifPresent(p -> job.setDeployedOnnx(read(p)));
            if (run.site().isEmpty()) {
                // The fleet's student serves the groups without a student of their own; its gate looks at each of them.
                groups.stream().filter(g -> registry.latest(ModelRegistry.studentId(g)).isEmpty())
                        .forEach(job::addFleetStudentGroups);
            } else {
                drift.recentInput(run.site()).ifPresent(site -> job.setHasSiteInput(true).setSiteInputMean(site[0])
                        .setSiteInputStd(site[1]));
            }
        }
        return job.build();
    }

    /**
     * Appends a worker's log lines to its run (its heartbeat).
     *
     * @throws NotYours when the run is not running for this worker
     */
    public void progress(String runId, String worker, String lines) {
        requireRun(runId);
        if (!runs.progress(runId, worker, lines)) {
            throw new NotYours("run " + runId + " is not running for worker " + worker);
        }
    }

    /**
     * Takes what a worker made of its run: a promoted teacher goes into service, a promoted student into the
     * registry (and out through a rollout plan).
     *
     * @throws NotYours when the run is not running for this worker
     * @throws IllegalArgumentException naming what does not fit the run
     */
    public synchronized void accept(String runId, String worker, TrainingResult result) {
        Run run = requireRun(runId);
        if (run.state() != State.RUNNING || !run.worker().equals(worker)) {
            throw new NotYours("run " + runId + " is " + run.state() + (run.worker().isEmpty() ? ""
                    : " for worker " + run.worker()) + ", not running for worker " + worker);
        }
        if (!result.getRunId().equals(runId)) {
            throw new IllegalArgumentException("the result names run " + result.getRunId() + ", not " + runId);
        }
        if (result.getPromoted()) {
            ModelManifest m = result.getManifest();
            if (!m.getModelId().equals(run.modelId()) || !m.getVersion().equals(run.version())) {
                throw new IllegalArgumentException("the result's manifest is " + m.getModelId() + " " + m.getVersion()
                        + ", the run makes " + run.modelId() + " " + run.version());
            }
            if (run.kind() == Kind.TEACHER) {
                promoteTeacher(m, result);
            } else {
                promoteStudent(m, result);
            }
        }
        runs.finish(runId, worker, State.SUCCEEDED, result.getPromoted(), result.getReason());
        LOG.infof("run %s (%s %s) done by %s: %s", runId, run.modelId(), run.version(), worker, result.getReason());
        roundEnded(run.round());
    }

    /**
     * Ends a worker's run as failed.
     *
     * @throws NotYours when the run is not running for this worker
     */
    public void fail(String runId, String worker, String why) {
        Run run = requireRun(runId);
        if (!runs.finish(runId, worker, State.FAILED, false, why)) {
            throw new NotYours("run " + runId + " is not running for worker " + worker);
        }
        lastError = runId + ": " + why;
        LOG.errorf("run %s (%s %s) failed on %s: %s", runId, run.modelId(), run.version(), worker, why);
        roundEnded(run.round());
    }

    private Run requireRun(String runId) {
        return runs.find(runId).orElseThrow(() -> new java.util.NoSuchElementException("no pipeline run " + runId));
    }

    private void promoteTeacher(ModelManifest m, TrainingResult result) {
        if (!PARAMS_NAME.matcher(result.getParamsName()).matches() || result.getParams().isEmpty()) {
            throw new IllegalArgumentException("a promoted teacher needs its parameters (params_name like"
                    + " teacher-cnn-0000.params), got '" + result.getParamsName() + "'");
        }
        Path dir = teacher.promotedDir(m.getVersion());
        write(dir.resolve(TeacherModel.ONNX), result.getArtifact());
        write(dir.resolve(result.getParamsName()), result.getParams());
        write(dir.resolve("teacher.manifest.pb"), ByteString.copyFrom(Codecs.MANIFEST.encode(m)));
        teacher.promote(dir);
    }

    private void promoteStudent(ModelManifest m, TrainingResult result) {
        Path dir = config.dataDir().resolve("work").resolve(m.getModelId() + "-" + m.getVersion() + "-"
                + System.currentTimeMillis());
        ModelManifest registered;
        if (m.getFallbackSha256().isEmpty()) {
            Path onnx = dir.resolve("student.onnx");
            write(onnx, result.getArtifact());
            registered = registry.register(onnx, m);
        } else {
            Path int8 = dir.resolve("student-int8.onnx");
            Path fp32 = dir.resolve("student.onnx");
            write(int8, result.getArtifact());
            write(fp32, result.getFallback());
            registered = registry.register(int8, m, fp32);
        }
        if (m.getDeviceGroup().isEmpty()) {
            lastVersion = m.getVersion();
        }
        promoted.fire(new StudentPromoted(registered));
        LOG.infof("student %s %s promoted (group %s): eval accuracy %.4f, ships as %s (%s)", m.getModelId(),
                m.getVersion(), m.getDeviceGroup().isEmpty() ? "fleet" : m.getDeviceGroup(),
                m.getMetricsOrDefault("eval_accuracy", Double.NaN), m.getQuantization(), m.getQuantizationReason());
    }

    private void roundEnded(int round) {
        if (runs.round(round).stream().allMatch(Run::ended)) {
            lastTrainingEndedMs = System.currentTimeMillis();
            LOG.infof("retrain round %d ended", round);
        }
    }

    private void expireLeases() {
        try {
            long now = System.currentTimeMillis();
            int last = runs.lastRound();
            if (last > 0) {
                for (Run run : runs.round(last)) {
                    if (run.state() == State.QUEUED && run.attempts() == 0 && now - run.createdMs() > UNCLAIMED_WARNING_MS
                            && warnedUnclaimed.add(run.id())) {
                        LOG.warnf("run %s (%s %s) has waited %d s and no retrain worker claimed it: is one running?"
                                + " (java -cp ... io.tandem.worker.RetrainWorker --cloud %s)", run.id(), run.modelId(),
                                run.version(), (now - run.createdMs()) / 1000, config.publicUrl());
                    }
                }
            }
            long silentSince = System.currentTimeMillis() - config.retrain().leaseSeconds() * 1000L;
            for (Run run : runs.expireLeases(silentSince, config.retrain().maxAttempts())) {
                LOG.warnf("run %s: worker %s silent for %d s; %s", run.id(), run.worker(), config.retrain().leaseSeconds(),
                        run.attempts() >= config.retrain().maxAttempts() ? "failed" : "queued again");
                roundEnded(run.round());
            }
        } catch (RuntimeException e) {
            LOG.errorf("pipeline runs: cannot check the workers' leases: %s", e.getMessage());
        }
    }

    private static ByteString read(Path file) {
        try {
            return ByteString.copyFrom(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static void write(Path file, ByteString bytes) {
        try {
            Files.createDirectories(file.getParent());
            DurableFiles.replace(file, bytes.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** A JSON-friendly status: the queue, the newest round's runs, the teacher in service. */
    public Map<String, Object> status() {
        Map<String, Object> m = new TreeMap<>();
        m.put("running", running());
        m.put("rounds", runs.roundsExcept(BOOTSTRAP));
        m.put("last_version", lastVersion);
        m.put("last_error", lastError);
        m.put("samples_at_last_training", samplesAtLastTraining);
        m.put("human_labels_at_last_training", humanLabelsAtLastTraining);
        m.put("teacher", teacher.configured() ? teacher.manifest().getVersion() : "");
        List<Run> recent = runs.recent(200);
        recent.stream().filter(r -> r.kind() == Kind.TEACHER && r.ended()).findFirst()
                .ifPresent(r -> m.put("last_teacher_round", r.version() + ": " + r.outcome()));
        m.putIfAbsent("last_teacher_round", "");
        m.put("teacher_rounds", recent.stream().filter(r -> r.kind() == Kind.TEACHER).count());
        int last = recent.isEmpty() ? 0 : recent.get(0).round();
        m.put("last_student_rounds", recent.stream().filter(r -> r.round() == last && r.kind() == Kind.STUDENT)
                .map(r -> r.modelId() + " " + r.version() + " " + (r.ended() ? r.outcome() : r.state().name())).toList());
        m.put("queue", runs.counts());
        m.put("threshold", config.retrain().threshold());
        m.put("max_rounds", config.retrain().maxRounds());
        return m;
    }
}
