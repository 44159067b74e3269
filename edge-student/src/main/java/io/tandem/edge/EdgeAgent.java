package io.tandem.edge;

import com.google.protobuf.ByteString;
import io.tandem.edge.feed.Frame;
import io.tandem.edge.feed.IdxFrameFeed;
import io.tandem.edge.gate.ConfidenceGate;
import io.tandem.edge.inference.StudentModel;
import io.tandem.edge.link.MqttLink;
import io.tandem.edge.link.SequenceCounter;
import io.tandem.edge.ota.ModelUpdater;
import io.tandem.edge.stats.DeviceStats;
import io.tandem.proto.Codecs;
import io.tandem.proto.PayloadException;
import io.tandem.proto.Topics;
import io.tandem.proto.Topics.DeviceStream;
import io.tandem.proto.v1.DType;
import io.tandem.proto.v1.DeployAck;
import io.tandem.proto.v1.DeployCommand;
import io.tandem.proto.v1.GateReason;
import io.tandem.proto.v1.HardExample;
import io.tandem.proto.v1.InferenceResult;
import io.tandem.proto.v1.ResultBatch;
import io.tandem.proto.v1.Telemetry;
import io.tandem.proto.v1.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The device agent: follows the retained deploy command, runs the student on its feed, escalates inputs
 * the confidence gate flags, publishes results and telemetry, and acknowledges every deployment.
 */
@Command(name = "edge-agent", mixinStandardHelpOptions = true,
        description = "Run one Tandem edge device: ONNX Runtime inference, confidence gate, MQTT uplink, OTA.")
public final class EdgeAgent implements Runnable {

    @Option(names = "--device", required = true, description = "Device id")
    String deviceId;

    @Option(names = "--fleet", description = "Fleet id (default: ${DEFAULT-VALUE})")
    String fleet = "default";

    @Option(names = "--mqtt", description = "MQTT broker URL (default: ${DEFAULT-VALUE})")
    String mqttUrl = "tcp://127.0.0.1:1883";

    @Option(names = "--work-dir", required = true, description = "Folder for models, MQTT persistence and status")
    Path workDir;

    @Option(names = "--feed-images", required = true, description = "IDX images file the camera stand-in streams")
    Path feedImages;

    @Option(names = "--feed-labels", description = "IDX labels file (ground truth, for measuring accuracy)")
    Path feedLabels;

    @Option(names = "--feed-offset", description = "First frame of the feed (default: ${DEFAULT-VALUE})")
    long feedOffset;

    @Option(names = "--frames-per-version", description = "Frames each model version answers, then idle; 0 = no limit"
            + " (default: ${DEFAULT-VALUE})")
    long framesPerVersion;

    @Option(names = "--fps", description = "Frames per second, 0 = as fast as possible (default: ${DEFAULT-VALUE})")
    double fps;

    @Option(names = "--threads", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE})")
    int threads = 1;

    @Option(names = "--telemetry-ms", description = "Telemetry interval (default: ${DEFAULT-VALUE})")
    long telemetryMs = 2000;

    @Option(names = "--results-batch", description = "Results per published batch (default: ${DEFAULT-VALUE})")
    int resultsBatch = 100;

    @Option(names = "--connect-timeout-ms", description = "Give up if the broker is unreachable this long at start"
            + " (default: ${DEFAULT-VALUE})")
    long connectTimeoutMs = 120_000;

    private final DeviceStats stats = new DeviceStats();
    private final LinkedBlockingQueue<DeployCommand> deploys = new LinkedBlockingQueue<>();
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stopping;
    private MqttLink link;
    private ModelUpdater updater;
    private SequenceCounter sequence;
    private ConfidenceGate gate;
    private ResultBatch.Builder batch;
    private long batchSequence;

    /** Runs one agent until SIGTERM. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new EdgeAgent()).execute(args));
    }

    @Override
    public void run() {
        Topics.requireId("device id", deviceId);
        Topics.requireId("fleet", fleet);
        try {
            Files.createDirectories(workDir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create " + workDir, e);
        }
        sequence = new SequenceCounter(workDir.resolve("sequence"));
        updater = new ModelUpdater(workDir.resolve("models"), threads);
        link = new MqttLink(mqttUrl, deviceId, workDir.resolve("mqtt"),
                List.of(Topics.fleetDeploy(fleet), Topics.deviceDeploy(fleet, deviceId)), this::onMessage);
        Runtime.getRuntime().addShutdownHook(new Thread(this::shutdown, "edge-shutdown"));
        link.connect(connectTimeoutMs);
        log("connected to " + mqttUrl + ", waiting for a deploy command on " + Topics.fleetDeploy(fleet));
        Thread telemetry = new Thread(this::telemetryLoop, "edge-telemetry");
        telemetry.setDaemon(true);
        telemetry.start();
        try (IdxFrameFeed feed = new IdxFrameFeed(feedImages, feedLabels, feedOffset)) {
            serve(feed);
        } finally {
            finished.countDown();
        }
    }

    private void serve(IdxFrameFeed feed) {
        long nanosPerFrame = fps > 0 ? (long) (1e9 / fps) : 0;
        long nextFrameAt = System.nanoTime();
        IdxFrameFeed current = feed;
        while (!stopping) {
            DeployCommand command = deploys.poll();
            if (command != null) {
                deploy(command);
                continue;
            }
            Optional<ModelUpdater.Active> active = updater.active();
            if (active.isEmpty() || (framesPerVersion > 0
                    && stats.version(active.get().model().version()).frames() >= framesPerVersion)) {
                flushResults();
                waitForDeploy();
                continue;
            }
            if (current.remaining() == 0) {
                current.close();
                current = new IdxFrameFeed(feedImages, feedLabels, feedOffset);
            }
            Frame frame = current.next();
            try {
                infer(active.get(), frame);
            } catch (IllegalStateException e) {
                // The uplink stayed unusable for a minute; keep serving, and count what was not sent.
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
        if (current != feed) {
            current.close();
        }
        flushResults();
    }

    private void infer(ModelUpdater.Active active, Frame frame) {
        StudentModel model = active.model();
        long start = System.nanoTime();
        float[] probabilities = model.probabilities(frame.pixels());
        float latencyMs = (System.nanoTime() - start) / 1e6f;
        int predicted = 0;
        for (int c = 1; c < probabilities.length; c++) {
            if (probabilities[c] > probabilities[predicted]) {
                predicted = c;
            }
        }
        Optional<GateReason> reason = gate.check(probabilities);
        long seq = sequence.next();
        long now = System.currentTimeMillis();
        stats.recordInference(model.version(), predicted, frame.groundTruth(), reason.isPresent(), latencyMs);
        if (reason.isPresent()) {
            HardExample.Builder example = HardExample.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                    .setDeviceId(deviceId).setFleet(fleet).setModelVersion(model.version()).setSequence(seq)
                    .setCaptureTimeMs(now).setGateReason(reason.get()).setThreshold(gate.threshold())
                    .setInput(Tensor.newBuilder().addAllShape(model.manifest().getInput().getShapeList())
                            .setDtype(DType.UINT8).setData(ByteString.copyFrom(frame.pixels())));
            for (float p : probabilities) {
                example.addProbabilities(p);
            }
            if (frame.hasGroundTruth()) {
                example.setGroundTruth(frame.groundTruth());
            }
            stats.hardExampleSent();
            link.publish(Topics.mqtt(fleet, deviceId, DeviceStream.SAMPLES), Codecs.HARD_EXAMPLE.encode(example.build()),
                    false, ok -> {
                        if (ok) {
                            stats.hardExampleAcked();
                        } else {
                            stats.hardExampleFailed();
                        }
                    });
        }
        if (batch == null) {
            batch = ResultBatch.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId(deviceId)
                    .setFleet(fleet).setModelVersion(model.version()).setBatchSequence(batchSequence++);
        }
        InferenceResult.Builder result = InferenceResult.newBuilder().setSequence(seq).setCaptureTimeMs(now)
                .setPredictedClass(predicted).setConfidence(probabilities[predicted]).setEscalated(reason.isPresent())
                .setLatencyMs(latencyMs);
        if (frame.hasGroundTruth()) {
            result.setGroundTruth(frame.groundTruth());
        }
        batch.addResults(result);
        if (batch.getResultsCount() >= resultsBatch) {
            flushResults();
        }
    }

    private void flushResults() {
        if (batch != null && batch.getResultsCount() > 0) {
            link.publish(Topics.mqtt(fleet, deviceId, DeviceStream.RESULTS), Codecs.RESULT_BATCH.encode(batch.build()),
                    false, ok -> { });
        }
        batch = null;
    }

    private void deploy(DeployCommand command) {
        if (updater.isCurrent(command)) {
            return;
        }
        flushResults();
        log("deploying " + command.getModelVersion() + " (rollout " + command.getRolloutId() + ") from "
                + command.getArtifactUrl());
        DeployAck ack = updater.apply(command).setDeviceId(deviceId).setFleet(fleet).build();
        if (ack.getStatus() == DeployAck.Status.ACTIVE) {
            gate = new ConfidenceGate(command.getConfidenceThreshold());
        }
        log("deploy " + command.getModelVersion() + ": " + ack.getStatus() + " " + ack.getDetail());
        link.publish(Topics.mqtt(fleet, deviceId, DeviceStream.ACKS), Codecs.DEPLOY_ACK.encode(ack), false, ok -> { });
    }

    private void waitForDeploy() {
        try {
            DeployCommand command = deploys.poll(200, TimeUnit.MILLISECONDS);
            if (command != null) {
                deploys.add(command);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }

    private void onMessage(String topic, byte[] payload) {
        try {
            DeployCommand command = Codecs.DEPLOY_COMMAND.decode(payload);
            if (!command.getFleet().equals(fleet)) {
                throw new PayloadException(PayloadException.Reason.INVALID,
                        "DeployCommand for fleet " + command.getFleet() + " arrived on " + topic);
            }
            deploys.add(command);
        } catch (PayloadException e) {
            stats.messageRejected();
            log("rejected message on " + topic + ": " + e.getMessage() + " (rejected so far: " + stats.rejected() + ")");
        }
    }

    private void telemetryLoop() {
        while (!stopping) {
            sleepNanos(TimeUnit.MILLISECONDS.toNanos(telemetryMs));
            publishTelemetry();
        }
    }

    private void publishTelemetry() {
        String version = updater.active().map(a -> a.model().version()).orElse("none");
        Telemetry t = Telemetry.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId(deviceId)
                .setFleet(fleet).setModelVersion(version).setTimeMs(System.currentTimeMillis())
                .setInferencesTotal(stats.inferences()).setHardExamplesSent(stats.hardAcked())
                .setHardExamplesPending(link.pending()).setLatencyP50Ms(stats.latencyPercentile(50))
                .setLatencyP99Ms(stats.latencyPercentile(99)).setRejectedMessages(stats.rejected()).build();
        try {
            link.publish(Topics.mqtt(fleet, deviceId, DeviceStream.TELEMETRY), Codecs.TELEMETRY.encode(t), false, ok -> { });
        } catch (IllegalStateException e) {
            log("telemetry not sent: " + e.getMessage());
        }
        stats.writeJson(workDir.resolve("status.json"), deviceId, fleet, version, false);
    }

    private void shutdown() {
        stopping = true;
        try {
            finished.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean drained = link.drain(15_000);
        String version = updater.active().map(a -> a.model().version()).orElse("none");
        stats.writeJson(workDir.resolve("status.json"), deviceId, fleet, version, true);
        log("stopped: " + stats.inferences() + " inferences, " + stats.hardAcked() + "/" + stats.hardSent()
                + " hard examples acknowledged" + (drained ? "" : ", some still pending"));
        link.close();
        updater.close();
    }

    private void log(String message) {
        System.out.println("[" + deviceId + "] " + message);
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
