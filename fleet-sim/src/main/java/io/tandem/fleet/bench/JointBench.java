package io.tandem.fleet.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.distill.data.FashionMnist;
import io.tandem.distill.data.ImageSet;
import io.tandem.edge.device.DeviceConfig;
import io.tandem.edge.device.EdgeDevice;
import io.tandem.edge.feed.LoopingIdxSource;
import io.tandem.edge.gate.MiningStrategy;
import io.tandem.edge.joint.TeacherClient;
import io.tandem.edge.stats.DeviceStatus;
import io.tandem.fleet.cloud.CloudApi;
import io.tandem.fleet.process.LocalCloud;
import io.tandem.fleet.process.Supervisor;
import io.tandem.fleet.process.TeacherCache;
import io.tandem.proto.v1.DType;
import io.tandem.proto.v1.TeacherRequest;
import io.tandem.proto.v1.Tensor;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Joint inference measured (issue 9): one device answers the Fashion-MNIST test set with the shipped
 * student, escalating its least confident {@code --budget} of frames to the cloud's teacher; on the same
 * frames, the teacher answers every frame (cloud only). Then the teacher endpoint alone under open-loop
 * load at each {@code --rates} requests a second. Every figure comes from the same run; repeated runs give
 * medians.
 */
@Command(name = "joint-bench", mixinStandardHelpOptions = true, description = "Measure joint inference.")
public final class JointBench implements Runnable {

    @Option(names = "--data", description = "Fashion-MNIST folder (default: ${DEFAULT-VALUE})")
    Path data = FashionMnist.DEBIAN_DIR;

    @Option(names = "--frames", description = "Test frames per run (default: ${DEFAULT-VALUE})")
    int frames = 10_000;

    @Option(names = "--budgets", split = ",", description = "Escalation budgets, one device run each; the target is"
            + " judged at 0.10 (default: ${DEFAULT-VALUE})")
    List<Double> budgets = List.of(0.05, 0.10, 0.20, 0.30);

    @Option(names = "--mining", description = "How the device scores frames for escalation: ${COMPLETION-CANDIDATES}"
            + " (default: ${DEFAULT-VALUE})")
    MiningStrategy mining = MiningStrategy.LEAST_CONFIDENCE;

    @Option(names = "--deadline-ms", description = "How long a device waits for the teacher (default: ${DEFAULT-VALUE})")
    int deadlineMs = 50;

    @Option(names = "--fps", description = "The device's frame rate (default: ${DEFAULT-VALUE})")
    double fps = 1000;

    @Option(names = "--runs", description = "Runs of the device and cloud-only measurement; 0 = the endpoint's loads"
            + " only (default: ${DEFAULT-VALUE})")
    int runs = 3;

    @Option(names = "--rates", split = ",", description = "Open-loop loads on the endpoint, requests/s"
            + " (default: ${DEFAULT-VALUE})")
    List<Integer> rates = List.of(1000, 2000);

    @Option(names = "--load-seconds", description = "Seconds of each load (default: ${DEFAULT-VALUE})")
    int loadSeconds = 10;

    @Option(names = "--teacher-threads", description = "ONNX Runtime threads of the cloud's teacher"
            + " (default: ${DEFAULT-VALUE})")
    int teacherThreads = 2;

    @Option(names = "--out", description = "Report file (default: ${DEFAULT-VALUE})")
    Path out = Path.of("bench/joint-inference.json");

    @Option(names = "--work", description = "Work folder (default: ${DEFAULT-VALUE})")
    Path work = Path.of("fleet-sim/target/joint-bench");

    private final PrintStream log = System.out;

    /** Runs the benchmark. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new JointBench()).execute(args));
    }

    @Override
    public void run() {
        try (Supervisor processes = new Supervisor(Path.of("").toAbsolutePath(), work.resolve("logs"), log,
                Duration.ofMinutes(30))) {
            measure(processes);
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private void measure(Supervisor processes) throws Exception {
        Path teacherDir = TeacherCache.teacher(TeacherCache.Recipe.base(data),
                TeacherCache.defaultFolder(), processes, log);
        log.println("==> starting the local stack and the cloud (it distils and rolls out the student v1)");
        LocalCloud local = LocalCloud.start(processes, work, teacherDir.resolve("teacher.onnx"), data, List.of(
                "-Dtandem.retrain.base-limit=12000", "-Dtandem.retrain.epochs=3", "-Dtandem.retrain.eval-limit=1000",
                "-Dtandem.retrain.threshold=1000000", "-Dtandem.rollout.fleet=joint-bench",
                "-Dtandem.teacher.threads=" + teacherThreads));
        CloudApi api = new CloudApi(local.apiBase());
        processes.waitFor("student v1 in the registry", () -> api.versions("student").contains("v1"), local.cloud());
        String endpoint = local.apiBase() + "/api/teacher/infer";
        long studentMacs = api.manifest("student", "v1").path("macs").asLong();
        ImageSet test = FashionMnist.test(data).head(frames);

        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode report = json.createObjectNode();
        report.put("machine", Runtime.getRuntime().availableProcessors() + " cores, " + cpuModel());
        report.put("frames", frames).put("mining", mining.name()).put("deadline_ms", deadlineMs).put("device_fps", fps);
        ArrayNode runNodes = report.putArray("runs");
        for (int r = 1; r <= runs; r++) {
            double[] cloud = cloudOnly(endpoint, test);
            long teacherMacs = (long) cloud[1];
            log.printf("==> run %d: the teacher answering all %d frames is right on %.4f%n", r, frames, cloud[0]);
            for (double budget : budgets) {
                DeviceStatus s = device(local, endpoint, r + "-" + Math.round(budget * 100), budget);
                DeviceStatus.Version v = s.versions().get(0);
                ObjectNode n = runNodes.addObject();
                n.put("run", r).put("budget", budget);
                n.put("edge_only_accuracy", v.correct() / (double) v.labelled());
                n.put("joint_accuracy", s.answeredAccuracy());
                n.put("cloud_only_accuracy", cloud[0]);
                n.put("escalation_rate", v.escalated() / (double) v.frames());
                n.put("teacher_answered", s.teacherAnswers());
                n.put("student_fallbacks", s.teacherFallbacks());
                n.put("frames", v.frames());
                double answered = s.teacherAnswers() / (double) v.frames();
                n.put("macs_per_frame_edge_only", studentMacs);
                n.put("macs_per_frame_joint", studentMacs + answered * teacherMacs);
                n.put("macs_per_frame_cloud_only", teacherMacs);
                n.put("joint_minus_cloud_points", (s.answeredAccuracy() - cloud[0]) * 100);
                log.println("    " + n);
            }
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        if (runs > 0) {
            Files.writeString(out.resolveSibling(out.getFileName().toString().replaceAll("\\.json$", "") + ".svg"),
                    chart(runNodes));
        }
        ArrayNode loads = report.putArray("loads");
        log.printf("==> warming the endpoint: %d s at %d requests/s, not recorded%n", loadSeconds, rates.get(0));
        load(endpoint, test, rates.get(0));
        for (int rate : rates) {
            ObjectNode l = load(endpoint, test, rate);
            loads.add(l);
            log.println("    load " + l);
        }
        Files.writeString(out, json.writeValueAsString(report));
        log.println("==> report: " + out);
    }

    private DeviceStatus device(LocalCloud local, String endpoint, String run, double budget) throws Exception {
        log.printf("==> device joint-%s: %d frames, %.0f%% escalation budget, %d ms deadline%n", run, frames,
                budget * 100, deadlineMs);
        String id = "joint-" + run;
        DeviceConfig config = DeviceConfig.defaults(id, work.resolve("edges").resolve(id))
                .withFleet("joint-bench", local.mqttUrl()).withPace(frames, fps, Duration.ofMillis(500))
                .withGate(new DeviceConfig.GateSettings(mining, budget, 0))
                .withJoint(new TeacherClient.Settings(endpoint, deadlineMs, 100_000, 5, Duration.ofSeconds(2)))
                .withOta(DeviceConfig.OtaSettings.DEFAULT.withTrustedKeys(List.of(new CloudApi(
                        endpoint.replace("/api/teacher/infer", "")).signingKey())));
        try (EdgeDevice device = new EdgeDevice(config, new LoopingIdxSource(data.resolve("t10k-images-idx3-ubyte.gz"),
                data.resolve("t10k-labels-idx1-ubyte.gz"), 0))) {
            device.start();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (device.status().inferences() < frames && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            device.stop(Duration.ofSeconds(30));
            return device.status();
        }
    }

    /** The teacher's accuracy answering every frame, and its MACs per frame. */
    private static double[] cloudOnly(String endpoint, ImageSet test) throws Exception {
        TeacherClient client = new TeacherClient(new TeacherClient.Settings(endpoint, 30_000, 1e9, 1_000_000,
                Duration.ofSeconds(1)), "cloud-only", "joint-bench");
        Semaphore inFlight = new Semaphore(64);
        AtomicInteger correct = new AtomicInteger();
        AtomicInteger answered = new AtomicInteger();
        long[] macs = new long[1];
        List<CompletableFuture<?>> all = new ArrayList<>();
        int size = test.imageSize();
        for (int i = 0; i < test.size(); i++) {
            inFlight.acquire();
            int label = test.label(i);
            all.add(client.ask(i, Arrays.copyOfRange(test.pixels(), i * size, (i + 1) * size),
                    List.of(1L, (long) test.rows(), (long) test.cols())).whenComplete((a, e) -> {
                        inFlight.release();
                        if (a != null && a.outcome() == TeacherClient.Outcome.TEACHER) {
                            answered.incrementAndGet();
                            macs[0] = a.answer().getTeacherMacs();
                            if (a.answer().getPredictedClass() == label) {
                                correct.incrementAndGet();
                            }
                        }
                    }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
        if (answered.get() != test.size()) {
            throw new IllegalStateException("the teacher answered " + answered.get() + " of " + test.size() + " frames");
        }
        return new double[] {correct.get() / (double) test.size(), macs[0]};
    }

    /** Open-loop load: a request every 1/rate s for loadSeconds, whatever came back; latencies of 200s. */
    private ObjectNode load(String endpoint, ImageSet test, int rate) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        int size = test.imageSize();
        int total = rate * loadSeconds;
        ConcurrentLinkedQueue<Double> okMs = new ConcurrentLinkedQueue<>();
        AtomicInteger tooMany = new AtomicInteger();
        AtomicInteger late = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        List<CompletableFuture<?>> all = new ArrayList<>(total);
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long due = start + (long) (i * 1e9 / rate);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            int k = i % test.size();
            byte[] body = TeacherRequest.newBuilder().setSchemaVersion(1).setDeviceId("load").setFleet("joint-bench")
                    .setSequence(i).setBudgetMs(deadlineMs).setInput(Tensor.newBuilder().addShape(1).addShape(test.rows())
                            .addShape(test.cols()).setDtype(DType.UINT8).setData(com.google.protobuf.ByteString.copyFrom(
                                    test.pixels(), k * size, size))).build().toByteArray();
            long sent = System.nanoTime();
            all.add(http.sendAsync(HttpRequest.newBuilder(URI.create(endpoint)).timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/x-protobuf").POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build(), HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
                        if (e != null) {
                            failed.incrementAndGet();
                        } else if (r.statusCode() == 200) {
                            okMs.add((System.nanoTime() - sent) / 1e6);
                        } else if (r.statusCode() == 429) {
                            tooMany.incrementAndGet();
                        } else if (r.statusCode() == 504) {
                            late.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                        }
                    }));
        }
        double offeredSeconds = (System.nanoTime() - start) / 1e9;
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
        double[] ms = okMs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("offered_per_second", rate).put("sent", total).put("achieved_send_rate", total / offeredSeconds);
        n.put("answered", ms.length).put("answered_per_second", ms.length / offeredSeconds);
        n.put("status_429", tooMany.get()).put("status_504", late.get()).put("errors", failed.get());
        n.put("p50_ms", percentile(ms, 50)).put("p99_ms", percentile(ms, 99)).put("max_ms",
                ms.length == 0 ? Double.NaN : ms[ms.length - 1]);
        return n;
    }

    /** Accuracy against the share of frames the teacher answered: each run's points, edge-only and cloud-only ends. */
    private static String chart(ArrayNode runs) {
        int w = 560;
        int h = 360;
        int left = 60;
        int top = 40;
        double pw = w - left - 20;
        double ph = h - top - 50;
        double lo = 1;
        double hi = 0;
        for (var n : runs) {
            lo = Math.min(lo, n.path("edge_only_accuracy").asDouble());
            hi = Math.max(hi, n.path("cloud_only_accuracy").asDouble());
        }
        lo = Math.floor(lo * 100 - 1) / 100;
        hi = Math.ceil(hi * 100 + 1) / 100;
        StringBuilder svg = new StringBuilder(String.format(java.util.Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\""
                + " width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\"><rect width=\"100%%\""
                + " height=\"100%%\" fill=\"white\"/><text x=\"%d\" y=\"20\" font-size=\"14\">Joint inference:"
                + " accuracy against the share the teacher answered</text>", w, h, left));
        for (int t = 0; t <= 4; t++) {
            double acc = lo + (hi - lo) * t / 4;
            double y = top + ph - ph * t / 4;
            svg.append(String.format(java.util.Locale.ROOT, "<line x1=\"%d\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\""
                    + " stroke=\"#ddd\"/><text x=\"5\" y=\"%.1f\">%.3f</text>", left, left + pw, y, y, y + 4, acc));
            svg.append(String.format(java.util.Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%d%%</text>",
                    left + pw * t / 4 - 8, h - 25, t * 25));
        }
        svg.append(String.format(java.util.Locale.ROOT, "<text x=\"%.0f\" y=\"%d\">frames answered by the teacher</text>",
                left + pw / 2 - 90, h - 8));
        for (var n : runs) {
            double share = n.path("teacher_answered").asDouble() / n.path("frames").asDouble();
            double[][] points = {{0, n.path("edge_only_accuracy").asDouble(), 0}, {share, n.path("joint_accuracy")
                    .asDouble(), 1}, {1, n.path("cloud_only_accuracy").asDouble(), 2}};
            String[] colours = {"#e15759", "#4e79a7", "#59a14f"};
            for (double[] p : points) {
                svg.append(String.format(java.util.Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>",
                        left + pw * p[0], top + ph - ph * (p[1] - lo) / (hi - lo), colours[(int) p[2]]));
            }
        }
        svg.append(String.format(java.util.Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"#e15759\"/><text x=\"%d\""
                + " y=\"%d\">edge only</text><circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"#4e79a7\"/><text x=\"%d\""
                + " y=\"%d\">joint (each budget, each run)</text><circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"#59a14f\"/>"
                + "<text x=\"%d\" y=\"%d\">cloud only</text></svg>", left + 10, top + 10, left + 18, top + 14, left + 10,
                top + 26, left + 18, top + 30, left + 10, top + 42, left + 18, top + 46));
        return svg.toString();
    }

    private static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))];
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
        } catch (java.io.IOException e) {
            return "unknown CPU";
        }
    }
}
