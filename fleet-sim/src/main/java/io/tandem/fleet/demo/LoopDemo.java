package io.tandem.fleet.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.distill.data.FashionMnist;
import io.tandem.edge.device.DeviceConfig;
import io.tandem.edge.feed.LoopingIdxSource;
import io.tandem.edge.stats.DeviceStatus;
import io.tandem.fleet.audit.KafkaAudit;
import io.tandem.fleet.cloud.CloudApi;
import io.tandem.fleet.faults.BadInputInjector;
import io.tandem.fleet.process.ChildProcess;
import io.tandem.fleet.process.Supervisor;
import io.tandem.fleet.report.LoopReport;
import io.tandem.fleet.report.ReportChart;
import io.tandem.fleet.sim.SimulatedFleet;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs Tandem's whole loop on one machine: the local stack, the teacher's training and the cloud service
 * each in its own process, and the devices on the edge library in this JVM. Trains the teacher, lets the
 * cloud distil and roll out v1, lets the devices run and escalate, waits for the cloud to distil and roll
 * out v2 from their hard examples, then writes {@code report.json}. It reads the other components only
 * through their public surfaces: the cloud's REST API, the devices' status and the Kafka topics.
 */
@Command(name = "tandem-demo", mixinStandardHelpOptions = true,
        description = "Run the whole Tandem loop on the embedded default and write report.json.")
public final class LoopDemo implements Callable<Integer> {

    private static final String STUDENT = "student";

    @Option(names = "--project-dir", description = "Root of the built Tandem checkout (default: ${DEFAULT-VALUE})")
    Path projectDir = Path.of(".");

    @Option(names = "--work-dir", description = "Where logs, data and report.json go (default: ${DEFAULT-VALUE})")
    Path workDir = Path.of("target/tandem-demo");

    @Option(names = "--data", description = "Fashion-MNIST folder (default: ${DEFAULT-VALUE})")
    Path data = FashionMnist.DEBIAN_DIR;

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

    /** Runs the demo and exits with its status. */
    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        System.exit(new CommandLine(new LoopDemo()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path root = projectDir.toAbsolutePath().normalize();
        Path work = root.resolve(workDir).normalize();
        deleteRecursively(work);
        Files.createDirectories(work);
        ObjectNode report;
        try (Supervisor processes = new Supervisor(root, work.resolve("logs"), out, Duration.ofSeconds(timeoutS))) {
            Thread cleanup = new Thread(processes::close, "demo-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            try {
                report = runLoop(processes, work);
            } finally {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            }
        }
        Path file = work.resolve("report.json");
        json.writeValue(file.toFile(), report);
        ReportChart.write(report, work.resolve("report.svg"));
        LoopReport.printSummary(report, out);
        out.println("report written to " + file + " (chart: report.svg)");
        return 0;
    }

    private ObjectNode runLoop(Supervisor processes, Path work) throws Exception {
        long started = System.nanoTime();
        int kafkaPort = Supervisor.freePort();
        int mqttPort = Supervisor.freePort();
        int httpPort = Supervisor.freePort();
        String bootstrap = "127.0.0.1:" + kafkaPort;
        String mqttUrl = "tcp://127.0.0.1:" + mqttPort;
        String apiBase = "http://127.0.0.1:" + httpPort;
        CloudApi api = new CloudApi(apiBase);
        String java = Supervisor.java();

        step("1/7 starting local stack (Kafka KRaft + MQTT)");
        ChildProcess stack = processes.launch("local-stack", List.of(java, "-Xmx768m", "-cp",
                processes.classpath("local-stack"), "io.tandem.localstack.LocalStack", "--kafka-port", "" + kafkaPort,
                "--kafka-controller-port", "" + Supervisor.freePort(), "--mqtt-port", "" + mqttPort,
                "--data-dir", work.resolve("local-stack").toString()), line -> line.startsWith("tandem local-stack READY"));
        stack.awaitLine(processes.remaining(), "READY");

        step("2/7 training the teacher (teacher-cnn, " + teacherLimit + " images, " + teacherEpochs + " epoch)");
        Path teacherDir = work.resolve("teacher");
        ChildProcess teacher = processes.launch("teacher", List.of(java, "-Xmx2g", "-Dai.djl.offline=true",
                "-DOPT_OUT_TRACKING=true", "-cp", processes.classpath("distill"), "io.tandem.distill.cli.DistillCli",
                "train-teacher", "--data", data.toString(), "--limit", "" + teacherLimit, "--epochs", "" + teacherEpochs,
                "--eval-limit", "" + evalLimit, "--out", teacherDir.toString()), null);
        if (teacher.waitFor(processes.remaining()) != 0) {
            throw new IllegalStateException("teacher training failed; see " + work.resolve("logs/teacher.log"));
        }

        step("3/7 starting the cloud teacher (it distils and rolls out v1)");
        Path quarkusJar = processes.requireFile(Path.of("cloud-teacher/target/quarkus-app/quarkus-run.jar"));
        ChildProcess cloud = processes.launch("cloud", List.of(java, "-Xmx3g", "-Dai.djl.offline=true",
                "-DOPT_OUT_TRACKING=true", "-Dquarkus.http.port=" + httpPort, "-Dtandem.public-url=" + apiBase,
                "-Dtandem.mqtt.url=" + mqttUrl, "-Dtandem.kafka.bootstrap-servers=" + bootstrap,
                "-Dtandem.data-dir=" + work.resolve("cloud"), "-Dtandem.teacher.onnx=" + teacherDir.resolve("teacher.onnx"),
                "-Dtandem.retrain.base-data=" + data, "-Dtandem.retrain.base-limit=" + baseLimit,
                "-Dtandem.retrain.eval-limit=" + evalLimit, "-Dtandem.retrain.epochs=" + studentEpochs,
                "-Dtandem.retrain.threshold=" + retrainThreshold, "-Dtandem.retrain.max-rounds=1",
                "-Dtandem.rollout.fleet=" + fleet, "-Dtandem.rollout.confidence-threshold=" + confidenceThreshold,
                "-jar", quarkusJar.toString()), null);
        processes.waitFor("student v1 in the registry", () -> api.versions(STUDENT).contains("v1"), cloud);

        step("4/7 starting " + devices + " edge devices (the edge library, in this JVM)");
        List<DeviceConfig> configs = new ArrayList<>();
        for (int i = 0; i < devices; i++) {
            configs.add(DeviceConfig.defaults("edge-" + (i + 1), work.resolve("edges").resolve("edge-" + (i + 1)))
                    .withFleet(fleet, mqttUrl).withPace(framesPerVersion, 0, Duration.ofSeconds(1)));
        }
        int slice = (10_000 - evalLimit) / devices;
        Path images = data.resolve("t10k-images-idx3-ubyte.gz");
        Path labels = data.resolve("t10k-labels-idx1-ubyte.gz");
        try (SimulatedFleet edges = new SimulatedFleet(configs, (i, c) -> new LoopingIdxSource(images, labels,
                evalLimit + (long) i * slice))) {
            List<String> ids = edges.deviceIds();
            processes.waitFor("every device to acknowledge v1", () -> api.ackedBy("v1").containsAll(ids), cloud);
            if (injectBadInput) {
                step("injecting malformed and oversized messages on every wire");
                BadInputInjector.inject(mqttUrl, bootstrap, fleet, ids.get(0));
            }

            step("5/7 edges run v1 and escalate hard examples; waiting for the cloud to distil v2");
            processes.waitFor("student v2 in the registry", () -> api.versions(STUDENT).contains("v2"), cloud);
            step("6/7 rolling out v2");
            processes.waitFor("every device to acknowledge v2", () -> api.ackedBy("v2").containsAll(ids), cloud);
            processes.waitFor("every device to answer " + framesPerVersion + " frames with v2",
                    () -> edges.status().stream().allMatch(d -> d.version("v2")
                            .map(DeviceStatus.Version::frames).orElse(0L) >= framesPerVersion), cloud);

            step("7/7 stopping edges and counting");
            edges.stop(Duration.ofSeconds(30));
            List<DeviceStatus> status = edges.status();
            long sent = status.stream().mapToLong(DeviceStatus::hardExamplesAcked).sum();
            processes.waitFor("the labeler to store every sample the edges sent",
                    () -> api.stats().path("samples_stored").asLong() >= sent, cloud);
            JsonNode stats = api.stats();
            List<JsonNode> manifests = new ArrayList<>();
            for (String v : api.versions(STUDENT)) {
                manifests.add(api.manifest(STUDENT, v));
            }
            long inKafka = KafkaAudit.distinctSamples(bootstrap, Duration.ofSeconds(60));
            return LoopReport.build(new LoopReport.Inputs(status, manifests, api.fleet(), stats, sent, inKafka,
                    stats.path("samples_stored").asLong(), (System.nanoTime() - started) / 1e9));
        }
    }

    private void step(String message) {
        out.println("==> " + message);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
