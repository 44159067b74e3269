package io.tandem.cloud.brokers;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.proto.ArtifactDigest;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.DeployCommand;
import io.tandem.proto.v1.ModelManifest;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

/** Rollouts on a real MQTT broker: a registered student reaches a late subscriber as a retained deploy command. */
@QuarkusTest
@TestProfile(WithBrokers.class)
class RolloutTest {

    @Inject
    ModelRegistry registry;

    @Inject
    EventProbe events;

    private ModelManifest registerStudent(String version) throws Exception {
        byte[] onnx;
        byte[] manifest;
        try (InputStream a = getClass().getClassLoader().getResourceAsStream("fixtures/student-tiny.onnx");
             InputStream b = getClass().getClassLoader().getResourceAsStream("fixtures/student-tiny.manifest.pb")) {
            onnx = a.readAllBytes();
            manifest = b.readAllBytes();
        }
        Path file = Files.write(Files.createTempFile("student", ".onnx"), onnx);
        ModelManifest m = Codecs.MANIFEST.decode(manifest).toBuilder().setModelId(ModelRegistry.STUDENT_ID)
                .setVersion(version).setRole("student").setCreatedAtMs(System.currentTimeMillis()).build();
        return registry.register(file, m);
    }

    @Test
    void aRegisteredStudentIsAnnouncedAndReachesALateSubscriberRetained() throws Exception {
        String version = "v-" + UUID.randomUUID().toString().substring(0, 6);
        ModelManifest m = registerStudent(version);
        assertTrue(events.registered().stream().anyMatch(e -> e.manifest().getVersion().equals(version)),
                "registration is announced as an event the rollout stage can follow");

        given().contentType("application/json")
                .body("{\"modelId\":\"student\",\"version\":\"" + version + "\",\"fleet\":\"f-roll\"}")
                .post("/api/rollouts").then().statusCode(200).body(containsString(version));

        BlockingQueue<byte[]> received = new ArrayBlockingQueue<>(4);
        try (MqttClient device = new MqttClient(EmbeddedBrokers.mqttUrl(), "late-device", new MemoryPersistence())) {
            MqttConnectOptions options = new MqttConnectOptions();
            options.setCleanSession(true);
            device.connect(options);
            device.subscribe(Topics.fleetDeploy("f-roll"), 1, (t, msg) -> received.add(msg.getPayload()));
            byte[] payload = received.poll(20, TimeUnit.SECONDS);
            assertNotNull(payload, "retained deploy command for a device that subscribed afterwards");
            DeployCommand c = Codecs.DEPLOY_COMMAND.decode(payload);
            assertEquals(version, c.getModelVersion());
            assertEquals(m.getSha256(), c.getSha256());
            assertEquals("f-roll", c.getFleet());
            device.disconnect();
            Path downloaded = Files.write(Files.createTempFile("artifact", ".onnx"),
                    given().get(URI.create(c.getArtifactUrl()).getPath()).then().statusCode(200).extract().asByteArray());
            assertEquals(c.getSha256(), ArtifactDigest.sha256(downloaded), "the announced artifact is served");
        }
    }

    @Test
    void rolloutsOfUnknownModelsAndTeachersAreRefused() {
        given().contentType("application/json").body("{\"modelId\":\"student\",\"version\":\"nope\",\"fleet\":\"f\"}")
                .post("/api/rollouts").then().statusCode(400).body(containsString("not registered"));
        given().contentType("application/json").body("{\"modelId\":\"teacher\",\"version\":\"t1\",\"fleet\":\"f\"}")
                .post("/api/rollouts").then().statusCode(400).body(containsString("only students"));
        given().contentType("application/json").body("{\"modelId\":\"student\",\"version\":\"v1\",\"fleet\":\"../x\"}")
                .post("/api/rollouts").then().statusCode(400).body(containsString("fleet"));
    }
}
