package io.tandem.edge;

import io.tandem.edge.device.DeviceConfig;
import io.tandem.edge.feed.FrameSource;
import io.tandem.edge.feed.ImageFolderSource;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.edge.joint.TeacherClient;
import io.tandem.edge.uplink.SampleLedger;
import io.tandem.edge.uplink.UploadQueue;
import io.tandem.edge.device.EdgeDevice;
import io.tandem.edge.feed.LoopingIdxSource;
import io.tandem.edge.gate.MiningStrategy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The device agent's command line: builds one {@link EdgeDevice} from its options, runs it until SIGTERM,
 * and keeps the device's counters in {@code status.json} in its work folder for the operator.
 */
@Command(name = "edge-agent", mixinStandardHelpOptions = true,
        description = "Run one Tandem edge device: ONNX Runtime inference, confidence gate, MQTT uplink, OTA.")
public final class EdgeAgent implements Runnable {

    @Option(names = "--device", required = true, description = "Device id")
    String deviceId;

    @Option(names = "--fleet", description = "Fleet id (default: ${DEFAULT-VALUE})")
    String fleet = "default";

    @Option(names = "--group", description = "Device group (site) the device belongs to (default: none)")
    String group = "";

    @Option(names = "--mqtt", description = "MQTT broker URL (default: ${DEFAULT-VALUE})")
    String mqttUrl = "tcp://127.0.0.1:1883";

    @Option(names = "--work-dir", required = true, description = "Folder for models, MQTT persistence and status")
    Path workDir;

    @Option(names = "--feed-images", description = "IDX images file the camera stand-in streams (plain or gzip)")
    Path feedImages;

    @Option(names = "--feed-folder", description = "Folder a camera drops PNG/JPEG files into; each new file is a"
            + " frame, resized and converted to the model's input as its manifest says")
    Path feedFolder;

    @Option(names = "--feed-loop", description = "With --feed-folder: replay the files present endlessly instead of"
            + " waiting for new ones")
    boolean feedLoop;

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

    @Option(names = "--telemetry-ms", description = "Telemetry and status interval (default: ${DEFAULT-VALUE})")
    long telemetryMs = 2000;

    @Option(names = "--results-batch", description = "Results per published batch (default: ${DEFAULT-VALUE})")
    int resultsBatch = 100;

    @Option(names = "--connect-timeout-ms", description = "Give up if the broker is unreachable this long at start"
            + " (default: ${DEFAULT-VALUE})")
    long connectTimeoutMs = 120_000;

    @Option(names = "--mqtt-max-inflight", description = "QoS 1 messages in flight (default: ${DEFAULT-VALUE})")
    int mqttMaxInflight = DeviceConfig.MqttTuning.DEFAULT.maxInflight();

    @Option(names = "--mqtt-offline-buffer", description = "Messages kept on disk while disconnected"
            + " (default: ${DEFAULT-VALUE})")
    int mqttOfflineBuffer = DeviceConfig.MqttTuning.DEFAULT.offlineBuffer();

    @Option(names = "--mqtt-password", description = "The device's MQTT password, issued by the cloud (POST"
            + " /api/devices/ID/credentials; the user name is the device id), or @FILE holding it (default: none)")
    String mqttPassword = "";

    @Option(names = "--mqtt-ca", description = "For an ssl:// broker: the certificates (PEM or DER) the device"
            + " trusts, the broker's own or its authority's (default: the JVM's trust store)")
    String mqttCa = "";

    @Option(names = "--receipt-timeout-s", description = "How long a sample the broker acknowledged waits for the"
            + " cloud's receipt before it is sent again (default: ${DEFAULT-VALUE})")
    int receiptTimeoutS = DeviceConfig.MqttTuning.DEFAULT.receiptTimeoutSeconds();

    @Option(names = "--samples-per-message", description = "Most queued samples sent in one MQTT message, 1..256;"
            + " 1 sends each on its own (default: ${DEFAULT-VALUE})")
    int samplesPerMessage = DeviceConfig.MqttTuning.DEFAULT.samplesPerMessage();

    @Option(names = "--samples-linger-ms", description = "How long a sample may wait for others to fill its MQTT"
            + " message, 0..60000 (default: ${DEFAULT-VALUE})")
    int samplesLingerMs = DeviceConfig.MqttTuning.DEFAULT.samplesLingerMs();

    @Option(names = "--mqtt-keep-alive-s", description = "MQTT keep-alive (default: ${DEFAULT-VALUE})")
    int mqttKeepAliveS = DeviceConfig.MqttTuning.DEFAULT.keepAliveSeconds();

    @Option(names = "--ota-connect-timeout-ms", description = "Artifact download connect timeout"
            + " (default: ${DEFAULT-VALUE})")
    long otaConnectTimeoutMs = DeviceConfig.OtaSettings.DEFAULT.connectTimeout().toMillis();

    @Option(names = "--ota-download-timeout-ms", description = "Time one artifact download may take"
            + " (default: ${DEFAULT-VALUE})")
    long otaDownloadTimeoutMs = DeviceConfig.OtaSettings.DEFAULT.downloadTimeout().toMillis();

    @Option(names = "--ota-read-timeout-ms", description = "A download with no bytes for this long counts as stalled"
            + " (default: ${DEFAULT-VALUE})")
    long otaReadTimeoutMs = DeviceConfig.OtaSettings.DEFAULT.readTimeout().toMillis();

    @Option(names = "--ota-max-bytes", description = "Largest artifact accepted (default: ${DEFAULT-VALUE})")
    long otaMaxBytes = DeviceConfig.OtaSettings.DEFAULT.maxArtifactBytes();

    @Option(names = "--ota-attempts", description = "Download attempts before an update fails (default: ${DEFAULT-VALUE})")
    int otaAttempts = DeviceConfig.OtaSettings.DEFAULT.attempts();

    @Option(names = "--ota-retry-backoff-ms", description = "Wait before the second download attempt, doubled after"
            + " (default: ${DEFAULT-VALUE})")
    long otaRetryBackoffMs = DeviceConfig.OtaSettings.DEFAULT.retryBackoff().toMillis();

    @Option(names = "--ota-probation-frames", description = "Frames a new model answers with the previous one kept to go"
            + " back to; 0 = none (default: ${DEFAULT-VALUE})")
    int otaProbationFrames = DeviceConfig.OtaSettings.DEFAULT.probationFrames();

    @Option(names = "--ota-latency-factor", description = "On probation, median latency may be at most this multiple of"
            + " the manifest's; 0 = unchecked (default: ${DEFAULT-VALUE})")
    double otaLatencyFactor = DeviceConfig.OtaSettings.DEFAULT.latencyFactor();

    @Option(names = "--trusted-key", description = "A model-signing public key the device trusts (base64, or @FILE"
            + " holding it; repeatable); with any, unsigned or otherwise signed deploy commands are refused")
    List<String> trustedKey = new ArrayList<>();

    @Option(names = "--api-token", description = "Bearer token the device shows the cloud's API (artifact downloads,"
            + " joint inference), or @FILE holding it (default: none)")
    String apiToken = "";

    @Option(names = "--provider", description = "ONNX Runtime execution provider: cpu, xnnpack, dnnl, openvino, cuda,"
            + " tensorrt, rocm, acl, armnn, nnapi, coreml, qnn; falls back to cpu when the runtime lacks it"
            + " (default: ${DEFAULT-VALUE})")
    String provider = "cpu";

    @Option(names = "--queue-samples-bytes", description = "Upload queue: bytes of hard examples kept on disk"
            + " (default: ${DEFAULT-VALUE})")
    long queueSamplesBytes = UploadQueue.Quotas.DEFAULT.samples();

    @Option(names = "--queue-results-bytes", description = "Upload queue: bytes of results (default: ${DEFAULT-VALUE})")
    long queueResultsBytes = UploadQueue.Quotas.DEFAULT.results();

    @Option(names = "--queue-telemetry-bytes", description = "Upload queue: bytes of telemetry"
            + " (default: ${DEFAULT-VALUE})")
    long queueTelemetryBytes = UploadQueue.Quotas.DEFAULT.telemetry();

    @Option(names = "--queue-acks-bytes", description = "Upload queue: bytes of deploy acknowledgements"
            + " (default: ${DEFAULT-VALUE})")
    long queueAcksBytes = UploadQueue.Quotas.DEFAULT.acks();

    @Option(names = "--teacher-url", description = "Joint inference: the cloud's teacher endpoint"
            + " (http://HOST:PORT/api/teacher/infer); escalated frames take its answer when it comes in time;"
            + " empty = off (default: none)")
    String teacherUrl = "";

    @Option(names = "--teacher-budget-ms", description = "How long an escalated frame waits for the teacher"
            + " (default: ${DEFAULT-VALUE})")
    int teacherBudgetMs = TeacherClient.Settings.OFF.budgetMs();

    @Option(names = "--teacher-max-rps", description = "Most teacher requests a second (default: ${DEFAULT-VALUE})")
    double teacherMaxRps = TeacherClient.Settings.OFF.maxPerSecond();

    @Option(names = "--teacher-breaker-failures", description = "Failures in a row that open the circuit breaker"
            + " (default: ${DEFAULT-VALUE})")
    int teacherBreakerFailures = TeacherClient.Settings.OFF.failureThreshold();

    @Option(names = "--teacher-breaker-open-ms", description = "How long the breaker stays open before a trial"
            + " request (default: ${DEFAULT-VALUE})")
    long teacherBreakerOpenMs = TeacherClient.Settings.OFF.openFor().toMillis();

    @Option(names = "--sample-ledger", description = "Append each sample's fate (queued, acknowledged, dropped) with"
            + " its incarnation and sequence to this file: an audit trail (default: none)")
    Path sampleLedger;

    @Option(names = "--model", description = "A model shipped with the device (ONNX), served until the cloud deploys"
            + " one; needs --manifest")
    Path model;

    @Option(names = "--manifest", description = "The shipped model's manifest (.manifest.pb, as distill writes it)")
    Path manifest;

    @Option(names = "--confidence-threshold", description = "Confidence threshold of the shipped model's gate"
            + " (default: ${DEFAULT-VALUE})")
    float confidenceThreshold = 0.6f;

    @Option(names = "--upload-fraction", description = "Share of frames uploaded, chosen by --mining; 0 = every frame"
            + " under the deploy command's confidence threshold (default: ${DEFAULT-VALUE})")
    double uploadFraction;

    @Option(names = "--audit-fraction", description = "Share of frames uploaded at random regardless of confidence"
            + " (default: ${DEFAULT-VALUE})")
    double auditFraction;

    @Option(names = "--mining", description = "Mining strategy within the upload budget: ${COMPLETION-CANDIDATES}"
            + " (default: ${DEFAULT-VALUE})")
    MiningStrategy mining = MiningStrategy.LEAST_CONFIDENCE;

    /** Runs one agent until SIGTERM; exits 2 on a bad option. */
    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new EdgeAgent());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("edge-agent: " + e.getMessage());
            return 2;
        });
        System.exit(cli.execute(args));
    }

    private String token() {
        return secret(apiToken);
    }

    /** A secret given on the command line, or read from the file after {@code @}. */
    private static String secret(String value) {
        try {
            return value.startsWith("@") ? Files.readString(Path.of(value.substring(1))).trim() : value;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + value.substring(1), e);
        }
    }

    private List<String> trustedKeys() {
        List<String> keys = new ArrayList<>();
        for (String k : trustedKey) {
            try {
                keys.add(k.startsWith("@") ? Files.readString(Path.of(k.substring(1))).trim() : k);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read trusted key " + k.substring(1), e);
            }
        }
        return keys;
    }

    /** The device configuration these options describe. */
    DeviceConfig config() {
        return new DeviceConfig(deviceId, fleet, group, mqttUrl, workDir, threads, framesPerVersion, fps,
                Duration.ofMillis(telemetryMs), resultsBatch, Duration.ofMillis(connectTimeoutMs),
                new DeviceConfig.MqttTuning(mqttMaxInflight, mqttOfflineBuffer, mqttKeepAliveS, secret(mqttPassword),
                        mqttCa, receiptTimeoutS, samplesPerMessage,
                        samplesLingerMs),
                new DeviceConfig.OtaSettings(Duration.ofMillis(otaConnectTimeoutMs), Duration.ofMillis(otaReadTimeoutMs),
                        Duration.ofMillis(otaDownloadTimeoutMs), otaMaxBytes, otaAttempts,
                        Duration.ofMillis(otaRetryBackoffMs), otaProbationFrames, otaLatencyFactor, trustedKeys(),
                        token()),
                new DeviceConfig.GateSettings(mining, uploadFraction, auditFraction), provider,
                new UploadQueue.Quotas(queueAcksBytes, queueResultsBytes, queueSamplesBytes, queueTelemetryBytes),
                new TeacherClient.Settings(teacherUrl, teacherBudgetMs, teacherMaxRps, teacherBreakerFailures,
                        Duration.ofMillis(teacherBreakerOpenMs), token()));
    }

    @Override
    public void run() {
        DeviceConfig config = config();
        if ((feedImages == null) == (feedFolder == null)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "give exactly one of --feed-images and"
                    + " --feed-folder");
        }
        FrameSource source = feedImages != null ? new LoopingIdxSource(feedImages, feedLabels, feedOffset)
                : new ImageFolderSource(feedFolder, feedLoop);
        EdgeDevice device = new EdgeDevice(config, source);
        if (model != null) {
            if (manifest == null) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--model needs --manifest");
            }
            ModelManifest m;
            try {
                m = Codecs.MANIFEST.decode(Files.readAllBytes(manifest));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read manifest " + manifest, e);
            }
            if (device.provision(model, m, confidenceThreshold)) {
                System.out.println("[" + deviceId + "] provisioned " + m.getVersion() + " from " + model);
            }
        }
        SampleLedger ledger = sampleLedger == null ? null : new SampleLedger(sampleLedger);
        if (ledger != null) {
            device.observeUploads(ledger);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            device.stop(Duration.ofSeconds(15));
            writeStatus(device);
            if (ledger != null) {
                ledger.close();
            }
            stopped.countDown();
        }, "edge-shutdown"));
        device.start();
        while (stopped.getCount() > 0) {
            writeStatus(device);
            try {
                stopped.await(telemetryMs, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private synchronized void writeStatus(EdgeDevice device) {
        Path file = workDir.resolve("status.json");
        try {
            Path tmp = file.resolveSibling("status.json.tmp");
            Files.writeString(tmp, device.status().toJson());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write status " + file, e);
        }
    }
}
