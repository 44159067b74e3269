package io.tandem.edge.device;

import io.tandem.edge.feed.Frame;
import io.tandem.edge.feed.FrameSource;
import io.tandem.edge.feed.SourceClosedException;
import io.tandem.edge.gate.Gate;
import io.tandem.edge.inference.StudentModel;
import io.tandem.edge.link.MqttLink;
import io.tandem.edge.link.SequenceCounter;
import io.tandem.edge.ota.ModelUpdater;
import io.tandem.edge.stats.DeviceStats;
import io.tandem.edge.stats.DeviceStatus;
import io.tandem.edge.stats.WindowCounter;
import io.tandem.proto.Codecs;
import io.tandem.proto.PayloadException;
import io.tandem.proto.Topics;
import io.tandem.proto.Topics.DeviceStream;
import io.tandem.proto.v1.AnsweredBy;
import io.tandem.proto.v1.DeployAck;
import io.tandem.proto.v1.DeployCommand;
import io.tandem.proto.v1.GateReason;
import io.tandem.proto.v1.HardExample;
import io.tandem.proto.v1.HardExampleBatch;
import com.google.protobuf.ByteString;
import io.tandem.proto.v1.InferenceResult;
import io.tandem.proto.v1.SampleReceipt;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import io.tandem.edge.joint.TeacherClient;
import io.tandem.edge.uplink.UploadQueue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One edge device: follows the retained deploy commands of its fleet and of itself, answers frames from
 * its source with the student, uploads the frames the gate flags, publishes results and telemetry, and
 * acknowledges every deployment. Several devices can run in one JVM; each has its own MQTT client,
 * identity, work folder and sequence counter.
 */
public final class EdgeDevice implements AutoCloseable {

    /** Recent frames a new model must answer before it is swapped in. */
    private static final int RECENT_FRAMES = 8;
    /** Bytes of queued samples one MQTT message carries at most (a single larger sample still goes alone). */
    private static final long SAMPLE_BATCH_BYTES = 1 << 20;

    private final DeviceConfig config;
    private final FrameSource source;
    private final DeviceStats stats = new DeviceStats();
    private final LinkedBlockingQueue<Pending> deploys = new LinkedBlockingQueue<>();
    private final SequenceCounter sequence;
    private final ModelUpdater updater;
    private final UploadQueue queue;
    private final MqttLink link;
    private final ResultBatcher results;
    private final HardExampleUploader uploader;
    private final TelemetryReporter telemetry;
    /** The cloud's teacher for escalated frames; null when joint inference is off. */
    private final TeacherClient teacher;
    private final AtomicInteger asking = new AtomicInteger();
    private final Thread serving;
    private final Thread ota;
    private volatile Gate gate;
    private volatile WindowCounter window;
    /** The last frames answered, which a new model must answer too before it is swapped in. */
    private final ArrayDeque<byte[]> recentFrames = new ArrayDeque<>();
    private long lastErrorLog;

    /** A received deploy command and whether it came on this device's own topic. */
    private record Pending(DeployCommand command, boolean deviceSpecific) {
    }
    private volatile boolean stopping;
    private boolean closed;
    private UploadQueue.Listener observer = new UploadQueue.Listener() {
        @Override
        public void acknowledged(UploadQueue.Kind kind, byte[] payload) {
        }

        @Override
        public void dropped(UploadQueue.Kind kind, byte[] payload) {
        }
    };

    /** Creates a device; nothing connects or runs until {@link #start()}. */
    public EdgeDevice(DeviceConfig config, FrameSource source) {
        this.config = config;
        this.source = source;
        try {
            Files.createDirectories(config.workDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + config.workDir(), e);
        }
        String id = config.deviceId();
        sequence = new SequenceCounter(config.workDir().resolve("sequence"));
        queue = new UploadQueue(config.workDir().resolve("uplink"), config.queue(),
                Math.max(10, Math.min(500, config.mqtt().maxInflight() / 2)));
        updater = new ModelUpdater(config.workDir().resolve("models"), config.threads(), config.provider(), config.ota(),
                this::ack);
        updater.onServing(a -> startModel(a.model(), a.command()));
        link = new MqttLink(config.mqttUrl(), id, config.workDir().resolve("mqtt"), config.mqtt(),
                List.of(Topics.fleetDeploy(config.fleet()), Topics.deviceDeploy(config.fleet(), id),
                        Topics.deviceReceipts(config.fleet(), id)), this::onMessage);
        // A sample is done when the cloud's receipt says it is stored, not when the broker has it: a broker
        // that crashes with acknowledged samples in memory cannot lose them.
        queue.awaitReceipts(UploadQueue.Kind.SAMPLES, EdgeDevice::receiptKey,
                Duration.ofSeconds(config.mqtt().receiptTimeoutSeconds()));
        if (config.mqtt().samplesPerMessage() > 1) {
            String batchTopic = Topics.mqtt(config.fleet(), id, DeviceStream.SAMPLE_BATCHES);
            queue.packInto(UploadQueue.Kind.SAMPLES, config.mqtt().samplesPerMessage(), SAMPLE_BATCH_BYTES,
                    Duration.ofMillis(config.mqtt().samplesLingerMs()), messages -> {
                        HardExampleBatch.Builder batch = HardExampleBatch.newBuilder()
                                .setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId(id).setFleet(config.fleet());
                        messages.forEach(m -> batch.addExamples(ByteString.copyFrom(m.payload())));
                        return new UploadQueue.Message(batchTopic, Codecs.HARD_EXAMPLE_BATCH.encode(batch.build()));
                    });
        }
        results = new ResultBatcher(queue, id, config.fleet(), config.group(), config.resultsBatch());
        uploader = new HardExampleUploader(queue, stats, id, config.fleet(), config.group());
        telemetry = new TelemetryReporter(queue, stats, id, config.fleet(), config.group(), this::activeVersion,
                () -> window, updater::rollbacks,
                // Each device object is one start of the agent on its work folder: the cloud counts restarts from it.
                new SequenceCounter(config.workDir().resolve("starts")).next(), config.telemetryInterval(),
                () -> results.flushIfOlderThan(config.telemetryInterval().toNanos()));
        teacher = config.joint().enabled() ? new TeacherClient(config.joint(), id, config.fleet()) : null;
        serving = new Thread(this::serve, id + "-serving");
        ota = new Thread(this::followDeploys, id + "-ota");
    }

    /**
     * Starts serving. A device with a last good model on disk serves it at once and connects in the
     * background, so it answers frames without any network; a device without one connects first (waiting up
     * to the configured connect timeout) and waits for its first deploy command.
     */
    public void start() {
        UploadQueue.Listener observer = this.observer;
        queue.start(link::tryPublish, new UploadQueue.Listener() {
            @Override
            public void queued(UploadQueue.Kind kind, byte[] payload) {
                observer.queued(kind, payload);
            }

            @Override
            public void acknowledged(UploadQueue.Kind kind, byte[] payload) {
                if (kind == UploadQueue.Kind.SAMPLES) {
                    stats.hardExampleAcked();
                }
                observer.acknowledged(kind, payload);
            }

            @Override
            public void dropped(UploadQueue.Kind kind, byte[] payload) {
                if (kind == UploadQueue.Kind.SAMPLES) {
                    stats.hardExampleFailed();
                }
                observer.dropped(kind, payload);
            }
        });
        Optional<String> restored = updater.restore();
        if (restored.isPresent()) {
            log("serving the last good model " + restored.get() + " from disk; connecting to " + config.mqttUrl()
                    + " in the background");
            link.connectInBackground(() -> stopping);
        } else {
            link.connect(config.connectTimeout().toMillis());
            log("connected to " + config.mqttUrl() + ", waiting for a deploy command on "
                    + Topics.fleetDeploy(config.fleet()));
        }
        telemetry.start();
        ota.start();
        serving.start();
    }

    /**
     * Installs a model shipped with the device, served at {@link #start()} when the device has no model from
     * the cloud yet; call before starting.
     */
    public boolean provision(java.nio.file.Path onnx, io.tandem.proto.v1.ModelManifest manifest,
            float confidenceThreshold) {
        return updater.provision(onnx, manifest, config.fleet(), confidenceThreshold);
    }

    /**
     * Has {@code observer} told what becomes of every message the device sends (an audit trail such as
     * {@link io.tandem.edge.uplink.SampleLedger}); call before starting.
     */
    public void observeUploads(UploadQueue.Listener observer) {
        this.observer = observer;
    }

    /** A sample's key in receipts: its incarnation and sequence. */
    private static String receiptKey(byte[] hardExample) {
        try {
            HardExample e = Codecs.HARD_EXAMPLE.decode(hardExample);
            return receiptKey(e.getIncarnation(), e.getSequence());
        } catch (PayloadException ex) {
            return "unreadable/" + java.util.Arrays.hashCode(hardExample);
        }
    }

    private static String receiptKey(String incarnation, long sequence) {
        return incarnation + "/" + sequence;
    }

    /** The device id. */
    public String deviceId() {
        return config.deviceId();
    }

    /** A consistent copy of the device's counters. */
    public DeviceStatus status() {
        return stats.snapshot(config.deviceId(), config.fleet(), activeVersion(), closed, updater.rollbacks());
    }

    /** The version in service, or {@code none}. */
    public String activeVersion() {
        return updater.active().map(a -> a.model().version()).orElse("none");
    }

    /** Answers frames with the model in service; deploy commands are handled by {@link #followDeploys}. */
    private void serve() {
        long nanosPerFrame = config.fps() > 0 ? (long) (1e9 / config.fps()) : 0;
        long nextFrameAt = System.nanoTime();
        while (!stopping) {
            Optional<String> version = updater.active().map(a -> a.model().version());
            if (version.isEmpty() || (config.framesPerVersion() > 0
                    && stats.version(version.get()).frames() >= config.framesPerVersion())) {
                results.flush();
                sleepNanos(TimeUnit.MILLISECONDS.toNanos(100));
                nextFrameAt = System.nanoTime();
                continue;
            }
            Frame frame;
            try {
                frame = source.next();
            } catch (SourceClosedException e) {
                break;
            }
            try {
                updater.serve(model -> infer(model, frame));
            } catch (RuntimeException e) {
                // A model that throws outside its probation: count the frame and keep serving.
                stats.inferenceError();
                long now = System.nanoTime();
                if (now - lastErrorLog > TimeUnit.SECONDS.toNanos(5)) {
                    lastErrorLog = now;
                    log("frame " + frame.index() + " not answered (" + stats.inferenceErrors() + " so far): "
                            + e.getMessage());
                }
            }
            if (nanosPerFrame > 0) {
                nextFrameAt += nanosPerFrame;
                long wait = nextFrameAt - System.nanoTime();
                if (wait > 0) {
                    sleepNanos(wait);
                }
            }
        }
        results.flush();
    }

    /**
     * Applies deploy commands as they arrive, on its own thread, while frames keep being answered. Of the
     * commands waiting, one that a newer command of the same or a stronger scope makes obsolete is
     * acknowledged as stale without being applied.
     */
    private void followDeploys() {
        while (!stopping) {
            Pending command;
            try {
                command = deploys.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (command == null) {
                continue;
            }
            Optional<Pending> newer = deploys.stream().filter(p -> replaces(p, command)).findFirst();
            if (newer.isPresent()) {
                ack(ModelUpdater.ack(command.command(), activeVersion()).setStatus(DeployAck.Status.STALE).setDetail("a newer command ("
                        + newer.get().command().getModelVersion() + ", issued at "
                        + newer.get().command().getIssuedAtMs() + ") is waiting"));
                continue;
            }
            deploy(command.command(), command.deviceSpecific());
        }
    }

    /** Whether {@code later} makes {@code earlier} obsolete: a stronger scope, or the same scope issued later. */
    private static boolean replaces(Pending later, Pending earlier) {
        if (later.deviceSpecific() != earlier.deviceSpecific()) {
            return later.deviceSpecific();
        }
        return later.command().getIssuedAtMs() >= earlier.command().getIssuedAtMs();
    }

    /** Answers one frame; returns the model's latency in milliseconds. */
    private double infer(StudentModel model, Frame frame) {
        long start = System.nanoTime();
        float[] probabilities = model.probabilities(frame.pixels());
        float latencyMs = (System.nanoTime() - start) / 1e6f;
        remember(frame.pixels());
        int predicted = 0;
        for (int c = 1; c < probabilities.length; c++) {
            if (probabilities[c] > probabilities[predicted]) {
                predicted = c;
            }
        }
        Gate g = gate;
        Optional<GateReason> reason = g.check(probabilities);
        long seq = sequence.next();
        long now = System.currentTimeMillis();
        stats.recordInference(model.version(), predicted, frame.groundTruth(), reason.isPresent(), latencyMs);
        window.record(frame.pixels(), predicted, probabilities[predicted], reason.isPresent());
        if (reason.isPresent()) {
            uploader.upload(model, frame, probabilities, reason.get(), g.threshold(), seq, now);
        }
        long studentMacs = model.manifest().getMacs();
        InferenceResult.Builder result = InferenceResult.newBuilder().setSequence(seq).setCaptureTimeMs(now)
                .setPredictedClass(predicted).setConfidence(probabilities[predicted]).setEscalated(reason.isPresent())
                .setLatencyMs(latencyMs).setSourceFrame(frame.index()).setAnsweredBy(AnsweredBy.STUDENT)
                .setMacs(studentMacs);
        if (frame.hasGroundTruth()) {
            result.setGroundTruth(frame.groundTruth());
        }
        String version = model.version();
        if (reason.isPresent() && teacher != null) {
            // Joint inference: the teacher's answer if it comes within the budget, the student's otherwise.
            asking.incrementAndGet();
            teacher.ask(seq, frame.pixels(), model.manifest().getInput().getShapeList()).thenAccept(a -> {
                try {
                    boolean answered = a.outcome() == TeacherClient.Outcome.TEACHER;
                    if (answered) {
                        int c = a.answer().getPredictedClass();
                        result.setPredictedClass(c).setAnsweredBy(AnsweredBy.TEACHER)
                                .setConfidence(c < a.answer().getProbabilitiesCount() ? a.answer().getProbabilities(c) : 0)
                                .setMacs(studentMacs + a.answer().getTeacherMacs());
                    } else {
                        result.setAnsweredBy(AnsweredBy.STUDENT_FALLBACK);
                    }
                    stats.recordAnswer(true, answered, result.getPredictedClass(), frame.groundTruth());
                    results.add(version, result);
                } finally {
                    asking.decrementAndGet();
                }
            });
        } else {
            stats.recordAnswer(false, false, predicted, frame.groundTruth());
            results.add(version, result);
        }
        return latencyMs;
    }

    private void remember(byte[] pixels) {
        synchronized (recentFrames) {
            if (recentFrames.size() == RECENT_FRAMES) {
                recentFrames.removeFirst();
            }
            recentFrames.addLast(pixels);
        }
    }

    private List<byte[]> recentFrames() {
        synchronized (recentFrames) {
            return List.copyOf(recentFrames);
        }
    }

    private void deploy(DeployCommand command, boolean deviceSpecific) {
        log("deploy command " + command.getModelVersion() + " (rollout " + command.getRolloutId() + ", "
                + (deviceSpecific ? "this device" : "fleet") + ") from " + command.getArtifactUrl());
        // The window so far belongs to the version being replaced: report it before the swap.
        if (window != null) {
            telemetry.publish();
        }
        Optional<DeployAck.Builder> answer = updater.apply(command, deviceSpecific, recentFrames(),
                () -> deploys.stream().anyMatch(p -> replaces(p, new Pending(command, deviceSpecific))));
        if (answer.isEmpty()) {
            log("deploy " + command.getModelVersion() + ": already in service or refused before, nothing to do");
            return;
        }
        DeployAck.Builder ack = answer.get();
        log("deploy " + command.getModelVersion() + ": " + ack.getStatus() + " " + ack.getDetail());
        ack(ack);
    }

    /** A new gate and telemetry window for the model now in service, before it answers a frame. */
    private void startModel(StudentModel model, DeployCommand command) {
        try {
            source.inputSpec(model.manifest().getInput());
        } catch (IllegalArgumentException e) {
            log("the frame source cannot feed model " + model.version() + ": " + e.getMessage());
        }
        gate = config.gate().newGate(command.getConfidenceThreshold(), config.deviceId().hashCode());
        window = new WindowCounter(model.classes());
    }

    private void ack(DeployAck.Builder ack) {
        queue.offer(UploadQueue.Kind.ACKS, Topics.mqtt(config.fleet(), config.deviceId(), DeviceStream.ACKS),
                Codecs.DEPLOY_ACK.encode(ack.setDeviceId(config.deviceId()).setFleet(config.fleet()).build()), 0);
    }

    private void onMessage(String topic, byte[] payload) {
        try {
            if (topic.equals(Topics.deviceReceipts(config.fleet(), config.deviceId()))) {
                SampleReceipt receipt = Codecs.SAMPLE_RECEIPT.decode(payload);
                if (!receipt.getDeviceId().equals(config.deviceId())) {
                    throw new PayloadException(PayloadException.Reason.INVALID, "SampleReceipt for "
                            + receipt.getDeviceId() + " arrived on " + topic);
                }
                List<String> keys = new ArrayList<>(receipt.getSequencesCount());
                receipt.getSequencesList().forEach(seq -> keys.add(receiptKey(receipt.getIncarnation(), seq)));
                queue.confirm(UploadQueue.Kind.SAMPLES, keys);
                return;
            }
            DeployCommand command = Codecs.DEPLOY_COMMAND.decode(payload);
            if (!command.getFleet().equals(config.fleet())) {
                throw new PayloadException(PayloadException.Reason.INVALID,
                        "DeployCommand for fleet " + command.getFleet() + " arrived on " + topic);
            }
            deploys.add(new Pending(command, topic.equals(Topics.deviceDeploy(config.fleet(), config.deviceId()))));
        } catch (PayloadException e) {
            stats.messageRejected();
            log("rejected message on " + topic + ": " + e.getMessage() + " (rejected so far: " + stats.rejected() + ")");
        }
    }

    /**
     * Stops serving, publishes the last results and telemetry, waits up to {@code drain} for the broker to
     * acknowledge what is pending, and closes the connection and the model. Idempotent.
     *
     * @return whether everything pending was acknowledged
     */
    public synchronized boolean stop(Duration drain) {
        if (closed) {
            return true;
        }
        stopping = true;
        source.close();
        ota.interrupt();
        try {
            serving.join(10_000);
            ota.join(10_000);
            // Answers still expected from the teacher arrive within their budget.
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.joint().budgetMs() + 1_000L);
            while (asking.get() > 0 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        results.flush();
        telemetry.close();
        telemetry.publish();
        // A device between reconnect attempts still gets the drain time to come back and send what it holds.
        long deadline = System.currentTimeMillis() + drain.toMillis();
        while (!link.connected() && System.currentTimeMillis() < deadline) {
            sleepNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        boolean drained = link.connected() && queue.drain(Math.max(0, deadline - System.currentTimeMillis()))
                && link.drain(Math.max(0, deadline - System.currentTimeMillis()));
        queue.close();
        closed = true;
        log("stopped: " + stats.inferences() + " inferences, " + stats.hardAcked() + "/" + stats.hardSent()
                + " hard examples acknowledged" + (drained ? "" : ", pending: " + queue.describePending()
                + (link.connected() ? "" : ", not connected")));
        link.close();
        updater.close();
        return drained;
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(15));
    }

    private void log(String message) {
        System.out.println("[" + config.deviceId() + "] " + message);
        System.out.flush();
    }

    private static void sleepNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
