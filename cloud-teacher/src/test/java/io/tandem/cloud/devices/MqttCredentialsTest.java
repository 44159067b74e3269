package io.tandem.cloud.devices;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.tandem.cloud.brokers.EmbeddedBrokers;
import io.tandem.cloud.brokers.Wire;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.edge.device.DeviceConfig;
import io.tandem.edge.device.EdgeDevice;
import io.tandem.proto.ArtifactDigest;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.DeployCommand;
import io.tandem.proto.v1.ModelManifest;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

/**
 * Device identity on a broker that requires credentials: the cloud issues a device its password, the device
 * connects and runs what the cloud rolls out; an anonymous client cannot connect; a device can neither publish
 * as another device nor publish a deploy command; a revoked password no longer connects.
 */
@QuarkusTest
@TestProfile(WithMqttAuth.class)
class MqttCredentialsTest {

    @Inject
    ModelRegistry registry;

    @ConfigProperty(name = "tandem.mqtt.password")
    String cloudPassword;

    private static MqttConnectOptions as(String user, String password) {
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        if (user != null) {
            o.setUserName(user);
            o.setPassword(password.toCharArray());
        }
        return o;
    }

    @Test
    void onlyIssuedCredentialsConnectAndADeviceCannotSpeakForOthersOrDeploy() throws Exception {
        String fleet = "f-cred";
        String password = given().post("/api/devices/cam-cred/credentials").then().statusCode(200).extract()
                .jsonPath().getString("password");
        assertTrue(password.length() >= 20);
        String url = EmbeddedBrokers.mqttUrl();

        try (MqttClient anonymous = new MqttClient(url, "anon", new MemoryPersistence())) {
            assertThrows(MqttException.class, () -> anonymous.connect(as(null, null)));
        }

        Path onnx = Files.createTempFile("cred", ".onnx");
        ModelManifest fixture;
        try (InputStream a = getClass().getClassLoader().getResourceAsStream("fixtures/student-tiny.onnx");
             InputStream b = getClass().getClassLoader().getResourceAsStream("fixtures/student-tiny.manifest.pb")) {
            Files.write(onnx, a.readAllBytes());
            fixture = Codecs.MANIFEST.decode(b.readAllBytes());
        }
        registry.register(onnx, fixture.toBuilder().setModelId("student").setVersion("c1").setRole("student")
                .setSha256(ArtifactDigest.sha256(onnx)).setSizeBytes(Files.size(onnx)).build());
        DeviceConfig config = DeviceConfig.defaults("cam-cred", Files.createTempDirectory("cred-device"))
                .withFleet(fleet, url).withPace(0, 100, Duration.ofMillis(500));
        try (EdgeDevice device = new EdgeDevice(config.withMqtt(config.mqtt().withPassword(password)), new io.tandem.cloud.device.Camera());
             MqttClient cloudEye = new MqttClient(url, "test-observer", new MemoryPersistence());
             MqttClient forger = new MqttClient(url, "cam-cred-forger", new MemoryPersistence())) {
            device.start();
            given().contentType("application/json").body("{\"modelId\":\"student\",\"version\":\"c1\",\"fleet\":\""
                    + fleet + "\"}").post("/api/rollouts").then().statusCode(200);
            assertTrue(Wire.eventually(Duration.ofSeconds(30), () -> device.activeVersion().equals("c1")),
                    "the device with issued credentials runs what the cloud rolled out");

            cloudEye.connect(as("tandem-cloud", cloudPassword));
            BlockingQueue<String> seen = new LinkedBlockingQueue<>();
            cloudEye.subscribe(Topics.mqtt(fleet, "cam-other", Topics.DeviceStream.SAMPLES), 1,
                    (t, m) -> seen.add(t));
            forger.connect(as("cam-cred", password));
            forger.publish(Topics.mqtt(fleet, "cam-other", Topics.DeviceStream.SAMPLES),
                    "forged".getBytes(StandardCharsets.UTF_8), 0, false);
            forger.publish(Topics.fleetDeploy(fleet), "evil".getBytes(StandardCharsets.UTF_8), 0, true);
            assertNull(seen.poll(2, TimeUnit.SECONDS), "a device cannot publish as another device");
            BlockingQueue<byte[]> retained = new LinkedBlockingQueue<>();
            cloudEye.subscribe(Topics.fleetDeploy(fleet), 1, (t, m) -> retained.add(m.getPayload()));
            DeployCommand current = Codecs.DEPLOY_COMMAND.decode(retained.poll(10, TimeUnit.SECONDS));
            assertEquals("c1", current.getModelVersion(), "the fleet's deploy command is still the cloud's");
            assertEquals("c1", device.activeVersion());
            forger.disconnect();
            cloudEye.disconnect();
        }

        given().delete("/api/devices/cam-cred/credentials").then().statusCode(204);
        try (MqttClient revoked = new MqttClient(url, "cam-cred", new MemoryPersistence())) {
            assertThrows(MqttException.class, () -> revoked.connect(as("cam-cred", password)));
        }
        given().delete("/api/devices/cam-cred/credentials").then().statusCode(404);
    }
}
