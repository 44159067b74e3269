package io.tandem.fleet.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.distill.data.FashionMnist;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.zoo.ModelZoo;
import io.tandem.edge.device.DeviceConfig;
import io.tandem.edge.gate.MiningStrategy;
import io.tandem.edge.stats.DeviceStatus;
import io.tandem.fleet.audit.KafkaAudit;
import io.tandem.fleet.audit.ResultsTap;
import io.tandem.fleet.cloud.CloudApi;
import io.tandem.fleet.eval.ModelJudge;
import io.tandem.fleet.eval.Oracle;
import io.tandem.fleet.eval.ShadowStudents;
import io.tandem.fleet.faults.BadInputInjector;
import io.tandem.fleet.process.ChildProcess;
import io.tandem.fleet.process.Commands;
import io.tandem.fleet.process.LocalCloud;
import io.tandem.fleet.process.Supervisor;
import io.tandem.fleet.process.TeacherCache;
import io.tandem.fleet.report.RoundRecord;
import io.tandem.fleet.report.ScenarioReport;
import io.tandem.fleet.scenario.Distribution;
import io.tandem.fleet.scenario.FramePools;
import io.tandem.fleet.scenario.GroundTruth;
import io.tandem.fleet.scenario.Scenario;
import io.tandem.fleet.scenario.ScenarioFile;
import io.tandem.fleet.scenario.ScenarioSource;
import io.tandem.fleet.sim.SimulatedAnnotator;
import io.tandem.fleet.sim.SimulatedFleet;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs a drift scenario through the whole loop on one machine: the local stack and the cloud as processes,
 * the fleet's devices (tens, in sites) on the edge library in this JVM, the simulated annotator, and the
 * scenario's rounds. Each round the devices answer their frames, the annotator spends its budget, and the
 * cloud's triggers decide whether the teacher and the students retrain; the round ends once every device
 * runs what the cloud rolled out. Writes {@code report.json} and {@code report.html}.
 */
@Command(name = "tandem-demo", mixinStandardHelpOptions = true,
        description = "Run a drift scenario through the whole Tandem loop and write report.json and report.html.")
public final class ScenarioDemo implements Callable<Integer> {

    @Option(names = "--scenario", description = "A built-in scenario (cargo-harbour, night-harbour, covered-quays, fog-and-mix) or a scenario"
            + " file (default: ${DEFAULT-VALUE})")
    String scenarioName = "cargo-harbour";

    @Option(names = "--project-dir", description = "Root of the built Tandem checkout (default: ${DEFAULT-VALUE})")
    Path projectDir = Path.of(".");

    @Option(names = "--work-dir", description = "Where logs and reports go (default: ${DEFAULT-VALUE})")
    Path workDir = Path.of("target/tandem-demo");

    @Option(names = "--data", description = "Fashion-MNIST folder (default: ${DEFAULT-VALUE})")
    Path data = FashionMnist.DEBIAN_DIR;

    @Option(names = "--cache-dir", description = "Where the base teacher is cached (default: ~/.cache/tandem)")
    Path cacheDir = TeacherCache.defaultFolder();

    @Option(names = "--teacher-limit", description = "Training images of the base teacher (default: ${DEFAULT-VALUE})")
    int teacherLimit = 58_000;

    @Option(names = "--teacher-epochs", description = "Epochs of the base teacher (default: ${DEFAULT-VALUE})")
    int teacherEpochs = 2;

    @Option(names = "--base-limit", description = "Base images of the first student and of the oracle"
            + " (default: ${DEFAULT-VALUE})")
    int baseLimit = 12_000;

    @Option(names = "--round-base-limit", description = "Base images of each retraining round (default: ${DEFAULT-VALUE})")
    int roundBaseLimit = 4000;

    @Option(names = "--student-epochs", description = "Student epochs (default: ${DEFAULT-VALUE})")
    int studentEpochs = 3;

    @Option(names = "--mining", description = "Upload strategy of the devices: ${COMPLETION-CANDIDATES}"
            + " (default: ${DEFAULT-VALUE})")
    MiningStrategy mining = MiningStrategy.LEAST_CONFIDENCE;

    @Option(names = "--drift-threshold", description = "Drift score that triggers a retrain (default: ${DEFAULT-VALUE})")
    double driftThreshold = 0.2;

    @Option(names = "--human-label-trigger", description = "New human labels that trigger a retrain"
            + " (default: ${DEFAULT-VALUE})")
    int humanLabelTrigger = 10;

    @Option(names = "--fleet-student", negatable = true, description = "Retrain a student for the whole fleet each"
            + " round beside the sites' own (default: ${DEFAULT-VALUE})")
    boolean fleetStudent = true;

    @Option(names = "--workers", description = "Retrain workers sharing the cloud's queue, each its own process"
            + " (default: ${DEFAULT-VALUE})")
    int workers = 1;

    @Option(names = "--inject-bad-input", description = "Send malformed and oversized messages on every wire")
    boolean injectBadInput;

    @Option(names = "--timeout-s", description = "Give up after this long (default: ${DEFAULT-VALUE})")
    int timeoutS = 1800;

    private final PrintStream out = System.out;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Runs the demo and exits with its status. */
    public static void main(String[] args) {
        Commands.exit("tandem-demo", new ScenarioDemo(), args);
    }

    @Override
    public Integer call() throws Exception {
        Scenario scenario = ScenarioFile.load(scenarioName);
        Path root = projectDir.toAbsolutePath().normalize();
        Path work = root.resolve(workDir).normalize();
        Commands.freshFolder(work);
        ObjectNode report;
        try (Supervisor processes = new Supervisor(root, work.resolve("logs"), out, Duration.ofSeconds(timeoutS))) {
            Thread cleanup = new Thread(processes::close, "demo-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            try {
                report = run(scenario, processes, work);
            } finally {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            }
        }
        json.writeValue(work.resolve("report.json").toFile(), report);
        Files.writeString(work.resolve("report.html"), ScenarioReport.html(report));
        ScenarioReport.printSummary(report, out);
        out.println("reports written to " + work.resolve("report.json") + " and " + work.resolve("report.html"));
        return 0;
    }

    private ObjectNode run(Scenario scenario, Supervisor processes, Path work) throws Exception {
        long started = System.nanoTime();
        out.printf("==> scenario %s: %d groups, %d devices, %d rounds of %d frames per device%n", scenario.name(),
                scenario.groups().size(), scenario.devices(), scenario.rounds(), scenario.framesPerDevicePerRound());
        Path teacherDir = TeacherCache.teacher(new TeacherCache.Recipe(ModelZoo.TEACHER_CNN, teacherLimit, teacherEpochs,
                42, data), cacheDir, processes, out);
        int perGroup = scenario.groups().stream().mapToInt(Scenario.Group::devices).min().orElse(1)
                * scenario.framesPerDevicePerRound();
        long driftFrames = Math.max(50, Math.min(400, perGroup / 2));
        step("starting the local stack (Kafka KRaft + MQTT) and the cloud teacher (it distils and rolls out v1)");
        LocalCloud local = LocalCloud.start(processes, work, teacherDir.resolve("teacher.onnx"), data, List.of(
                "-Dtandem.retrain.base-limit=" + baseLimit,
                "-Dtandem.retrain.adaptation-base-limit=" + roundBaseLimit, "-Dtandem.retrain.eval-limit=1000",
                "-Dtandem.retrain.epochs=" + studentEpochs, "-Dtandem.retrain.threshold=1000000",
                "-Dtandem.retrain.site-min-samples=20", "-Dtandem.retrain.fleet-student=" + fleetStudent,
                "-Dtandem.drift.baseline-frames=" + driftFrames, "-Dtandem.drift.recent-frames=" + driftFrames,
                "-Dtandem.triggers[0].metric=drift_score", "-Dtandem.triggers[0].operator=>",
                "-Dtandem.triggers[0].threshold=" + driftThreshold, "-Dtandem.triggers[0].check-period-seconds=2",
                "-Dtandem.triggers[1].metric=new_human_labels", "-Dtandem.triggers[1].operator=>=",
                "-Dtandem.triggers[1].threshold=" + humanLabelTrigger, "-Dtandem.triggers[1].check-period-seconds=2",
                "-Dtandem.rollout.fleet=" + scenario.name()), workers);
        ChildProcess cloud = local.cloud();
        String bootstrap = local.bootstrap();
        String mqttUrl = local.mqttUrl();
        CloudApi api = new CloudApi(local.apiBase());
        processes.waitFor("student v1 in the registry", () -> api.versions("student").contains("v1"), cloud);
        step("the live dashboard, while the demo runs: " + local.apiBase() + "/dashboard/");

        String signingKey = api.signingKey();
        ImageSet test = FashionMnist.test(data);
        FramePools pools = new FramePools(test, scenario.evalFramesPerGroup());
        GroundTruth truth = new GroundTruth();
        List<DeviceConfig> configs = new ArrayList<>();
        List<String> groupOf = new ArrayList<>();
        for (Scenario.Group g : scenario.groups()) {
            for (int i = 0; i < g.devices(); i++) {
                String id = g.name() + "-" + (i + 1);
                configs.add(DeviceConfig.defaults(id, work.resolve("edges").resolve(id)).withFleet(scenario.name(), mqttUrl)
                        .withGroup(g.name()).withPace(0, 0, Duration.ofMillis(500))
                        .withOta(DeviceConfig.OtaSettings.DEFAULT.withTrustedKeys(List.of(signingKey)))
                        .withGate(new DeviceConfig.GateSettings(mining, scenario.budgets().uploadFraction(),
                                scenario.budgets().auditFraction())));
                groupOf.add(g.name());
            }
        }
        List<ScenarioSource> sources = new ArrayList<>();
        step("starting " + configs.size() + " devices in " + scenario.groups().size() + " groups");
        try (SimulatedFleet fleet = new SimulatedFleet(configs, (i, c) -> {
                    ScenarioSource s = new ScenarioSource(c.deviceId(), groupOf.get(i), i, pools, truth, scenario.seed());
                    sources.add(s);
                    return s;
                });
             ResultsTap tap = new ResultsTap(bootstrap, truth)) {
            processes.waitFor("every device to run v1", () -> fleet.status().stream()
                    .allMatch(d -> d.activeVersion().equals("v1")), cloud);
            if (injectBadInput) {
                step("injecting malformed and oversized messages on every wire");
                BadInputInjector.inject(mqttUrl, bootstrap, scenario.name(), fleet.deviceIds().get(0));
            }
            SimulatedAnnotator annotator = new SimulatedAnnotator(api, truth);
            ModelJudge judge = new ModelJudge(api, work.resolve("judge"));
            Map<String, ImageSet> heldOut = new HashMap<>();
            List<RoundRecord> rounds = new ArrayList<>();
            Map<String, Long> uploadsBefore = new HashMap<>();
            for (int r = 0; r < scenario.rounds(); r++) {
                long roundStart = System.nanoTime();
                int round = r;
                Map<String, String> answeredBy = inForce(api);
                String teacherDuring = api.retrain().path("teacher").asText();
                for (int i = 0; i < sources.size(); i++) {
                    sources.get(i).open(r, scenario.distributionOf(groupOf.get(i), r), scenario.framesPerDevicePerRound());
                }
                step(String.format("round %d/%d: %s", r + 1, scenario.rounds(), describe(scenario, r)));
                long expected = (long) sources.size() * scenario.framesPerDevicePerRound();
                processes.waitFor("the round's " + expected + " answers in Kafka", () -> tap.answered(round) >= expected,
                        cloud);
                sleep(1500);
                // The drift score as the round's frames left it, before any retraining resets the baseline.
                JsonNode drift = api.drift();
                int labels = annotator.work(scenario.budgets().humanLabelsPerRound());
                long acked = fleet.status().stream().mapToLong(DeviceStatus::hardExamplesAcked).sum();
                processes.waitFor("the labeler to store the round's uploads",
                        () -> api.stats().path("samples_stored").asLong() >= acked, cloud);
                settle(api, fleet, processes, cloud);
                Map<String, String> after = inForce(api);
                String teacherAfter = api.retrain().path("teacher").asText();
                List<RoundRecord.Group> groups = new ArrayList<>();
                for (Scenario.Group g : scenario.groups()) {
                    Distribution d = scenario.distributionOf(g.name(), r);
                    ImageSet frames = heldOut.computeIfAbsent(g.name() + "/" + d.name(),
                            k -> pools.heldOut(d, scenario.seed() + k.hashCode()));
                    String before = answeredBy.getOrDefault(g.name(), answeredBy.get(""));
                    String now = after.getOrDefault(g.name(), after.get(""));
                    Map<String, Double> baselines = new LinkedHashMap<>();
                    baselines.put("no_loop", judge.accuracy("student", "v1", frames));
                    baselines.put("cloud_only", judge.accuracy("teacher", teacherDuring, frames));
                    baselines.put("global_only", judge.accuracy("student", after.get(""), frames));
                    long uploads = fleet.status().stream().filter(s -> s.deviceId().startsWith(g.name() + "-"))
                            .mapToLong(DeviceStatus::hardExamplesSent).sum();
                    long delta = uploads - uploadsBefore.getOrDefault(g.name(), 0L);
                    uploadsBefore.put(g.name(), uploads);
                    groups.add(new RoundRecord.Group(g.name(), d.name(), r > 0 && !scenario.distributionOf(g.name(), r - 1)
                            .name().equals(d.name()), before, tap.accuracy(r, g.name()), judge.accuracy(modelOf(before),
                            before, frames), (long) g.devices() * scenario.framesPerDevicePerRound(), delta,
                            driftScore(drift, g.name()), now, judge.accuracy(modelOf(now), now, frames), baselines));
                }
                rounds.add(new RoundRecord(r, groups, teacherAfter, labels, (System.nanoTime() - roundStart) / 1e9));
                printRound(rounds.get(rounds.size() - 1));
            }
            step("stopping the devices and counting");
            fleet.stop(Duration.ofSeconds(30));
            List<DeviceStatus> status = fleet.status();
            long sent = status.stream().mapToLong(DeviceStatus::hardExamplesAcked).sum();
            processes.waitFor("the labeler to store every sample the devices sent",
                    () -> api.stats().path("samples_stored").asLong() >= sent, cloud);
            JsonNode stats = api.stats();
            long inKafka = KafkaAudit.distinctSamples(bootstrap, Duration.ofSeconds(60));
            ImageSet train = FashionMnist.train(data);
            ImageSet base = FashionMnist.trainingPart(train, baseLimit);
            step("measuring the oracle (the student trained on every drifted training image with its true label)");
            Map<String, Double> oracle = new LinkedHashMap<>();
            for (Scenario.DriftEvent e : scenario.timeline()) {
                Distribution d = scenario.distributions().get(e.distribution());
                oracle.computeIfAbsent(e.group(), g -> Oracle.accuracy(base, d, heldOut.computeIfAbsent(g + "/" + d.name(),
                        k -> pools.heldOut(d, scenario.seed() + k.hashCode())), studentEpochs, scenario.seed(), out));
            }
            step("shadow students: the loop's recipe on mined, random and all frames of each drifted group");
            KafkaAudit.Uploads uploads = KafkaAudit.uploads(bootstrap, Duration.ofSeconds(60));
            Map<String, ShadowStudents.Result> shadows = new LinkedHashMap<>();
            for (Scenario.Group g : scenario.groups()) {
                int rd = scenario.driftRound(g.name());
                if (rd <= 0) {
                    continue;
                }
                int last = Math.min(scenario.rounds() - 1, rd + 2);
                Distribution d = scenario.distributionOf(g.name(), last);
                shadows.put(g.name(), ShadowStudents.run(new ShadowStudents.Inputs(judge,
                        rounds.get(last).teacherVersion(), truth, g.name(), last, uploads.frames(), uploads.audited(), annotator.labelledFrames(),
                        base, FashionMnist.heldOutPart(train), test.head(1000), heldOut.get(g.name() + "/" + d.name()),
                        new io.tandem.distill.train.TrainConfig(studentEpochs, 64, 1e-3f, scenario.seed(),
                                io.tandem.distill.train.TrainConfig.DEFAULT_TEMPERATURE,
                                io.tandem.distill.train.TrainConfig.DEFAULT_ALPHA),
                        scenario.seed(), work.resolve("shadow")), out));
            }
            return ScenarioReport.build(new ScenarioReport.Inputs(scenario, rounds, status, api, judge, oracle, shadows,
                    heldOut,
                    sent, inKafka, stats.path("samples_stored").asLong(), annotator.labelled(), tap.unknownFrames(),
                    stats, (System.nanoTime() - started) / 1e9));
        }
    }

    /** Waits until no retrain runs and every device runs what the registry says its group should. */
    private void settle(CloudApi api, SimulatedFleet fleet, Supervisor processes, ChildProcess cloud) {
        sleep(3000);
        int idle = 0;
        while (idle < 2) {
            boolean running = api.retrain().path("running").asBoolean();
            idle = running ? 0 : idle + 1;
            if (running) {
                processes.waitFor("the retrain to finish", () -> !api.retrain().path("running").asBoolean(), cloud);
            }
            sleep(2500);
        }
        Map<String, String> expected = inForce(api);
        processes.waitFor("every device to run its group's model " + expected, () -> fleet.status().stream()
                .allMatch(d -> d.activeVersion().equals(expected.getOrDefault(groupOf(d), expected.get("")))), cloud);
    }

    private static String groupOf(DeviceStatus d) {
        return d.deviceId().substring(0, d.deviceId().lastIndexOf('-'));
    }

    /** The version each group runs: its own student's newest, else the fleet's newest ("" key). */
    private static Map<String, String> inForce(CloudApi api) {
        Map<String, String> out = new HashMap<>();
        JsonNode models = api.models();
        models.fieldNames().forEachRemaining(id -> {
            JsonNode versions = models.path(id);
            if (versions.size() == 0 || !id.startsWith("student")) {
                return;
            }
            String latest = versions.get(versions.size() - 1).asText();
            out.put(id.equals("student") ? "" : id.substring("student.".length()), latest);
        });
        return out;
    }

    private static String modelOf(String version) {
        int dash = version.lastIndexOf("-v");
        return dash < 0 ? "student" : "student." + version.substring(0, dash);
    }

    private static double driftScore(JsonNode drift, String group) {
        for (JsonNode d : drift) {
            if (group.equals(d.path("group").asText())) {
                return d.path("score").asDouble();
            }
        }
        return Double.NaN;
    }

    private static String describe(Scenario s, int round) {
        List<String> parts = new ArrayList<>();
        for (Scenario.Group g : s.groups()) {
            parts.add(g.name() + " sees " + s.distributionOf(g.name(), round).name());
        }
        return String.join(", ", parts);
    }

    private void printRound(RoundRecord r) {
        for (RoundRecord.Group g : r.groups()) {
            out.printf("    %-10s %-8s answered by %-12s stream %.3f held-out %.3f -> %-12s %.3f  uploads %d  drift %.2f"
                            + "  (no loop %.3f, cloud only %.3f)%n", g.group(), g.distribution(), g.answeredBy(),
                    g.streamAccuracy(), g.heldOutAccuracy(), g.inForceAfter(), g.heldOutAccuracyAfter(), g.uploads(),
                    g.driftScore(), g.baselines().get("no_loop"), g.baselines().get("cloud_only"));
        }
        out.printf("    teacher %s, %d human labels, %.0f s%n", r.teacherVersion(), r.humanLabels(), r.seconds());
    }

    private void step(String message) {
        out.println("==> " + message);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
