package io.tandem.cloud.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.cloud.config.MqttLogin;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.edge.device.DeviceConfig;
import io.tandem.edge.link.MqttLink;
import io.tandem.localstack.EmbeddedMqtt;
import io.tandem.localstack.LocalStackConfig;
import io.tandem.proto.MqttTls;
import io.tandem.proto.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MQTT over TLS with a certificate the test makes (the JDK's keytool): the embedded broker's TLS listener, a
 * device link and the cloud's login trusting exactly that certificate; a client that trusts another
 * certificate, or only the JVM's public authorities, cannot connect.
 */
class MqttTlsTest {

    @TempDir
    Path dir;

    /** A self-signed certificate for 127.0.0.1 in a PKCS12 key store, and the certificate alone in PEM. */
    private static Path[] certificate(Path dir, String name) throws Exception {
        Path store = dir.resolve(name + ".p12");
        Path pem = dir.resolve(name + ".crt");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(keytool, "-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=" + name, "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12", "-keystore",
                store.toString(), "-storepass", "changeit", "-keypass", "changeit");
        run(keytool, "-exportcert", "-rfc", "-alias", "broker", "-keystore", store.toString(), "-storepass",
                "changeit", "-file", pem.toString());
        return new Path[] {store, pem};
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    }

    /** The cloud's MQTT settings as the configuration would give them. */
    private static TandemConfig.Mqtt cloudMqtt(Path caFile) {
        return (TandemConfig.Mqtt) java.lang.reflect.Proxy.newProxyInstance(MqttTlsTest.class.getClassLoader(),
                new Class<?>[] {TandemConfig.Mqtt.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "password" -> Optional.empty();
                    case "caFile" -> Optional.of(caFile);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void devicesAndTheCloudSpeakTlsToABrokerTheyPinAndNoOther() throws Exception {
        Path[] broker = certificate(dir, "broker");
        Path[] stranger = certificate(dir, "stranger");
        int[] ports = io.tandem.cloud.brokers.EmbeddedBrokers.freePorts(4);
        int plain = ports[0];
        int tls = ports[1];
        LocalStackConfig config = new LocalStackConfig("127.0.0.1", ports[2], ports[3], plain, 1, 1 << 20,
                dir.resolve("data"), null, new LocalStackConfig.TlsListener(tls, broker[0], "changeit"));
        String url = "ssl://127.0.0.1:" + tls;
        try (EmbeddedMqtt mqtt = new EmbeddedMqtt(config);
             MqttClient cloud = new MqttClient(url, "cloud-tls", new MemoryPersistence())) {
            mqtt.start();
            cloud.connect(MqttLogin.apply(cloudMqtt(broker[1]), new MqttConnectOptions()));
            BlockingQueue<String> seen = new LinkedBlockingQueue<>();
            cloud.subscribe(Topics.MQTT_PREFIX + "#", 1, (t, m) -> seen.add(t));

            String topic = Topics.mqtt("f-tls", "cam-tls", Topics.DeviceStream.TELEMETRY);
            try (MqttLink device = new MqttLink(url, "cam-tls", Files.createDirectories(dir.resolve("device")),
                    DeviceConfig.MqttTuning.DEFAULT.withCaFile(broker[1].toString()), List.of(), (t, m) -> { })) {
                device.connect(10_000);
                BlockingQueue<Boolean> acked = new LinkedBlockingQueue<>();
                assertTrue(device.tryPublish(topic, new byte[] {1}, acked::add));
                assertEquals(Boolean.TRUE, acked.poll(10, TimeUnit.SECONDS), "the broker acknowledges over TLS");
            }
            assertEquals(topic, seen.poll(10, TimeUnit.SECONDS), "and the cloud receives it over TLS");

            try (MqttClient pinnedElsewhere = new MqttClient(url, "cam-x", new MemoryPersistence());
                 MqttClient publicTrust = new MqttClient(url, "cam-y", new MemoryPersistence())) {
                MqttConnectOptions other = new MqttConnectOptions();
                other.setSocketFactory(MqttTls.trusting(stranger[1]));
                other.setConnectionTimeout(5);
                assertThrows(MqttException.class, () -> pinnedElsewhere.connect(other),
                        "a client pinning another certificate refuses the broker");
                MqttConnectOptions jvm = new MqttConnectOptions();
                jvm.setConnectionTimeout(5);
                assertThrows(MqttException.class, () -> publicTrust.connect(jvm),
                        "a self-signed broker is not trusted through the JVM's public authorities");
            }
            cloud.disconnect();
        }
    }

    @Test
    void anUnusableCaFileIsNamed() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.crt"), "not a certificate\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MqttTls.trusting(empty));
        assertTrue(e.getMessage().contains("empty.crt"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MqttTls.trusting(dir.resolve("missing.crt")));
        assertTrue(e.getMessage().contains("missing.crt"), e.getMessage());
    }
}
