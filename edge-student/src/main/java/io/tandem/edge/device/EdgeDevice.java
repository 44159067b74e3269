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
import io.tandem.proto.v1.DeployAck;
import io.tandem.proto.v1.DeployCommand;
import io.tandem.proto.v1.GateReason;
import io.tandem.proto.v1.InferenceResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One edge device: follows the retained deploy commands of its fleet and of itself, answers frames from
 * its source with the student, uploads the frames the gate flags, publishes results and telemetry, and
 * acknowledges every deployment. Several devices can run in one JVM; each has its own MQTT client,
 * identity, work folder and sequence counter.
 */
public final class EdgeDevice implements AutoCloseable {

    private final DeviceConfig config;
    private final FrameSource source;
    private final DeviceStats stats = new DeviceStats();
    private final LinkedBlockingQueue<Pending> deploys = new LinkedBlockingQueue<>();
    private final SequenceCounter sequence;
    private final ModelUpdater updater;
    private final MqttLink link;
    private final ResultBatcher results;
    private final HardExampleUploader uploader;
    private final TelemetryReporter telemetry;
    private final Thread serving;
    private final Thread ota;
    private volatile Gate gate;
    private volatile WindowCounter window;
    /** Whether the command in force was addressed to this device alone; such a command beats the fleet's. */
    private boolean activeIsDeviceSpecific;

    /** A received deploy command and whether it came on this device's own topic. */
    private record Pending(DeployCommand command, boolean deviceSpecific) {
    }
    private volatile boolean stopping;
    private boolean closed;

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
        updater = new ModelUpdater(config.workDir().resolve("models"), config.threads(), config.ota());
        link = new MqttLink(config.mqttUrl(), id, config.workDir().resolve("mqtt"), config.mqtt(),
                List.of(Topics.fleetDeploy(config.fleet()), Topics.deviceDeploy(config.fleet(), id)), this::onMessage);
        results = new ResultBatcher(link, id, config.fleet(), config.group(), config.resultsBatch());
        uploader = new HardExampleUploader(link, stats, id, config.fleet(), config.group());
        telemetry = new TelemetryReporter(link, stats, id, config.fleet(), config.group(), this::activeVersion,
                () -> window, config.telemetryInterval(),
                () -> results.flushIfOlderThan(config.telemetryInterval().toNanos()));
        serving = new Thread(this::serve, id + "-serving");
        ota = new Thread(this::followDeploys, id + "-ota");
    }

    /** Connects to the broker (waiting up to the configured connect timeout) and starts serving. */
    public void start() {
        link.connect(config.connectTimeout().toMillis());
        log("connected to " + config.mqttUrl() + ", waiting for a deploy command on " + Topics.fleetDeploy(config.fleet()));
        telemetry.start();
        ota.start();
        serving.start();
    }

    /** The device id. */
    public String deviceId() {
        return config.deviceId();
    }

    /** A consistent copy of the device's counters. */
    public DeviceStatus status() {
        return stats.snapshot(config.deviceId(), config.fleet(), activeVersion(), closed);
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
                updater.withActive(a -> {
                    infer(a.model(), frame);
                    return Boolean.TRUE;
                });
            } catch (IllegalStateException e) {
                // The uplink stayed unusable; keep serving, and count what was not sent.
                stats.hardExampleFailed();
                log("frame " + frame.index() + ": " + e.getMessage());
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

    /** Applies deploy commands as they arrive, on its own thread, while frames keep being answered. */
    private void followDeploys() {
        while (!stopping) {
            Pending command;
            try {
                command = deploys.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (command != null) {
                deploy(command.command(), command.deviceSpecific());
            }
        }
    }

    private void infer(StudentModel model, Frame frame) {
        long start = System.nanoTime();
        float[] probabilities = model.probabilities(frame.pixels());
        float latencyMs = (System.nanoTime() - start) / 1e6f;
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
        InferenceResult.Builder result = InferenceResult.newBuilder().setSequence(seq).setCaptureTimeMs(now)
                .setPredictedClass(predicted).setConfidence(probabilities[predicted]).setEscalated(reason.isPresent())
                .setLatencyMs(latencyMs).setSourceFrame(frame.index());
        if (frame.hasGroundTruth()) {
            result.setGroundTruth(frame.groundTruth());
        }
        results.add(model.version(), result);
    }

    private void deploy(DeployCommand command, boolean deviceSpecific) {
        if (updater.isCurrent(command)) {
            activeIsDeviceSpecific |= deviceSpecific;
            return;
        }
        if (activeIsDeviceSpecific && !deviceSpecific) {
            log("fleet command for " + command.getModelVersion() + " ignored: a command for this device alone is in force");
            ack(DeployAck.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setRolloutId(command.getRolloutId())
                    .setModelVersion(command.getModelVersion()).setPreviousVersion(activeVersion())
                    .setTimeMs(System.currentTimeMillis()).setStatus(DeployAck.Status.SUPERSEDED)
                    .setDetail("a command for this device alone (" + activeVersion() + ") is in force"));
            return;
        }
        log("deploying " + command.getModelVersion() + " (rollout " + command.getRolloutId() + ") from "
                + command.getArtifactUrl());
        // The window so far belongs to the version being replaced: report it before the swap.
        if (window != null) {
            telemetry.publish();
        }
        DeployAck ack = updater.apply(command).setDeviceId(config.deviceId()).setFleet(config.fleet()).build();
        if (ack.getStatus() == DeployAck.Status.ACTIVE) {
            gate = config.gate().newGate(command.getConfidenceThreshold(), config.deviceId().hashCode());
            window = new WindowCounter(updater.active().orElseThrow().model().classes());
            activeIsDeviceSpecific = deviceSpecific;
        }
        log("deploy " + command.getModelVersion() + ": " + ack.getStatus() + " " + ack.getDetail());
        ack(ack.toBuilder());
    }

    private void ack(DeployAck.Builder ack) {
        link.publish(Topics.mqtt(config.fleet(), config.deviceId(), DeviceStream.ACKS),
                Codecs.DEPLOY_ACK.encode(ack.setDeviceId(config.deviceId()).setFleet(config.fleet()).build()), false,
                ok -> { });
    }

    private void onMessage(String topic, byte[] payload) {
        try {
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
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        telemetry.close();
        boolean drained = true;
        if (link.connected()) {
            telemetry.publish();
            drained = link.drain(drain.toMillis());
        }
        closed = true;
        log("stopped: " + stats.inferences() + " inferences, " + stats.hardAcked() + "/" + stats.hardSent()
                + " hard examples acknowledged" + (drained ? "" : ", some still pending"));
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
