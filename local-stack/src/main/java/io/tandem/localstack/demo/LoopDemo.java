package io.tandem.localstack.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.localstack.LocalStack;
import io.tandem.proto.Codecs;
import io.tandem.proto.PayloadException;
import io.tandem.proto.RecordFiles;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.HardExample;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs Tandem's whole loop on one machine, every component in its own process: the local stack, the
 * teacher's training, the cloud service and the edge devices. Trains the teacher, lets the cloud distil
 * and roll out v1, lets the edges run and escalate, waits for the cloud to distil and roll out v2 from
 * their hard examples, then writes {@code report.json} with every count taken where it happens.
 */
@Command(name = "tandem-demo", mixinStandardHelpOptions = true,
        description = "Run the whole Tandem loop on the embedded default and write report.json.")
public final class LoopDemo implements Callable<Integer> {

    @Option(names = "--project-dir", description = "Root of the built Tandem checkout (default: ${DEFAULT-VALUE})")
    Path projectDir = Path.of(".");

    @Option(names = "--work-dir", description = "Where logs, data and report.json go (default: ${DEFAULT-VALUE})")
    Path workDir = Path.of("target/tandem-demo");

    @Option(names = "--data", description = "Fashion-MNIST folder (default: ${DEFAULT-VALUE})")
    Path data = Path.of("/usr/share/datasets/fashion-mnist");

    @Option(names = "--devices", description = "Edge devices (default: ${DEFAULT-VALUE})")
    int devices = 2;

    @Option(names = "--fleet", description = "Fleet id (default: ${DEFAULT-VALUE})")
    String fleet = "demo";

    @Option(names = "--teacher-limit", description = "Training images for the teacher (default: ${DEFAULT-VALUE})")
    int teacherLimit = 12_000;

    @Option(names = "--teacher-epochs", description = "Teacher epochs (default: ${DEFAULT-VALUE})")
    int teacherEpochs = 1;

    @Option(names = "--base-limit", description = "Base training images for each student (default: ${DEFAULT-VALUE})")
    int baseLimit = 12_000;

    @Option(names = "--student-epochs", description = "Student epochs (default: ${DEFAULT-VALUE})")
    int studentEpochs = 3;

    @Option(names = "--eval-limit", description = "Held-out test images for manifests (default: ${DEFAULT-VALUE})")
    int evalLimit = 2000;

    @Option(names = "--frames-per-version", description = "Frames each device answers per model version"
            + " (default: ${DEFAULT-VALUE})")
    int framesPerVersion = 1500;

    @Option(names = "--retrain-threshold", description = "Labelled samples that trigger v2 (default: ${DEFAULT-VALUE})")
    int retrainThreshold = 400;

    @Option(names = "--confidence-threshold", description = "Edge gate threshold (default: ${DEFAULT-VALUE})")
    float confidenceThreshold = 0.7f;

    @Option(names = "--inject-bad-input", description = "Send malformed and oversized messages on every wire and "
            + "check they are counted")
    boolean injectBadInput;

    @Option(names = "--timeout-s", description = "Give up after this long (default: ${DEFAULT-VALUE})")
    int timeoutS = 570;

    private final PrintStream out = System.out;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<ChildProcess> children = new ArrayList<>();
    private long deadlineNanos;

    /** Runs the demo and exits with its status. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new LoopDemo()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        deadlineNanos = System.nanoTime() + Duration.ofSeconds(timeoutS).toNanos();
        Thread cleanup = new Thread(this::stopAll, "demo-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            ObjectNode report = runLoop();
            Path file = workDir.resolve("report.json");
            json.writeValue(file.toFile(), report);
            ReportChart.write(report, workDir.resolve("report.svg"));
            out.println("report written to " + file.toAbsolutePath() + " (chart: report.svg)");
            return 0;
        } finally {
            stopAll();
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
    }

    /** Runs every step and returns the report. */
    ObjectNode runLoop() throws Exception {
        Path root = projectDir.toAbsolutePath().normalize();
        Path work = root.resolve(workDir).normalize();
        workDir = work;
        deleteRecursively(work);
        Files.createDirectories(work);
        long started = System.nanoTime();

        int kafkaPort = freePort();
        int controllerPort = freePort();
        int mqttPort = freePort();
        int httpPort = freePort();
        String bootstrap = "127.0.0.1:" + kafkaPort;
        String mqttUrl = "tcp://127.0.0.1:" + mqttPort;
        String api = "http://127.0.0.1:" + httpPort;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Map<String, String> env = Map.of("OPT_OUT_TRACKING", "true", "DJL_OFFLINE", "true");

        step("1/7 starting local stack (Kafka KRaft + MQTT)");
        String stackCp = Files.exists(root.resolve("local-stack/target/runtime-classpath.txt"))
                ? classpath(root.resolve("local-stack")) : System.getProperty("java.class.path");
        ChildProcess stack = launch("local-stack", List.of(java, "-Xmx768m", "-cp", stackCp,
                LocalStack.class.getName(), "--kafka-port", "" + kafkaPort, "--kafka-controller-port", "" + controllerPort,
                "--mqtt-port", "" + mqttPort, "--data-dir", work.resolve("local-stack").toString()), root, env, true,
                line -> line.startsWith(LocalStack.READY));
        stack.awaitLine(remaining(), "READY");

        step("2/7 training the teacher (teacher-cnn, " + teacherLimit + " images, " + teacherEpochs + " epoch)");
        Path teacherDir = work.resolve("teacher");
        String distillCp = classpath(root.resolve("distill"));
        ChildProcess teacher = launch("teacher", List.of(java, "-Xmx2g", "-Dai.djl.offline=true",
                "-DOPT_OUT_TRACKING=true", "-cp", distillCp, "io.tandem.distill.cli.DistillCli", "train-teacher",
                "--data", data.toString(), "--limit", "" + teacherLimit, "--epochs", "" + teacherEpochs,
                "--eval-limit", "" + evalLimit, "--out", teacherDir.toString()), root, env, true, null);
        if (teacher.waitFor(remaining()) != 0) {
            throw new IllegalStateException("teacher training failed; see " + work.resolve("logs/teacher.log"));
        }

        step("3/7 starting the cloud teacher (it distils and rolls out v1)");
        Path quarkusJar = root.resolve("cloud-teacher/target/quarkus-app/quarkus-run.jar");
        requireFile(quarkusJar);
        ChildProcess cloud = launch("cloud", List.of(java, "-Xmx3g", "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
                "-Dquarkus.http.port=" + httpPort, "-Dtandem.public-url=" + api,
                "-Dtandem.mqtt.url=" + mqttUrl, "-Dtandem.kafka.bootstrap-servers=" + bootstrap,
                "-Dtandem.data-dir=" + work.resolve("cloud"), "-Dtandem.teacher.onnx=" + teacherDir.resolve("teacher.onnx"),
                "-Dtandem.retrain.base-data=" + data, "-Dtandem.retrain.base-limit=" + baseLimit,
                "-Dtandem.retrain.eval-limit=" + evalLimit, "-Dtandem.retrain.epochs=" + studentEpochs,
                "-Dtandem.retrain.threshold=" + retrainThreshold, "-Dtandem.retrain.max-rounds=1",
                "-Dtandem.rollout.fleet=" + fleet, "-Dtandem.rollout.confidence-threshold=" + confidenceThreshold,
                "-jar", quarkusJar.toString()), root, env, true, null);
        waitFor("student v1 in the registry", () -> versions(api).contains("v1"), cloud);

        step("4/7 starting " + devices + " edge devices");
        String edgeCp = classpath(root.resolve("edge-student"));
        List<String> deviceIds = new ArrayList<>();
        for (int i = 0; i < devices; i++) {
            String id = "edge-" + (i + 1);
            deviceIds.add(id);
            launch(id, List.of(java, "-Xmx256m", "-cp", edgeCp, "io.tandem.edge.EdgeAgent", "--device", id,
                    "--fleet", fleet, "--mqtt", mqttUrl, "--work-dir", work.resolve("edges").resolve(id).toString(),
                    "--feed-images", data.resolve("t10k-images-idx3-ubyte.gz").toString(),
                    "--feed-labels", data.resolve("t10k-labels-idx1-ubyte.gz").toString(),
                    "--feed-offset", "" + (evalLimit + i * ((10_000 - evalLimit) / devices)),
                    "--frames-per-version", "" + framesPerVersion, "--telemetry-ms", "1000"), root, env, true, null);
        }
        waitFor("every device to acknowledge v1", () -> ackedBy(api, "v1").containsAll(deviceIds), cloud);
        if (injectBadInput) {
            injectBadInput(mqttUrl, bootstrap, deviceIds.get(0));
        }

        step("5/7 edges run v1 and escalate hard examples; waiting for the cloud to distil v2");
        waitFor("student v2 in the registry", () -> versions(api).contains("v2"), cloud);
        step("6/7 rolling out v2");
        waitFor("every device to acknowledge v2", () -> ackedBy(api, "v2").containsAll(deviceIds), cloud);
        waitFor("every device to answer " + framesPerVersion + " frames with v2",
                () -> deviceIds.stream().allMatch(id -> framesOn(work, id, "v2") >= framesPerVersion), cloud);

        step("7/7 stopping edges and counting");
        for (ChildProcess c : children) {
            if (c.name().startsWith("edge-")) {
                c.stop(Duration.ofSeconds(30));
            }
        }
        long sent = 0;
        for (String id : deviceIds) {
            sent += status(work, id).path("hard_examples_acked").asLong();
        }
        long finalSent = sent;
        waitFor("the labeler to store every sample the edges sent",
                () -> stats(api).path("samples_stored").asLong() >= finalSent, cloud);
        JsonNode stats = stats(api);
        JsonNode fleetView = get(api + "/api/fleet");
        ArrayNode manifests = json.createArrayNode();
        for (String v : versions(api)) {
            manifests.add(json.readTree(getString(api + "/api/models/student/" + v + "/manifest")));
        }
        long inKafka = countSamplesInKafka(bootstrap);
        cloud.stop(Duration.ofSeconds(30));
        long labelled = countLabelledInStore(work.resolve("cloud/samples/labelled.rec"));
        stack.stop(Duration.ofSeconds(30));

        ObjectNode report = buildReport(work, deviceIds, manifests, fleetView, stats, sent, inKafka, labelled,
                (System.nanoTime() - started) / 1e9);
        printSummary(report);
        return report;
    }

    private ObjectNode buildReport(Path work, List<String> deviceIds, ArrayNode manifests, JsonNode fleetView,
            JsonNode stats, long sent, long inKafka, long labelled, double seconds) {
        ObjectNode report = json.createObjectNode();
        ArrayNode devs = report.putArray("devices");
        deviceIds.forEach(devs::add);
        ArrayNode versions = report.putArray("versions");
        for (JsonNode m : manifests) {
            String v = m.path("version").asText();
            ObjectNode row = versions.addObject();
            row.put("version", v);
            ArrayNode acked = row.putArray("acked_by");
            for (JsonNode d : fleetView) {
                if ("ACTIVE".equals(d.path("deploy_status").path(v).asText())) {
                    acked.add(d.path("device").asText());
                }
            }
            long frames = 0;
            long correct = 0;
            ObjectNode perDevice = row.putObject("edge_accuracy_by_device");
            for (String id : deviceIds) {
                for (JsonNode vs : status(work, id).path("versions")) {
                    if (v.equals(vs.path("version").asText())) {
                        frames += vs.path("labelled").asLong();
                        correct += vs.path("correct").asLong();
                        perDevice.put(id, vs.path("accuracy").asDouble());
                    }
                }
            }
            row.put("edge_accuracy", frames == 0 ? null : correct / (double) frames);
            row.put("edge_frames", frames);
            row.put("trained_on_samples", m.path("edgeSamples").asLong(0));
            row.put("base_training_samples", m.path("baseTrainingSamples").asLong(0));
            row.put("parent_teacher_version", m.path("parentTeacherVersion").asText());
            row.put("parent_version", m.path("parentVersion").asText(""));
            row.put("eval_accuracy", m.path("metrics").path("eval_accuracy").asDouble());
            row.put("teacher_eval_accuracy", m.path("metrics").path("teacher_eval_accuracy").asDouble());
            row.put("sha256", m.path("sha256").asText());
        }
        report.put("samples_sent", sent);
        report.put("samples_in_kafka", inKafka);
        report.put("samples_labelled", labelled);
        report.set("cloud_rejections", stats.path("rejected"));
        ObjectNode edgeRejections = report.putObject("edge_rejections");
        for (String id : deviceIds) {
            edgeRejections.put(id, status(work, id).path("rejected_messages").asLong());
        }
        report.put("seconds", Math.round(seconds));
        return report;
    }

    private void printSummary(ObjectNode report) {
        out.println();
        out.println("version  acked by        edge accuracy  trained on edge samples  parent teacher");
        for (JsonNode v : report.path("versions")) {
            out.printf("%-8s %-15s %-14s %-24d %s%n", v.path("version").asText(), v.path("acked_by").size() + " devices",
                    v.path("edge_accuracy").isNull() ? "n/a" : String.format("%.4f", v.path("edge_accuracy").asDouble()),
                    v.path("trained_on_samples").asLong(), v.path("parent_teacher_version").asText());
        }
        out.printf("samples sent %d, in Kafka %d, labelled %d; %d s%n", report.path("samples_sent").asLong(),
                report.path("samples_in_kafka").asLong(), report.path("samples_labelled").asLong(),
                report.path("seconds").asLong());
    }

    private void injectBadInput(String mqttUrl, String bootstrap, String deviceId) throws MqttException {
        step("injecting malformed and oversized messages on every wire");
        try (MqttClient client = new MqttClient(mqttUrl, "demo-bad-input", new MemoryPersistence())) {
            MqttConnectOptions options = new MqttConnectOptions();
            options.setCleanSession(true);
            client.connect(options);
            byte[] garbage = {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef, 0x7f};
            for (Topics.DeviceStream s : Topics.DeviceStream.values()) {
                client.publish(Topics.mqtt(fleet, deviceId, s), garbage, 1, false);
            }
            client.publish(Topics.mqtt(fleet, deviceId, Topics.DeviceStream.SAMPLES),
                    new byte[Codecs.MAX_HARD_EXAMPLE_BYTES + 1], 1, false);
            client.publish(Topics.deviceDeploy(fleet, deviceId), garbage, 1, false);
            client.disconnect();
        }
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new ByteArraySerializer())) {
            for (String topic : LocalStack.tandemTopics()) {
                producer.send(new ProducerRecord<>(topic, deviceId, new byte[] {1, 2, 3, 4, 5}));
            }
            producer.flush();
        }
    }

    private long countSamplesInKafka(String bootstrap) {
        Set<String> keys = new HashSet<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.KAFKA_SAMPLES).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.currentTimeMillis() + 60_000;
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))
                    && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    try {
                        HardExample e = Codecs.HARD_EXAMPLE.decode(r.value());
                        keys.add(e.getDeviceId() + "#" + e.getSequence());
                    } catch (PayloadException e) {
                        // Malformed records are the bad-input check's; they are not samples.
                    }
                }
            }
        }
        return keys.size();
    }

    private static long countLabelledInStore(Path store) {
        Set<String> keys = new HashSet<>();
        RecordFiles.read(store, Codecs.LABELLED_SAMPLE,
                s -> keys.add(s.getExample().getDeviceId() + "#" + s.getExample().getSequence()), e -> { });
        return keys.size();
    }

    private ChildProcess launch(String name, List<String> command, Path dir, Map<String, String> env, boolean echo,
            java.util.function.Predicate<String> readyLine) {
        ChildProcess child = ChildProcess.start(name, command, dir, workDir.resolve("logs").resolve(name + ".log"), out,
                echo, env);
        if (readyLine != null) {
            child.expectLine(readyLine);
        }
        children.add(child);
        return child;
    }

    private void stopAll() {
        for (int i = children.size() - 1; i >= 0; i--) {
            children.get(i).stop(Duration.ofSeconds(20));
        }
    }

    private void waitFor(String what, BooleanSupplier condition, ChildProcess watched) {
        out.println("... waiting for " + what);
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                // Not reachable yet: keep waiting until the deadline.
            }
            if (!watched.alive()) {
                throw new IllegalStateException(watched.name() + " exited while waiting for " + what + "; see "
                        + workDir.resolve("logs").resolve(watched.name() + ".log"));
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new IllegalStateException("timed out waiting for " + what + "; logs in " + workDir.resolve("logs"));
            }
            sleep(500);
        }
    }

    private Duration remaining() {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    private List<String> versions(String api) {
        List<String> v = new ArrayList<>();
        get(api + "/api/models").path("student").forEach(n -> v.add(n.asText()));
        return v;
    }

    private Set<String> ackedBy(String api, String version) {
        Set<String> ids = new HashSet<>();
        for (JsonNode d : get(api + "/api/fleet")) {
            if ("ACTIVE".equals(d.path("deploy_status").path(version).asText())) {
                ids.add(d.path("device").asText());
            }
        }
        return ids;
    }

    private JsonNode stats(String api) {
        return get(api + "/api/stats");
    }

    private JsonNode status(Path work, String deviceId) {
        Path file = work.resolve("edges").resolve(deviceId).resolve("status.json");
        try {
            return Files.exists(file) ? json.readTree(file.toFile()) : json.createObjectNode();
        } catch (IOException e) {
            return json.createObjectNode();
        }
    }

    private long framesOn(Path work, String deviceId, String version) {
        for (JsonNode v : status(work, deviceId).path("versions")) {
            if (version.equals(v.path("version").asText())) {
                return v.path("frames").asLong();
            }
        }
        return 0;
    }

    private JsonNode get(String url) {
        try {
            return json.readTree(getString(url));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String getString(String url) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET " + url + " answered " + r.statusCode());
            }
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + url + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String classpath(Path module) {
        Path cp = module.resolve("target/runtime-classpath.txt");
        Path classes = module.resolve("target/classes");
        requireFile(cp);
        try {
            return classes + java.io.File.pathSeparator + Files.readString(cp).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void requireFile(Path file) {
        if (!Files.exists(file)) {
            throw new IllegalStateException(file + " is missing: build first with ./mvnw -DskipTests package");
        }
    }

    private void step(String message) {
        out.println("==> " + message);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
