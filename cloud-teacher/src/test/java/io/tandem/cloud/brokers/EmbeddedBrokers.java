package io.tandem.cloud.brokers;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.tandem.localstack.LocalStack;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.ModelManifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The embedded Kafka and MQTT brokers of {@code local-stack}, started on free loopback ports for the
 * component tests, with a small real ONNX classifier as the teacher. Tests read the addresses from
 * {@link #mqttUrl()} and {@link #bootstrapServers()}.
 */
public final class EmbeddedBrokers implements QuarkusTestResourceLifecycleManager {

    private static volatile String mqttUrl;
    private static volatile String bootstrap;
    private LocalStack stack;
    private boolean mqttAuth;

    /** With the argument {@code mqtt-auth=true} the MQTT broker requires credentials the cloud issues. */
    @Override
    public void init(Map<String, String> args) {
        mqttAuth = Boolean.parseBoolean(args.getOrDefault("mqtt-auth", "false"));
    }

    /** The MQTT broker of the running test resource. */
    public static String mqttUrl() {
        return mqttUrl;
    }

    /** Kafka's bootstrap servers of the running test resource. */
    public static String bootstrapServers() {
        return bootstrap;
    }

    @Override
    public Map<String, String> start() {
        try {
            Path dir = Files.createTempDirectory("tandem-brokers");
            int[] ports = freePorts(3);
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--kafka-port", "" + ports[0],
                    "--kafka-controller-port", "" + ports[1], "--mqtt-port", "" + ports[2], "--data-dir",
                    dir.resolve("stack").toString()));
            if (mqttAuth) {
                args.addAll(java.util.List.of("--mqtt-auth-dir", dir.resolve("mqtt-auth").toString()));
            }
            stack = LocalStack.fromArgs(args.toArray(String[]::new));
            stack.start();
            mqttUrl = stack.mqttUrl();
            bootstrap = stack.kafkaBootstrapServers();
            Path teacher = Files.write(dir.resolve("teacher.onnx"), resource("fixtures/student-tiny.onnx"));
            ModelManifest m = Codecs.MANIFEST.decode(resource("fixtures/student-tiny.manifest.pb")).toBuilder()
                    .setModelId("teacher").setVersion("t1").setRole("teacher").build();
            Files.write(dir.resolve("teacher.manifest.pb"), Codecs.MANIFEST.encode(m));
            Map<String, String> config = new java.util.HashMap<>(Map.of("tandem.mqtt.url", mqttUrl,
                    "tandem.kafka.bootstrap-servers", bootstrap, "tandem.teacher.onnx", teacher.toString(),
                    "tandem.data-dir", dir.resolve("cloud").toString()));
            if (mqttAuth) {
                config.put("tandem.mqtt.auth-dir", dir.resolve("mqtt-auth").toString());
                config.put("tandem.mqtt.password", java.util.UUID.randomUUID().toString());
            }
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = EmbeddedBrokers.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing test resource " + name);
            }
            return in.readAllBytes();
        }
    }

    /** {@code n} distinct free loopback ports: each socket is held until all are chosen, so none is handed out twice. */
    public static int[] freePorts(int n) throws IOException {
        java.util.List<ServerSocket> held = new java.util.ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }
}
