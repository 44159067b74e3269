package io.tandem.localstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded broker with credentials and topic rights: who may connect, publish and subscribe. */
class FileAuthTest {

    @TempDir
    Path dir;

    private static final String ACL = """
            user tandem-cloud
            topic readwrite tandem/#
            pattern write tandem/v1/+/%u/samples
            pattern read tandem/v1/+/%u/deploy
            pattern read tandem/v1/+/deploy
            """;

    /** Entries Mosquitto 2.0.11's {@code mosquitto_passwd} wrote for these passwords (the broker only reads them). */
    private static final java.util.Map<String, String> MOSQUITTO_PASSWD = java.util.Map.of(
            "cloud-secret", "$7$101$vr25JY17EwF9tQIL$eDecyELTtEImNkXF3baZeaFZHkEL7GNrsFkU/oFyRwbfKCS7npcg24XWL9VFr4+ynU97NkTDjmv5h1f9+65Bmw==",
            "one", "$7$101$b5hjHogBbPCele8L$LLS0SJTz0RAbmBJ9IZHOJ5QDOMgYFRPDSE0SdrTo/4OXS7nYSvIjN1PTgaqLQUX4+ESCdR+0R64/FQjdUvBEhw==",
            "two", "$7$101$gvgI0v4c07XCPne1$oY/BtiF+f1+huwoOJ/doNSenNK9KCYzmkcGeMei+4G5YlPqYjMzdG1vn3hXwXtyXUvfC2s2f7GyBNhwwJ9R1Ng==",
            "three", "$7$101$Dd/GCP2WFquuuUDE$K2x16nneDWO+T3wXOn0MrclfmWMyEnWBw5FF7vh9UbT8XztQfsMk7Fz5NTUqv6xqgDDwfvC+VuoEoxAgL74XAQ==");

    private static String entry(String user, String password) {
        return user + ":" + MOSQUITTO_PASSWD.get(password) + "\n";
    }

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
    void filtersCoverTopicsAndSubscriptionsAsMosquittoDoes() {
        assertTrue(FileAuth.covers("tandem/#", "tandem/v1/f/d/samples"));
        assertTrue(FileAuth.covers("tandem/v1/+/d/samples", "tandem/v1/f/d/samples"));
        assertFalse(FileAuth.covers("tandem/v1/+/d/samples", "tandem/v1/f/e/samples"));
        assertFalse(FileAuth.covers("tandem/v1/+/deploy", "tandem/v1/#"), "a rule for one level does not cover #");
        assertTrue(FileAuth.covers("tandem/v1/+/+/samples", "tandem/v1/+/+/samples"));
        assertFalse(FileAuth.covers("tandem/v1/f/deploy", "tandem/v1/f/deploy/x"));
    }

    @Test
    void onlyKnownUsersConnectAndEachPublishesOnlyItsOwnTopics() throws Exception {
        Path auth = Files.createDirectories(dir.resolve("auth"));
        Files.writeString(auth.resolve("passwords"), entry("tandem-cloud", "cloud-secret") + entry("cam-1", "one")
                + entry("cam-2", "two"));
        Files.writeString(auth.resolve("acl"), ACL);
        int port = Ports.free();
        String url = "tcp://127.0.0.1:" + port;
        try (EmbeddedMqtt broker = new EmbeddedMqtt(new LocalStackConfig("127.0.0.1", Ports.free(), Ports.free(), port,
                1, 2 << 20, dir, auth))) {
            broker.start();
            for (MqttConnectOptions bad : List.of(as(null, null), as("cam-1", "wrong"), as("stranger", "x"))) {
                try (MqttClient c = new MqttClient(url, "intruder", new MemoryPersistence())) {
                    assertThrows(MqttException.class, () -> c.connect(bad), "refused: " + bad.getUserName());
                }
            }
            BlockingQueue<String> seen = new LinkedBlockingQueue<>();
            try (MqttClient cloud = new MqttClient(url, "tandem-cloud", new MemoryPersistence());
                 MqttClient cam1 = new MqttClient(url, "cam-1", new MemoryPersistence())) {
                cloud.connect(as("tandem-cloud", "cloud-secret"));
                cloud.subscribe("tandem/v1/#", 1, (t, m) -> seen.add(t + "=" + new String(m.getPayload(),
                        StandardCharsets.UTF_8)));
                cloud.publish("tandem/v1/f/deploy", "cmd".getBytes(StandardCharsets.UTF_8), 1, true);
                assertEquals("tandem/v1/f/deploy=cmd", seen.poll(5, TimeUnit.SECONDS));

                cam1.connect(as("cam-1", "one"));
                cam1.publish("tandem/v1/f/cam-1/samples", "mine".getBytes(StandardCharsets.UTF_8), 1, false);
                assertEquals("tandem/v1/f/cam-1/samples=mine", seen.poll(5, TimeUnit.SECONDS));
                cam1.publish("tandem/v1/f/cam-2/samples", "forged".getBytes(StandardCharsets.UTF_8), 0, false);
                cam1.publish("tandem/v1/f/deploy", "evil".getBytes(StandardCharsets.UTF_8), 0, true);
                assertNull(seen.poll(2, TimeUnit.SECONDS), "a device can neither publish as another nor deploy");

                BlockingQueue<String> deploys = new LinkedBlockingQueue<>();
                cam1.subscribe("tandem/v1/f/deploy", 1, (t, m) -> deploys.add(new String(m.getPayload(),
                        StandardCharsets.UTF_8)));
                assertEquals("cmd", deploys.poll(5, TimeUnit.SECONDS), "the fleet's retained command is the cloud's");
                cam1.disconnect();
                cloud.disconnect();
            }

            Files.writeString(auth.resolve("passwords"), entry("tandem-cloud", "cloud-secret") + entry("cam-3", "three"));
            Thread.sleep(1_100);
            try (MqttClient cam3 = new MqttClient(url, "cam-3", new MemoryPersistence());
                 MqttClient cam2 = new MqttClient(url, "cam-2", new MemoryPersistence())) {
                cam3.connect(as("cam-3", "three"));
                assertTrue(cam3.isConnected(), "credentials issued while the broker runs take effect");
                assertThrows(MqttException.class, () -> cam2.connect(as("cam-2", "two")), "and revoked ones too");
                cam3.disconnect();
            }
        }
    }
}
