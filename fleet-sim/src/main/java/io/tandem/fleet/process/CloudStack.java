package io.tandem.fleet.process;

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
 * (bridge, labeler and sample store; no retraining). The chaos run kills them; the bridge bench loads them.
 */
public final class CloudStack {

    private final Supervisor processes;
    private final Path work;
    private final Path teacherOnnx;
    /** Chosen together, so no two are the same (one at a time, Kafka and its controller once got one port). */
    private final int[] ports = Supervisor.freePorts(4);
    private final int kafkaPort = ports[0];
    private final int controllerPort = ports[1];
    private final int mqttPort = ports[2];
    private final int httpPort = ports[3];
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private ChildProcess kafka;
    private ChildProcess mqtt;
    private ChildProcess cloud;
    private int starts;

    private final boolean mosquitto;
    private final List<String> cloudOptions;

    /**
     * @param mosquitto run Mosquitto (Debian's, as compose does) as the MQTT broker instead of the embedded one
     * @param cloudOptions further {@code -D} options for the cloud's JVM
     */
    public CloudStack(Supervisor processes, Path work, Path teacherOnnx, boolean mosquitto, List<String> cloudOptions) {
        this.processes = processes;
        this.work = work;
        this.teacherOnnx = teacherOnnx;
        this.mosquitto = mosquitto;
        this.cloudOptions = List.copyOf(cloudOptions);
    }

    /** Starts all three and waits until the cloud is healthy. */
    public void start() {
        startKafka();
        startMqtt();
        startCloud();
    }

    public int mqttPort() {
        return mqttPort;
    }

    public String mqttUrl() {
        return "tcp://127.0.0.1:" + mqttPort;
    }

    /** Kafka's bootstrap address. */
    public String bootstrap() {
        return "127.0.0.1:" + kafkaPort;
    }

    /** The cloud's REST base URL. */
    public String apiBase() {
        return "http://127.0.0.1:" + httpPort;
    }

    /** The cloud's labelled-sample store file. */
    public Path storeFile() {
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

    public void startKafka() {
        kafka = broker("kafka", List.of("--kafka-port", "" + kafkaPort, "--kafka-controller-port", "" + controllerPort,
                "--mqtt-port", "" + mqttPort));
    }

    public void startMqtt() {
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
                    + "connection_messages false\nlog_type error\nlog_type warning\n"
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

    public void startCloud() {
        Path jar = processes.requireFile(Path.of("cloud-teacher/target/quarkus-app/quarkus-run.jar"));
        List<String> command = new ArrayList<>(List.of(Supervisor.java(), "-Xmx1g", "-Dai.djl.offline=true",
                "-DOPT_OUT_TRACKING=true", "-Dquarkus.http.port=" + httpPort,
                "-Dtandem.public-url=http://127.0.0.1:" + httpPort, "-Dtandem.mqtt.url=" + mqttUrl(),
                "-Dtandem.kafka.bootstrap-servers=" + bootstrap(), "-Dtandem.data-dir=" + work.resolve("cloud"),
                "-Dtandem.teacher.onnx=" + teacherOnnx, "-Dtandem.retrain.enabled=false", "-Dtandem.rollout.auto=false"));
        command.addAll(cloudOptions);
        command.addAll(List.of("-jar", jar.toString()));
        cloud = processes.launch("cloud-" + ++starts, command, null);
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

    /** The cloud's process now running (a new one after each start). */
    public ChildProcess cloudProcess() {
        return cloud;
    }

    /** CPU time used so far by Kafka, the MQTT broker and the cloud, by that name. */
    public java.util.Map<String, Duration> cpuTimes() {
        return java.util.Map.of("kafka", kafka.cpuTime(), "mqtt", mqtt.cpuTime(), "cloud", cloud.cpuTime());
    }

    public void killKafka() {
        kafka.kill();
    }

    public void killMqtt() {
        mqtt.kill();
    }

    public void killCloud() {
        cloud.kill();
    }

    public void freezeCloud(boolean frozen) {
        cloud.freeze(frozen);
    }
}
