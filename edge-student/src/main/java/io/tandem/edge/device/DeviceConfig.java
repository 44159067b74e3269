package io.tandem.edge.device;

import io.tandem.edge.gate.BudgetGate;
import io.tandem.edge.gate.ConfidenceGate;
import io.tandem.edge.gate.Gate;
import io.tandem.edge.gate.MiningStrategy;
import io.tandem.edge.inference.ExecutionProviders;
import io.tandem.edge.joint.TeacherClient;
import io.tandem.edge.uplink.UploadQueue;
import io.tandem.proto.Topics;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything one edge device is configured with. Defaults are in {@link #defaults(String, Path)} and listed
 * in {@code docs/configuration.md}.
 *
 * @param deviceId device id, one MQTT topic level ({@code [A-Za-z0-9_.-]{1,64}})
 * @param fleet fleet id, same rule
 * @param group the device group (site) it belongs to, same rule, or empty for none (default empty)
 * @param mqttUrl broker URL (default {@code tcp://127.0.0.1:1883})
 * @param workDir models (current and previous), MQTT store-and-forward and the sequence counter
 * @param threads ONNX Runtime intra-op threads (default 1, 1..64)
 * @param framesPerVersion frames each model version answers before the device idles; 0 = no limit (default 0)
 * @param fps frame rate; 0 = as fast as possible (default 0)
 * @param telemetryInterval telemetry interval (default 2 s, at least 50 ms)
 * @param resultsBatch results per published batch (default 100, 1..4096)
 * @param connectTimeout give up at start when the broker stays unreachable this long (default 120 s)
 * @param mqtt MQTT client tuning
 * @param ota model download settings
 * @param gate which frames the device uploads
 * @param provider ONNX Runtime execution provider ({@code cpu} default; see {@code ExecutionProviders})
 * @param queue bytes each stream of the on-disk upload queue may hold
 * @param joint joint inference: where escalated frames ask the cloud's teacher (default off)
 */
public record DeviceConfig(String deviceId, String fleet, String group, String mqttUrl, Path workDir, int threads,
        long framesPerVersion, double fps, Duration telemetryInterval, int resultsBatch, Duration connectTimeout,
        MqttTuning mqtt, OtaSettings ota, GateSettings gate, String provider, UploadQueue.Quotas queue,
        TeacherClient.Settings joint) {

    /**
     * MQTT client tuning.
     *
     * @param maxInflight QoS 1 messages in flight (default 1000, 10..65535; Paho's own 10 stalls under load)
     * @param offlineBuffer messages kept on disk while disconnected (default 20,000, at least 100)
     * @param keepAliveSeconds keep-alive interval (default 10, 1..3600)
     * @param password the device's MQTT password, issued by the cloud (its user name is the device id);
     *     empty = connect anonymously (a broker without credentials)
     * @param caFile for an {@code ssl://} broker: the certificates (PEM or DER) the device trusts, the broker's
     *     own or its authority's; empty = the JVM's default trust store
     * @param receiptTimeoutSeconds how long a sample the broker acknowledged waits for the cloud's receipt before
     *     it is sent again (default 60, 1..86400)
     * @param samplesPerMessage most queued samples sent in one MQTT message, a HardExampleBatch (default 128,
     *     1..256; 1 sends each sample on its own); batches form only while samples queue up faster than the
     *     broker acknowledges them, so a quiet device still sends each sample at once
     * @param samplesLingerMs how long a sample may wait for others to fill its message (default 0, 0..60000): a
     *     device that uploads a steady trickle sends fewer, fuller messages, and the broker and the bridge pay
     *     their per-message cost less often, at the price of that much delay
     */
    public record MqttTuning(int maxInflight, int offlineBuffer, int keepAliveSeconds, String password,
            String caFile, int receiptTimeoutSeconds, int samplesPerMessage, int samplesLingerMs) {

        /** The defaults. */
        public static final MqttTuning DEFAULT = new MqttTuning(1000, 20_000, 10);

        /** Tuning without a password. */
        public MqttTuning(int maxInflight, int offlineBuffer, int keepAliveSeconds) {
            this(maxInflight, offlineBuffer, keepAliveSeconds, "", "", 60, 128, 0);
        }

        /** This tuning with the device's MQTT password. */
        public MqttTuning withPassword(String password) {
            return new MqttTuning(maxInflight, offlineBuffer, keepAliveSeconds, password, caFile, receiptTimeoutSeconds,
                    samplesPerMessage, samplesLingerMs);
        }

        /** This tuning trusting, for {@code ssl://} brokers, only the certificates in {@code caFile}. */
        public MqttTuning withCaFile(String caFile) {
            return new MqttTuning(maxInflight, offlineBuffer, keepAliveSeconds, password, caFile, receiptTimeoutSeconds,
                    samplesPerMessage, samplesLingerMs);
        }

        /** This tuning sending a sample again when the cloud's receipt has not come after {@code seconds}. */
        public MqttTuning withReceiptTimeout(int seconds) {
            return new MqttTuning(maxInflight, offlineBuffer, keepAliveSeconds, password, caFile, seconds,
                    samplesPerMessage, samplesLingerMs);
        }

        /**
         * This tuning sending up to {@code n} queued samples in one MQTT message (a HardExampleBatch); 1 sends
         * each on its own.
         */
        public MqttTuning withSamplesPerMessage(int n) {
            return new MqttTuning(maxInflight, offlineBuffer, keepAliveSeconds, password, caFile, receiptTimeoutSeconds,
                    n, samplesLingerMs);
        }

        /** Checks the ranges, naming the value out of range. */
        public MqttTuning {
            require(maxInflight >= 10 && maxInflight <= 65_535, "MQTT max in-flight must be in 10..65535, got "
                    + maxInflight);
            require(offlineBuffer >= 100, "MQTT offline buffer must be at least 100 messages, got " + offlineBuffer);
            require(keepAliveSeconds >= 1 && keepAliveSeconds <= 3600, "MQTT keep-alive must be in 1..3600 s, got "
                    + keepAliveSeconds);
            password = password == null ? "" : password;
            caFile = caFile == null ? "" : caFile;
            require(receiptTimeoutSeconds >= 1 && receiptTimeoutSeconds <= 86_400, "sample receipt timeout must be in"
                    + " 1..86400 s, got " + receiptTimeoutSeconds);
            require(samplesPerMessage >= 1 && samplesPerMessage <= io.tandem.proto.Codecs.MAX_EXAMPLES_PER_BATCH,
                    "samples per MQTT message must be in 1.." + io.tandem.proto.Codecs.MAX_EXAMPLES_PER_BATCH + ", got "
                    + samplesPerMessage);
            require(samplesLingerMs >= 0 && samplesLingerMs <= 60_000, "samples linger must be in 0..60000 ms, got "
                    + samplesLingerMs);
        }
    }

    /**
     * Model update settings.
     *
     * @param connectTimeout TCP connect timeout of an artifact download (default 10 s)
     * @param readTimeout longest wait for the next bytes of a download before it counts as stalled (default 15 s)
     * @param downloadTimeout time one download attempt may take, headers to last byte (default 120 s)
     * @param maxArtifactBytes largest artifact the device accepts (default 256 MiB)
     * @param attempts download attempts before the update fails (default 4, 1..20)
     * @param retryBackoff wait before the second attempt, doubled for each further one (default 1 s)
     * @param probationFrames frames a new model answers while the previous one stays loaded to go back to
     *     (default 200, 0 = no probation)
     * @param latencyFactor on probation, the median latency may be at most this multiple of the manifest's
     *     {@code latency_ms_p50} (default 25, 0 = not checked: the device may be slower than the cloud)
     * @param trustedKeys the cloud's model-signing public keys the device pins (base64 of X.509 Ed25519
     *     keys); with any, every deploy command must be signed by one of them or a key they endorse; with none
     *     (the default, for development) unsigned commands are accepted
     * @param apiToken the bearer token the device shows the cloud's API (artifact downloads); empty = none
     */
    public record OtaSettings(Duration connectTimeout, Duration readTimeout, Duration downloadTimeout,
            long maxArtifactBytes, int attempts, Duration retryBackoff, int probationFrames, double latencyFactor,
            java.util.List<String> trustedKeys, String apiToken) {

        /** Settings without an API token. */
        public OtaSettings(Duration connectTimeout, Duration readTimeout, Duration downloadTimeout,
                long maxArtifactBytes, int attempts, Duration retryBackoff, int probationFrames, double latencyFactor,
                java.util.List<String> trustedKeys) {
            this(connectTimeout, readTimeout, downloadTimeout, maxArtifactBytes, attempts, retryBackoff,
                    probationFrames, latencyFactor, trustedKeys, "");
        }

        /** These settings showing {@code token} to the cloud's API. */
        public OtaSettings withApiToken(String token) {
            return new OtaSettings(connectTimeout, readTimeout, downloadTimeout, maxArtifactBytes, attempts,
                    retryBackoff, probationFrames, latencyFactor, trustedKeys, token);
        }

        /** The defaults. */
        public static final OtaSettings DEFAULT = new OtaSettings(Duration.ofSeconds(10), Duration.ofSeconds(15),
                Duration.ofSeconds(120), 256L << 20, 4, Duration.ofSeconds(1), 200, 25, java.util.List.of());

        /** Checks the ranges. */
        public OtaSettings {
            require(positive(connectTimeout), "OTA connect timeout must be positive");
            require(positive(readTimeout), "OTA read timeout must be positive");
            require(positive(downloadTimeout), "OTA download timeout must be positive");
            require(maxArtifactBytes > 0, "OTA artifact cap must be positive, got " + maxArtifactBytes);
            require(attempts >= 1 && attempts <= 20, "OTA attempts must be in 1..20, got " + attempts);
            require(!retryBackoff.isNegative(), "OTA retry backoff must be >= 0");
            require(probationFrames >= 0, "OTA probation frames must be >= 0, got " + probationFrames);
            require(latencyFactor == 0 || latencyFactor >= 1, "OTA latency factor must be 0 (off) or >= 1, got "
                    + latencyFactor);
            trustedKeys = java.util.List.copyOf(trustedKeys == null ? java.util.List.of() : trustedKeys);
            apiToken = apiToken == null ? "" : apiToken.trim();
            for (String key : trustedKeys) {
                try {
                    io.tandem.proto.ModelSignatures.publicKey(key);
                } catch (io.tandem.proto.ModelSignatures.Untrusted e) {
                    throw new IllegalArgumentException("trusted key: " + e.getMessage());
                }
            }
        }

        /** These settings trusting {@code keys} (base64 X.509 Ed25519 public keys). */
        public OtaSettings withTrustedKeys(java.util.List<String> keys) {
            return new OtaSettings(connectTimeout, readTimeout, downloadTimeout, maxArtifactBytes, attempts,
                    retryBackoff, probationFrames, latencyFactor, keys, apiToken);
        }

        /** These settings with other timeouts. */
        public OtaSettings withTimeouts(Duration connect, Duration read, Duration download) {
            return new OtaSettings(connect, read, download, maxArtifactBytes, attempts, retryBackoff, probationFrames,
                    latencyFactor, trustedKeys, apiToken);
        }

        /** These settings with other retries. */
        public OtaSettings withRetries(int attempts, Duration backoff) {
            return new OtaSettings(connectTimeout, readTimeout, downloadTimeout, maxArtifactBytes, attempts, backoff,
                    probationFrames, latencyFactor, trustedKeys, apiToken);
        }

        /** These settings with another probation. */
        public OtaSettings withProbation(int frames, double latencyFactor) {
            return new OtaSettings(connectTimeout, readTimeout, downloadTimeout, maxArtifactBytes, attempts, retryBackoff,
                    frames, latencyFactor, trustedKeys, apiToken);
        }

        private static boolean positive(Duration d) {
            return d != null && !d.isNegative() && !d.isZero();
        }
    }

    /**
     * Which frames the device uploads.
     *
     * @param strategy how a frame's difficulty is scored (default least confidence)
     * @param uploadFraction share of frames uploaded, (0, 1]; 0 = every frame under the deploy command's
     *     confidence threshold, however many (default 0)
     * @param auditFraction share uploaded at random regardless of confidence, [0, uploadFraction] (default 0)
     */
    public record GateSettings(MiningStrategy strategy, double uploadFraction, double auditFraction) {

        /** The deploy command's fixed confidence threshold. */
        public static final GateSettings THRESHOLD = new GateSettings(MiningStrategy.LEAST_CONFIDENCE, 0, 0);

        /** Checks the ranges. */
        public GateSettings {
            require(strategy != null, "a mining strategy is required");
            require(uploadFraction >= 0 && uploadFraction <= 1, "upload fraction must be in [0, 1], got "
                    + uploadFraction);
            require(auditFraction >= 0 && auditFraction <= Math.max(uploadFraction, 0),
                    "audit fraction must be in [0, upload fraction], got " + auditFraction);
        }

        /** The gate for a model deployed with {@code confidenceThreshold}. */
        public Gate newGate(float confidenceThreshold, long seed) {
            return uploadFraction > 0 ? new BudgetGate(strategy, uploadFraction, auditFraction, seed)
                    : new ConfidenceGate(confidenceThreshold);
        }
    }

    /** Checks every value, naming the one out of range. */
    public DeviceConfig {
        Topics.requireId("device id", deviceId);
        Topics.requireId("fleet", fleet);
        require(group != null, "group must not be null (empty for none)");
        if (!group.isEmpty()) {
            Topics.requireId("group", group);
        }
        require(mqttUrl != null && (mqttUrl.startsWith("tcp://") || mqttUrl.startsWith("ssl://")),
                "MQTT URL must start with tcp:// or ssl://, got " + mqttUrl);
        require(workDir != null, "a work folder is required");
        require(threads >= 1 && threads <= 64, "threads must be in 1..64, got " + threads);
        require(framesPerVersion >= 0, "frames per version must be >= 0, got " + framesPerVersion);
        require(fps >= 0 && Double.isFinite(fps), "fps must be >= 0, got " + fps);
        require(telemetryInterval.toMillis() >= 50, "telemetry interval must be at least 50 ms, got "
                + telemetryInterval.toMillis() + " ms");
        require(resultsBatch >= 1 && resultsBatch <= 4096, "results batch must be in 1..4096, got " + resultsBatch);
        require(!connectTimeout.isNegative(), "connect timeout must be >= 0");
        require(mqtt != null && ota != null && gate != null && queue != null && joint != null,
                "MQTT, OTA, gate and upload queue settings are required");
        provider = ExecutionProviders.require(provider == null ? "cpu" : provider);
    }

    /** A device with every default but its id and folder. */
    public static DeviceConfig defaults(String deviceId, Path workDir) {
        return new DeviceConfig(deviceId, "default", "", "tcp://127.0.0.1:1883", workDir, 1, 0, 0, Duration.ofSeconds(2),
                100, Duration.ofSeconds(120), MqttTuning.DEFAULT, OtaSettings.DEFAULT, GateSettings.THRESHOLD, "cpu",
                UploadQueue.Quotas.DEFAULT, TeacherClient.Settings.OFF);
    }

    /** This configuration in another fleet, on another broker. */
    public DeviceConfig withFleet(String fleet, String mqttUrl) {
        return new DeviceConfig(deviceId, fleet, group, mqttUrl, workDir, threads, framesPerVersion, fps, telemetryInterval,
                resultsBatch, connectTimeout, mqtt, ota, gate, provider, queue, joint);
    }

    /** This configuration with another pace: frames per version, frame rate and telemetry interval. */
    public DeviceConfig withPace(long framesPerVersion, double fps, Duration telemetryInterval) {
        return new DeviceConfig(deviceId, fleet, group, mqttUrl, workDir, threads, framesPerVersion, fps, telemetryInterval,
                resultsBatch, connectTimeout, mqtt, ota, gate, provider, queue, joint);
    }

    /** This configuration as a member of {@code group} (a site). */
    public DeviceConfig withGroup(String group) {
        return new DeviceConfig(deviceId, fleet, group, mqttUrl, workDir, threads, framesPerVersion, fps,
                telemetryInterval, resultsBatch, connectTimeout, mqtt, ota, gate, provider, queue, joint);
    }

    /** This configuration with other update settings. */
    public DeviceConfig withOta(OtaSettings ota) {
        return new DeviceConfig(deviceId, fleet, group, mqttUrl, workDir, threads, framesPerVersion, fps,
                telemetryInterval, resultsBatch, connectTimeout, mqtt, ota, gate, provider, queue, joint);
    }

    /** This configuration with another execution provider and upload queue quotas. */
    public DeviceConfig withRuntime(String provider, UploadQueue.Quotas queue) {
        return new DeviceConfig(deviceId, fleet, group, mqttUrl, workDir, threads, framesPerVersion, fps,
                telemetryInterval, resultsBatch, connectTimeout, mqtt, ota, gate, provider, queue, joint);
    }

    /** This configuration with other joint inference settings. */
    public DeviceConfig withJoint(TeacherClient.Settings joint) {
        return new DeviceConfig(deviceId, fleet, group, mqttUrl, workDir, threads, framesPerVersion, fps,
                telemetryInterval, resultsBatch, connectTimeout, mqtt, ota, gate, provider, queue, joint);
    }

    /** This configuration with other MQTT tuning (and password). */
    public DeviceConfig withMqtt(MqttTuning mqtt) {
        return new DeviceConfig(deviceId, fleet, group, mqttUrl, workDir, threads, framesPerVersion, fps,
                telemetryInterval, resultsBatch, connectTimeout, mqtt, ota, gate, provider, queue, joint);
    }

    /** This configuration with another upload gate. */
    public DeviceConfig withGate(GateSettings gate) {
        return new DeviceConfig(deviceId, fleet, group, mqttUrl, workDir, threads, framesPerVersion, fps,
                telemetryInterval, resultsBatch, connectTimeout, mqtt, ota, gate, provider, queue, joint);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
