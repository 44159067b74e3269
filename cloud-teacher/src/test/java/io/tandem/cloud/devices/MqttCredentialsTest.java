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

    @ConfigProperty(name = "tandem.mqtt.auth-dir")
    Path authDir;

    @ConfigProperty(name = "quarkus.http.test-port")
    int httpPort;

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

    /** Connects, or says why not. */
    private static String tryConnect(MqttClient client, String user, String password) {
        try {
            client.connect(as(user, password));
            return "connected";
        } catch (MqttException e) {
            return "refused: " + e.getMessage();
        }
    }

    /**
     * The compose topology's Mosquitto, as a process: {@code docker/mosquitto.conf} run by
     * {@code docker/mosquitto-run.sh} on the files the cloud writes, devices provisioned by
     * {@code docker/provision-devices.sh}. Mosquitto enforces the cloud's passwords and topic rights, and a
     * revocation reaches it without a restart.
     */
    @Test
    void mosquittoEnforcesWhatTheCloudIssuesAndRevokes() throws Exception {
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Path base = Files.createTempDirectory("mosquitto");
        Path secrets = base.resolve("secrets");
        ProcessBuilder provisioning = new ProcessBuilder("sh", repo.resolve("docker/provision-devices.sh").toString(),
                secrets.toString(), "cam-m1", "cam-m2").inheritIO();
        provisioning.environment().put("TANDEM_URL", "http://127.0.0.1:" + httpPort);
        assertEquals(0, provisioning.start().waitFor(), "provisioning succeeds");
        String password1 = Files.readString(secrets.resolve("cam-m1.mqtt-password")).trim();
        String password2 = Files.readString(secrets.resolve("cam-m2.mqtt-password")).trim();
        assertEquals(given().accept("text/plain").get("/api/keys/current").then().statusCode(200).extract().asString(),
                Files.readString(secrets.resolve("cam-m1.mqtt-password").resolveSibling("cloud-key.pub")));

        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String conf = Files.readString(repo.resolve("docker/mosquitto.conf"))
                .replace("listener 1883", "listener " + port + " 127.0.0.1")
                .replace("/mosquitto/run/", base.resolve("run") + "/")
                .replace("/mosquitto/data/", base.resolve("data") + "/");
        if (new com.sun.security.auth.module.UnixSystem().getUid() == 0) {
            conf += "\n# the test's temporary folders are root's own\nuser root\n";
        }
        Files.createDirectories(base.resolve("data"));
        Files.writeString(base.resolve("mosquitto.conf"), conf);
        ProcessBuilder pb = new ProcessBuilder("sh", repo.resolve("docker/mosquitto-run.sh").toString(),
                base.resolve("mosquitto.conf").toString()).redirectErrorStream(true)
                .redirectOutput(base.resolve("mosquitto.log").toFile());
        pb.environment().put("TANDEM_MQTT_AUTH_DIR", authDir.toString());
        pb.environment().put("TANDEM_MQTT_RUN_DIR", base.resolve("run").toString());
        pb.environment().put("TANDEM_MQTT_AUTH_POLL_S", "1");
        Process mosquitto = pb.start();
        String url = "tcp://127.0.0.1:" + port;
        try {
            assertTrue(Wire.eventually(Duration.ofSeconds(20), () -> {
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                    return true;
                } catch (java.io.IOException e) {
                    return false;
                }
            }), "Mosquitto listens: " + Files.readString(base.resolve("mosquitto.log")));
            try (MqttClient anonymous = new MqttClient(url, "anon-m", new MemoryPersistence());
                 MqttClient stranger = new MqttClient(url, "cam-m9", new MemoryPersistence());
                 MqttClient cloud = new MqttClient(url, "cloud-m", new MemoryPersistence());
                 MqttClient device = new MqttClient(url, "cam-m1", new MemoryPersistence())) {
                assertTrue(tryConnect(anonymous, null, null).startsWith("refused"), "anonymous clients are refused");
                assertTrue(tryConnect(stranger, "cam-m9", password1).startsWith("refused"), "a borrowed password too");
                assertEquals("connected", tryConnect(cloud, "tandem-cloud", cloudPassword));
                assertEquals("connected", tryConnect(device, "cam-m1", password1));
                BlockingQueue<String> seen = new LinkedBlockingQueue<>();
                cloud.subscribe(Topics.MQTT_PREFIX + "#", 1, (t, m) -> seen.add(t));
                device.publish(Topics.mqtt("f-m", "cam-m2", Topics.DeviceStream.SAMPLES), new byte[] {1}, 1, false);
                device.publish(Topics.fleetDeploy("f-m"), new byte[] {2}, 1, true);
                device.publish(Topics.mqtt("f-m", "cam-m1", Topics.DeviceStream.SAMPLES), new byte[] {3}, 1, false);
                assertEquals(Topics.mqtt("f-m", "cam-m1", Topics.DeviceStream.SAMPLES), seen.poll(10, TimeUnit.SECONDS),
                        "a device's own stream goes through");
                assertNull(seen.poll(1, TimeUnit.SECONDS), "publishing as another device or a deploy command does not");
                BlockingQueue<String> deploys = new LinkedBlockingQueue<>();
                device.subscribe(Topics.deviceDeploy("f-m", "cam-m1"), 1, (t, m) -> deploys.add(t));
                cloud.publish(Topics.deviceDeploy("f-m", "cam-m1"), new byte[] {4}, 1, false);
                assertEquals(Topics.deviceDeploy("f-m", "cam-m1"), deploys.poll(10, TimeUnit.SECONDS),
                        "the device reads its deploy topic");
                device.disconnect();
                cloud.disconnect();
            }

            try (MqttClient before = new MqttClient(url, "cam-m2", new MemoryPersistence())) {
                assertEquals("connected", tryConnect(before, "cam-m2", password2));
                before.disconnect();
            }
            given().delete("/api/devices/cam-m2/credentials").then().statusCode(204);
            assertTrue(Wire.eventually(Duration.ofSeconds(15), () -> {
                try (MqttClient revoked = new MqttClient(url, "cam-m2", new MemoryPersistence())) {
                    return tryConnect(revoked, "cam-m2", password2).startsWith("refused");
                } catch (MqttException e) {
                    return false;
                }
            }), "a revoked password is refused without restarting Mosquitto");
        } finally {
            mosquitto.destroy();
            mosquitto.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
