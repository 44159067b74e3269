package io.tandem.cloud.device;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.tandem.cloud.brokers.EmbeddedBrokers;
import io.tandem.cloud.brokers.WithBrokers;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.cloud.signing.ModelSigner;
import io.tandem.edge.device.DeviceConfig;
import io.tandem.edge.device.EdgeDevice;
import io.tandem.proto.Codecs;
import io.tandem.proto.ModelSignatures;
import io.tandem.proto.Topics;
import io.tandem.proto.Topics.DeviceStream;
import io.tandem.proto.v1.DeployAck;
import io.tandem.proto.v1.DeployCommand;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.ModelStatement;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

/**
 * Signed models on a real device against the real cloud: a device that pins the cloud's key runs only what
 * the cloud signed, refuses unsigned, foreign-signed, expired and replayed commands with the reason while it
 * keeps serving, and follows a key rotation without being reconfigured.
 */
@QuarkusTest
@TestProfile(WithBrokers.class)
class SignedModelTest {

    @Inject
    ModelRegistry registry;

    @Inject
    ModelSigner signer;

    private final String fleet = "f-sig-" + UUID.randomUUID().toString().substring(0, 6);

    private ModelManifest register(String version, Path onnx, ModelManifest base) {
        return DeviceUpdateTest.register(registry, version, onnx, base);
    }

    private void rollOut(String version) {
        DeviceUpdateTest.rollOut(fleet, version);
    }

    private static DeployAck awaitAck(BlockingQueue<DeployAck> acks, String version) throws InterruptedException {
        return DeviceUpdateTest.awaitAck(acks, version);
    }

    private DeployCommand unsignedCommand(String version, ModelManifest m, long issuedAt) {
        return DeployCommand.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setFleet(fleet)
                .setRolloutId("attacker").setModelId("student").setModelVersion(version)
                .setArtifactUrl(registryUrl(version))
                .setSha256(m.getSha256()).setSizeBytes(m.getSizeBytes()).setConfidenceThreshold(0.5f)
                .setIssuedAtMs(issuedAt).setManifest(m).build();
    }

    private static String registryUrl(String version) {
        return io.restassured.RestAssured.baseURI + ":" + io.restassured.RestAssured.port + "/api/models/student/"
                + version + "/artifact";
    }

    @Test
    void onlyWhatTheCloudSignedRunsAndARotatedKeyIsFollowed() throws Exception {
        Path tmp = Files.createTempDirectory("signed-test");
        StudentFixture student = StudentFixture.copyTo(tmp);
        Path good = student.onnx();
        ModelManifest fixture = student.manifest();
        JsonPath keys = given().get("/api/keys").then().statusCode(200).extract().jsonPath();
        String current = keys.getString("current");
        String pinned = keys.getMap("keys", String.class, String.class).get(current);
        DeviceConfig config = DeviceConfig.defaults("cam-sig", tmp.resolve("device"))
                .withFleet(fleet, EmbeddedBrokers.mqttUrl()).withPace(0, 200, Duration.ofMillis(500))
                .withOta(DeviceConfig.OtaSettings.DEFAULT.withRetries(1, Duration.ZERO).withProbation(0, 0)
                        .withTrustedKeys(List.of(pinned)));
        BlockingQueue<DeployAck> acks = new LinkedBlockingQueue<>();
        try (MqttClient attacker = new MqttClient(EmbeddedBrokers.mqttUrl(), "attacker-" + fleet, new MemoryPersistence());
             EdgeDevice device = new EdgeDevice(config, new Camera())) {
            MqttConnectOptions options = new MqttConnectOptions();
            options.setCleanSession(true);
            attacker.connect(options);
            attacker.subscribe(Topics.mqtt(fleet, "cam-sig", DeviceStream.ACKS), 1,
                    (t, msg) -> acks.add(Codecs.DEPLOY_ACK.decode(msg.getPayload())));
            device.start();
            register("s1", good, fixture);
            rollOut("s1");
            DeployAck first = awaitAck(acks, "s1");
            assertEquals(DeployAck.Status.ACTIVE, first.getStatus(), first.getDetail());
            assertTrue(first.getDetail().contains("signature verified"), first.getDetail());
            DeployCommand signedV1 = Codecs.DEPLOY_COMMAND.decode(retained(attacker, Topics.fleetDeploy(fleet)));

            ModelManifest v2 = register("s2", good, fixture);
            publish(attacker, unsignedCommand("s2", v2, System.currentTimeMillis()));
            refused(acks, device, "s2", "unsigned");

            KeyPair stranger = ModelSignatures.newKeyPair();
            ModelStatement st = ModelSignatures.statement(v2, ModelSignatures.keyId(stranger.getPublic()),
                    System.currentTimeMillis(), System.currentTimeMillis() + 60_000);
            publish(attacker, unsignedCommand("s2", v2, System.currentTimeMillis() + 1).toBuilder()
                    .setStatement(st.toByteString()).setSignature(ByteString.copyFrom(ModelSignatures.sign(
                            stranger.getPrivate(), st.toByteArray()))).build());
            refused(acks, device, "s2", "not trusted");

            ModelManifest v3 = register("s3", good, fixture);
            publish(attacker, signer.sign(unsignedCommand("s3", v3, System.currentTimeMillis()), v3,
                    System.currentTimeMillis() - 1_000));
            refused(acks, device, "s3", "expired");

            rollOut("s2");
            assertEquals(DeployAck.Status.ACTIVE, awaitAck(acks, "s2").getStatus());
            publish(attacker, signedV1.toBuilder().setIssuedAtMs(System.currentTimeMillis() + 60_000).build());
            refused(acks, device, "s1", "replay");
            assertEquals("s2", device.activeVersion());

            String rotated = given().post("/api/keys/rotate").then().statusCode(200).extract().jsonPath().getString("current");
            assertTrue(!rotated.equals(current));
            register("s4", good, fixture);
            rollOut("s4");
            DeployAck afterRotation = awaitAck(acks, "s4");
            assertEquals(DeployAck.Status.ACTIVE, afterRotation.getStatus(), afterRotation.getDetail());
            assertTrue(Files.readString(tmp.resolve("device/models/trusted-keys")).contains(rotated),
                    "the endorsed key is recorded for the next start");
            attacker.disconnect();
        }
    }

    private static byte[] retained(MqttClient client, String topic) throws Exception {
        BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
        client.subscribe(topic, 1, (t, m) -> got.add(m.getPayload()));
        byte[] b = got.poll(10, TimeUnit.SECONDS);
        client.unsubscribe(topic);
        return b;
    }

    private void publish(MqttClient client, DeployCommand c) throws Exception {
        client.publish(Topics.deviceDeploy(fleet, "cam-sig"), c.toByteArray(), 1, false);
    }

    private static void refused(BlockingQueue<DeployAck> acks, EdgeDevice device, String version, String reason)
            throws InterruptedException {
        DeployAck a = awaitAck(acks, version);
        assertEquals(DeployAck.Status.FAILED_VERIFICATION, a.getStatus(), a.getDetail());
        assertTrue(a.getDetail().contains(reason), a.getDetail());
        long before = device.status().inferences();
        Thread.sleep(200);
        assertTrue(device.status().inferences() > before, "the device keeps serving");
    }
}
