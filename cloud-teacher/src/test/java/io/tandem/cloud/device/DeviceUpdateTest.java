package io.tandem.cloud.device;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.tandem.cloud.brokers.EmbeddedBrokers;
import io.tandem.cloud.brokers.WithBrokers;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.edge.device.DeviceConfig;
import io.tandem.edge.device.EdgeDevice;
import io.tandem.proto.ArtifactDigest;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.Topics.DeviceStream;
import io.tandem.proto.v1.DeployAck;
import io.tandem.proto.v1.DeployCommand;
import io.tandem.proto.v1.ModelManifest;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

/**
 * A real edge device against the real cloud (registry, rollouts) and the real MQTT broker: every way an
 * update can fail leaves it serving the previous model, acknowledging the failure with its reason, and
 * running; a good update swaps under load without losing a frame; a restart without network serves the
 * last good model.
 */
@QuarkusTest
@TestProfile(WithBrokers.class)
class DeviceUpdateTest {

    @Inject
    ModelRegistry registry;

    private final String fleet = "f-ota-" + UUID.randomUUID().toString().substring(0, 6);
    private ModelManifest fixture;

    private ModelManifest register(String version, Path onnx, ModelManifest base) {
        return register(registry, version, onnx, base);
    }

    /** Registers {@code onnx} as student {@code version} with {@code base}'s input and classes. */
    static ModelManifest register(ModelRegistry registry, String version, Path onnx, ModelManifest base) {
        ModelManifest m = base.toBuilder().setModelId(ModelRegistry.STUDENT_ID).setVersion(version).setRole("student")
                .setSha256(ArtifactDigest.sha256(onnx)).setSizeBytes(onnx.toFile().length())
                .setCreatedAtMs(System.currentTimeMillis()).build();
        return registry.register(onnx, m);
    }

    private void rollOut(String version) {
        rollOut(fleet, version);
    }

    /** Rolls student {@code version} out to {@code fleet} through the REST API. */
    static void rollOut(String fleet, String version) {
        given().contentType("application/json")
                .body("{\"modelId\":\"student\",\"version\":\"" + version + "\",\"fleet\":\"" + fleet + "\"}")
                .post("/api/rollouts").then().statusCode(200);
    }

    /** The next acknowledgement for {@code version} that is not STALE, waiting up to a minute. */
    static DeployAck awaitAck(BlockingQueue<DeployAck> acks, String version) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            DeployAck a = acks.poll(1, TimeUnit.SECONDS);
            if (a != null && a.getModelVersion().equals(version) && a.getStatus() != DeployAck.Status.STALE) {
                return a;
            }
        }
        throw new AssertionError("no acknowledgement for " + version);
    }

    private static void assertServing(EdgeDevice device, String version) throws InterruptedException {
        long before = device.status().inferences();
        Thread.sleep(300);
        assertEquals(version, device.activeVersion());
        assertFalse(device.status().stopped());
        assertTrue(device.status().inferences() > before, "the device keeps answering frames");
    }

    @Test
    void everyFailedUpdateLeavesThePreviousModelServingAndAGoodOneSwapsUnderLoad() throws Exception {
        Path tmp = Files.createTempDirectory("ota-test");
        StudentFixture student = StudentFixture.copyTo(tmp);
        Path good = student.onnx();
        fixture = student.manifest();
        ModelManifest checked = student.withDarkSmokeInputs();
        Camera camera = new Camera();
        DeviceConfig config = DeviceConfig.defaults("cam-ota", tmp.resolve("device"))
                .withFleet(fleet, EmbeddedBrokers.mqttUrl()).withPace(0, 0, Duration.ofMillis(500))
                .withOta(DeviceConfig.OtaSettings.DEFAULT.withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(500),
                        Duration.ofSeconds(10)).withRetries(2, Duration.ofMillis(50)).withProbation(20_000, 0));
        BlockingQueue<DeployAck> acks = new LinkedBlockingQueue<>();
        HttpServer faulty = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        byte[] goodBytes = Files.readAllBytes(good);
        faulty.createContext("/truncated", ex -> {
            ex.sendResponseHeaders(200, goodBytes.length);
            ex.getResponseBody().write(goodBytes, 0, goodBytes.length / 3);
            ex.close();
        });
        faulty.createContext("/stalled", ex -> {
            ex.sendResponseHeaders(200, goodBytes.length);
            ex.getResponseBody().write(goodBytes, 0, 1000);
            ex.getResponseBody().flush();
            try {
                Thread.sleep(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        faulty.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        faulty.start();
        try (MqttClient operator = new MqttClient(EmbeddedBrokers.mqttUrl(), "ota-operator-" + fleet,
                new MemoryPersistence())) {
            MqttConnectOptions options = new MqttConnectOptions();
            options.setCleanSession(true);
            operator.connect(options);
            operator.subscribe(Topics.mqtt(fleet, "cam-ota", DeviceStream.ACKS), 1,
                    (t, msg) -> acks.add(Codecs.DEPLOY_ACK.decode(msg.getPayload())));

            EdgeDevice device = new EdgeDevice(config, camera);
            device.start();
            register("v1", good, checked);
            rollOut("v1");
            DeployAck first = awaitAck(acks, "v1");
            assertEquals(DeployAck.Status.ACTIVE, first.getStatus(), first.getDetail());
            assertTrue(first.getDetail().contains("4 smoke inputs"), first.getDetail());
            assertServing(device, "v1");

            // A corrupted artifact at rest: the registry serves bytes whose hash is not the announced one.
            register("v2-badhash", good, checked);
            Path stored = registry.artifact(ModelRegistry.STUDENT_ID, "v2-badhash").orElseThrow();
            byte[] flipped = goodBytes.clone();
            flipped[flipped.length / 2] ^= 0x55;
            Files.write(stored, flipped);
            rollOut("v2-badhash");
            expectFailure(acks, device, "v2-badhash", DeployAck.Status.FAILED_VERIFICATION, "sha256");

            Path garbage = Files.write(tmp.resolve("garbage.onnx"), "not an onnx model".repeat(100).getBytes());
            register("v3-corrupt", garbage, checked.toBuilder().clearSmokeInputs().build());
            rollOut("v3-corrupt");
            expectFailure(acks, device, "v3-corrupt", DeployAck.Status.FAILED_LOAD, "ONNX Runtime");

            Path wide = FaultyModels.write(FaultyModels.Fault.INPUT_32X32, tmp.resolve("wide.onnx"));
            register("v4-input", wide, checked.toBuilder().clearSmokeInputs().build());
            rollOut("v4-input");
            expectFailure(acks, device, "v4-input", DeployAck.Status.FAILED_LOAD, "input");

            Path ints = FaultyModels.write(FaultyModels.Fault.INT64_OUTPUT, tmp.resolve("ints.onnx"));
            register("v5-int-output", ints, checked.toBuilder().clearSmokeInputs().build());
            rollOut("v5-int-output");
            expectFailure(acks, device, "v5-int-output", DeployAck.Status.FAILED_LOAD, "float");

            // The right file with another model's expected answers: its numbers are not what the cloud measured.
            Path other = FaultyModels.write(FaultyModels.Fault.NONE, tmp.resolve("other.onnx"));
            register("v6-smoke", other, checked);
            rollOut("v6-smoke");
            expectFailure(acks, device, "v6-smoke", DeployAck.Status.FAILED_SMOKE, "smoke input");

            String base = "http://127.0.0.1:" + faulty.getAddress().getPort();
            for (String kind : new String[] {"truncated", "stalled"}) {
                DeployCommand c = DeployCommand.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setFleet(fleet)
                        .setRolloutId("manual-" + kind).setModelId("student").setModelVersion("v7-" + kind)
                        .setArtifactUrl(base + "/" + kind).setSha256(ArtifactDigest.sha256(good))
                        .setSizeBytes(goodBytes.length).setConfidenceThreshold(0.5f)
                        .setIssuedAtMs(System.currentTimeMillis()).setManifest(checked.toBuilder()
                                .setVersion("v7-" + kind)).build();
                operator.publish(Topics.deviceDeploy(fleet, "cam-ota"), Codecs.DEPLOY_COMMAND.encode(c), 1, false);
                expectFailure(acks, device, "v7-" + kind, DeployAck.Status.FAILED_DOWNLOAD,
                        kind.equals("stalled") ? "stalled" : "attempt 2 of 2");
            }

            // Loads, passes its dark smoke inputs and the recent dark frames, then throws on daylight.
            Path brittle = FaultyModels.write(FaultyModels.Fault.FAILS_ON_BRIGHT, tmp.resolve("brittle.onnx"));
            ModelManifest brittleManifest = student.withDarkSmokeInputs(brittle);
            register("v8-brittle", brittle, brittleManifest);
            rollOut("v8-brittle");
            DeployAck swapped = awaitAck(acks, "v8-brittle");
            assertEquals(DeployAck.Status.ACTIVE, swapped.getStatus(), swapped.getDetail());
            long errorsBefore = device.status().inferenceErrors();
            camera.bright.set(true);
            DeployAck rolledBack = awaitAck(acks, "v8-brittle");
            assertEquals(DeployAck.Status.ROLLED_BACK, rolledBack.getStatus());
            assertTrue(rolledBack.getDetail().contains("back to v1"), rolledBack.getDetail());
            assertServing(device, "v1");
            assertEquals(errorsBefore, device.status().inferenceErrors(),
                    "the frame that failed on v8 was answered again by v1");
            assertEquals(1, device.status().rollbacks());
            camera.bright.set(false);

            // A good update under full load: every frame the camera produced is answered.
            register("v9", good, checked);
            rollOut("v9");
            DeployAck ok = awaitAck(acks, "v9");
            assertEquals(DeployAck.Status.ACTIVE, ok.getStatus(), ok.getDetail());
            assertServing(device, "v9");
            assertTrue(device.stop(Duration.ofSeconds(20)), "every result, sample and telemetry was acknowledged");
            assertEquals(camera.produced.get(), device.status().inferences() + device.status().inferenceErrors(),
                    "no frame was lost, through every update");
            assertEquals(0, device.status().inferenceErrors());
            operator.disconnect();
        } finally {
            faulty.stop(0);
        }

        // A restart with no broker to reach: the last good model is served from disk at once.
        Camera second = new Camera();
        DeviceConfig offline = config.withFleet(fleet, "tcp://127.0.0.1:1");
        EdgeDevice restarted = new EdgeDevice(offline, second);
        restarted.start();
        try {
            Thread.sleep(500);
            assertTrue(restarted.activeVersion().equals("v1") || restarted.activeVersion().equals("v9"),
                    restarted.activeVersion());
            assertTrue(restarted.status().inferences() > 0, "it answers frames without any network");
        } finally {
            assertFalse(restarted.stop(Duration.ofMillis(200)), "what it produced waits on disk for the network");
        }
        assertNotNull(restarted.status());
    }

    private static void expectFailure(BlockingQueue<DeployAck> acks, EdgeDevice device, String version,
            DeployAck.Status status, String reason) throws InterruptedException {
        DeployAck a = awaitAck(acks, version);
        assertEquals(status, a.getStatus(), version + ": " + a.getDetail());
        assertTrue(a.getDetail().contains(reason), version + ": " + a.getDetail());
        assertServing(device, "v1");
    }
}
