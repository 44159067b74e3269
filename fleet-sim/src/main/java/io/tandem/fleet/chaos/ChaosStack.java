package io.tandem.fleet.chaos;

import io.tandem.fleet.process.ChildProcess;
import io.tandem.fleet.process.Supervisor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The loop's cloud side as three processes that can each be killed and started again on the same ports and
 * data folders: Kafka and the MQTT broker (each a {@code local-stack} of one broker) and the cloud teacher
 * (bridge, labeler and sample store; no retraining).
 */
final class ChaosStack {

    private final Supervisor processes;
    private final Path work;
    private final Path teacherOnnx;
    private final int kafkaPort = Supervisor.freePort();
    private final int controllerPort = Supervisor.freePort();
    private final int mqttPort = Supervisor.freePort();
    private final int httpPort = Supervisor.freePort();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private ChildProcess kafka;
    private ChildProcess mqtt;
    private ChildProcess cloud;
    private int starts;

    private final boolean mosquitto;

    /**
     * @param mosquitto run Mosquitto (Debian's, as compose does) as the MQTT broker instead of the embedded one
     */
    ChaosStack(Supervisor processes, Path work, Path teacherOnnx, boolean mosquitto) {
        this.processes = processes;
        this.work = work;
        this.teacherOnnx = teacherOnnx;
        this.mosquitto = mosquitto;
    }

    /** Starts all three and waits until the cloud is healthy. */
    void start() {
        startKafka();
        startMqtt();
        startCloud();
    }

    int mqttPort() {
        return mqttPort;
    }

    String mqttUrl() {
        return "tcp://127.0.0.1:" + mqttPort;
    }

    /** The cloud's labelled-sample store file. */
    Path storeFile() {
        return work.resolve("cloud/samples/labelled.rec");
    }

    private ChildProcess broker(String which, List<String> ports) {
        List<String> command = new ArrayList<>(List.of(Supervisor.java(), "-Xmx512m", "-cp",
                processes.classpath("local-stack"), "io.tandem.localstack.LocalStack", "--brokers", which,
                "--data-dir", work.resolve("brokers").toString()));
        command.addAll(ports);
        ChildProcess p = processes.launch(which + "-" + ++starts, command,
                line -> line.startsWith("tandem local-stack READY"));
        p.awaitLine(processes.remaining(), "READY");
        return p;
    }

    void startKafka() {
        kafka = broker("kafka", List.of("--kafka-port", "" + kafkaPort, "--kafka-controller-port", "" + controllerPort,
                "--mqtt-port", "" + mqttPort));
    }

    void startMqtt() {
        if (mosquitto) {
            startMosquitto();
            return;
        }
        mqtt = broker("mqtt", List.of("--kafka-port", "" + kafkaPort, "--kafka-controller-port", "" + controllerPort,
                "--mqtt-port", "" + mqttPort));
    }

    /** Mosquitto with the persistence of {@code docker/mosquitto.conf}, anonymous, on this run's port. */
    private void startMosquitto() {
        Path dir = work.resolve("brokers/mosquitto");
        try {
            java.nio.file.Files.createDirectories(dir.resolve("data"));
            String conf = "listener " + mqttPort + " 127.0.0.1\nallow_anonymous true\npersistence true\n"
                    + "persistence_location " + dir.resolve("data") + "/\nautosave_on_changes true\nautosave_interval 1\n"
                    + "max_queued_messages 100000\nmax_inflight_messages 1000\nmax_packet_size 2100000\n"
                    + (new com.sun.security.auth.module.UnixSystem().getUid() == 0 ? "user root\n" : "");
            java.nio.file.Files.writeString(dir.resolve("mosquitto.conf"), conf);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        mqtt = processes.launch("mosquitto-" + ++starts, List.of("mosquitto", "-c",
                dir.resolve("mosquitto.conf").toString()), null);
        processes.waitFor("Mosquitto to listen", () -> {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", mqttPort)) {
                return true;
            } catch (java.io.IOException e) {
                return false;
            }
        }, mqtt);
    }

    void startCloud() {
        Path jar = processes.requireFile(Path.of("cloud-teacher/target/quarkus-app/quarkus-run.jar"));
        cloud = processes.launch("cloud-" + ++starts, List.of(Supervisor.java(), "-Xmx1g", "-Dai.djl.offline=true",
                "-DOPT_OUT_TRACKING=true", "-Dquarkus.http.port=" + httpPort,
                "-Dtandem.public-url=http://127.0.0.1:" + httpPort, "-Dtandem.mqtt.url=" + mqttUrl(),
                "-Dtandem.kafka.bootstrap-servers=127.0.0.1:" + kafkaPort, "-Dtandem.data-dir=" + work.resolve("cloud"),
                "-Dtandem.teacher.onnx=" + teacherOnnx, "-Dtandem.retrain.enabled=false", "-Dtandem.rollout.auto=false",
                "-jar", jar.toString()), null);
        processes.waitFor("the cloud to be healthy", this::cloudHealthy, cloud);
    }

    private boolean cloudHealthy() {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                    + "/api/health")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void killKafka() {
        kafka.kill();
    }

    void killMqtt() {
        mqtt.kill();
    }

    void killCloud() {
        cloud.kill();
    }

    void freezeCloud(boolean frozen) {
        cloud.freeze(frozen);
    }
}
