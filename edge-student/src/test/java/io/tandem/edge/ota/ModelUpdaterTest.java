package io.tandem.edge.ota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import io.tandem.edge.device.DeviceConfig;
import io.tandem.edge.inference.StudentModel;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.DeployAck;
import io.tandem.proto.v1.DeployCommand;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.SmokeInput;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way an update can fail leaves the running model in service, with the reason in the acknowledgement. */
class ModelUpdaterTest {

    private static final DeviceConfig.OtaSettings FAST = DeviceConfig.OtaSettings.DEFAULT
            .withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(300), Duration.ofSeconds(10))
            .withRetries(3, Duration.ofMillis(20)).withProbation(0, 0);

    @TempDir
    Path dir;

    private HttpServer server;
    /** Path to body; "/truncated..." paths send half the body, "/stalled..." stop sending, "/flaky..." fail once. */
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private byte[] model;
    private ModelManifest manifest;
    private long issued = 1_000;

    @BeforeEach
    void serve() throws IOException {
        model = resource("models/student-tiny.onnx");
        manifest = Codecs.MANIFEST.decode(resource("models/student-tiny.manifest.pb"));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            byte[] body = files.get(path);
            int n = requests.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
            try {
                if (body == null || (path.startsWith("/flaky") && n % 2 == 1)) {
                    exchange.sendResponseHeaders(body == null ? 404 : 503, -1);
                } else if (path.startsWith("/truncated")) {
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body, 0, body.length / 2);
                } else if (path.startsWith("/stalled")) {
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body, 0, body.length / 2);
                    exchange.getResponseBody().flush();
                    Thread.sleep(1_500);
                } else {
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ModelUpdaterTest.class.getClassLoader().getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }

    private DeployCommand command(String version, String path, byte[] body, ModelManifest m) throws Exception {
        files.put(path, body);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        return DeployCommand.newBuilder().setSchemaVersion(1).setFleet("f").setRolloutId("r-" + version)
                .setModelId("student").setModelVersion(version)
                .setArtifactUrl("http://127.0.0.1:" + server.getAddress().getPort() + path)
                .setSha256(sha).setSizeBytes(body.length).setConfidenceThreshold(0.6f).setIssuedAtMs(issued++)
                .setManifest(m.toBuilder().setVersion(version)).build();
    }

    private static DeployAck.Builder apply(ModelUpdater updater, DeployCommand c) {
        return updater.apply(c, false, List.of(), () -> false).orElseThrow();
    }

    private static String version(ModelUpdater updater) {
        return updater.active().orElseThrow().model().version();
    }

    @Test
    void verifiesLoadsChecksAndSwapsOnlyGoodModels() throws Exception {
        try (ModelUpdater updater = new ModelUpdater(dir, 1, FAST)) {
            DeployAck.Builder ok = apply(updater, command("v1", "/v1", model, manifest));
            assertEquals(DeployAck.Status.ACTIVE, ok.getStatus(), ok.getDetail());
            float[] p = updater.active().orElseThrow().model().probabilities(new byte[784]);
            assertEquals(1.0, sum(p), 1e-4);

            DeployCommand tampered = command("v2", "/v2", model, manifest).toBuilder().setSha256("a".repeat(64)).build();
            DeployAck.Builder bad = apply(updater, tampered);
            assertEquals(DeployAck.Status.FAILED_VERIFICATION, bad.getStatus());
            assertTrue(bad.getDetail().contains("sha256"), bad.getDetail());
            assertEquals("v1", version(updater), "the running model stays");

            byte[] corrupt = Arrays.copyOf(model, model.length / 2);
            DeployAck.Builder broken = apply(updater, command("v3", "/v3", corrupt, manifest));
            assertEquals(DeployAck.Status.FAILED_LOAD, broken.getStatus());
            assertEquals("v1", version(updater));

            ModelManifest wrongClasses = manifest.toBuilder().clearClassLabels().addClassLabels("only-one").build();
            DeployAck.Builder mismatch = apply(updater, command("v4", "/v4", model, wrongClasses));
            assertEquals(DeployAck.Status.FAILED_LOAD, mismatch.getStatus());
            assertTrue(mismatch.getDetail().contains("classes"), mismatch.getDetail());

            ModelManifest wrongShape = manifest.toBuilder().setInput(manifest.getInput().toBuilder().clearShape()
                    .addShape(1).addShape(32).addShape(32)).build();
            DeployAck.Builder shape = apply(updater, command("v4b", "/v4b", model, wrongShape));
            assertEquals(DeployAck.Status.FAILED_LOAD, shape.getStatus());
            assertTrue(shape.getDetail().contains("input"), shape.getDetail());

            DeployCommand missing = command("v5", "/v5", model, manifest).toBuilder()
                    .setArtifactUrl("http://127.0.0.1:" + server.getAddress().getPort() + "/gone").build();
            DeployAck.Builder gone = apply(updater, missing);
            assertEquals(DeployAck.Status.FAILED_DOWNLOAD, gone.getStatus());
            assertTrue(gone.getDetail().contains("attempt 3 of 3"), gone.getDetail());

            DeployAck.Builder next = apply(updater, command("v6", "/v6", model, manifest));
            assertEquals(DeployAck.Status.ACTIVE, next.getStatus());
            assertEquals("v1", next.getPreviousVersion());
            assertTrue(updater.apply(command("v6", "/v6", model, manifest), false, List.of(), () -> false).isEmpty(),
                    "the model in service is not deployed again");
        }
    }

    @Test
    void truncatedAndStalledDownloadsFailAfterTheirRetriesAndAFlakyServerIsRetried() throws Exception {
        try (ModelUpdater updater = new ModelUpdater(dir, 1, FAST)) {
            assertEquals(DeployAck.Status.ACTIVE, apply(updater, command("v1", "/v1", model, manifest)).getStatus());
            DeployAck.Builder truncated = apply(updater, command("v2", "/truncated", model, manifest));
            assertEquals(DeployAck.Status.FAILED_DOWNLOAD, truncated.getStatus());
            assertTrue(truncated.getDetail().contains("attempt 3 of 3"), truncated.getDetail());

            long start = System.nanoTime();
            DeployAck.Builder stalled = apply(updater, command("v3", "/stalled", model, manifest));
            assertEquals(DeployAck.Status.FAILED_DOWNLOAD, stalled.getStatus());
            assertTrue(stalled.getDetail().contains("stalled"), stalled.getDetail());
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(4).toNanos(),
                    "a stalled transfer fails after the read timeout, not after the server gives up");
            assertEquals("v1", version(updater));

            DeployAck.Builder flaky = apply(updater, command("v4", "/flaky", model, manifest));
            assertEquals(DeployAck.Status.ACTIVE, flaky.getStatus(), flaky.getDetail());
            assertTrue(flaky.getDetail().contains("2 download attempt(s)"), flaky.getDetail());

            assertTrue(updater.apply(command("v2", "/truncated", model, manifest).toBuilder().setIssuedAtMs(1).build(),
                    false, List.of(), () -> false).map(a -> a.getStatus() == DeployAck.Status.STALE).orElse(false),
                    "a command issued before the one in force is stale");
        }
    }

    @Test
    void smokeInputsThatDisagreeWithTheManifestKeepTheRunningModel() throws Exception {
        try (ModelUpdater updater = new ModelUpdater(dir, 1, FAST)) {
            assertEquals(DeployAck.Status.ACTIVE, apply(updater, command("v1", "/v1", model, manifest)).getStatus());
            float[] truth = updater.active().orElseThrow().model().probabilities(new byte[784]);
            ModelManifest good = manifest.toBuilder().addSmokeInputs(smoke(new byte[784], truth)).build();
            DeployAck.Builder passes = apply(updater, command("v2", "/v2", model, good));
            assertEquals(DeployAck.Status.ACTIVE, passes.getStatus(), passes.getDetail());
            assertTrue(passes.getDetail().contains("1 smoke inputs"), passes.getDetail());

            float[] wrong = truth.clone();
            wrong[0] += 0.5f;
            wrong[1] -= 0.5f;
            ModelManifest bad = manifest.toBuilder().addSmokeInputs(smoke(new byte[784], wrong)).build();
            DeployAck.Builder fails = apply(updater, command("v3", "/v3", model, bad));
            assertEquals(DeployAck.Status.FAILED_SMOKE, fails.getStatus());
            assertTrue(fails.getDetail().contains("smoke input 0"), fails.getDetail());
            assertEquals("v2", version(updater));
        }
    }

    @Test
    void aFrameThatFailsOnProbationRollsBackAndIsAnsweredByThePreviousModel() throws Exception {
        List<DeployAck.Builder> acks = new ArrayList<>();
        DeviceConfig.OtaSettings probation = FAST.withProbation(50, 0);
        try (ModelUpdater updater = new ModelUpdater(dir, 1, "cpu", probation, acks::add)) {
            assertEquals(DeployAck.Status.ACTIVE, apply(updater, command("v1", "/v1", model, manifest)).getStatus());
            serveFrames(updater, 60, version -> false);
            assertEquals(DeployAck.Status.ACTIVE, apply(updater, command("v2", "/v2", model, manifest)).getStatus());
            List<String> answeredBy = serveFrames(updater, 10, version -> version.equals("v2"));
            assertEquals("v1", answeredBy.get(0), "the frame that failed on v2 is answered again by v1");
            assertEquals("v1", version(updater));
            assertEquals(1, updater.rollbacks());
            assertEquals(DeployAck.Status.ROLLED_BACK, acks.get(0).getStatus());
            assertTrue(acks.get(0).getDetail().contains("back to v1"), acks.get(0).getDetail());
            assertTrue(updater.apply(command("v2", "/v2", model, manifest).toBuilder().setIssuedAtMs(0).build(), false,
                    List.of(), () -> false).map(a -> a.getStatus() == DeployAck.Status.STALE).orElse(true));
        }
    }

    @Test
    void aModelFarSlowerThanItsManifestSaysRollsBackAfterProbation() throws Exception {
        List<DeployAck.Builder> acks = new ArrayList<>();
        try (ModelUpdater updater = new ModelUpdater(dir, 1, "cpu", FAST.withProbation(20, 2), acks::add)) {
            assertEquals(DeployAck.Status.ACTIVE, apply(updater, command("v1", "/v1", model, manifest)).getStatus());
            serveFrames(updater, 25, version -> false);
            ModelManifest optimistic = manifest.toBuilder().putMetrics("latency_ms_p50", 1e-6).build();
            assertEquals(DeployAck.Status.ACTIVE, apply(updater, command("v2", "/v2", model, optimistic)).getStatus());
            serveFrames(updater, 25, version -> false);
            assertEquals("v1", version(updater));
            assertEquals(DeployAck.Status.ROLLED_BACK, acks.get(0).getStatus());
            assertTrue(acks.get(0).getDetail().contains("median latency"), acks.get(0).getDetail());
        }
    }

    @Test
    void aRestartWithoutNetworkServesTheLastGoodModel() throws Exception {
        try (ModelUpdater first = new ModelUpdater(dir, 1, "cpu", FAST.withProbation(5, 0), a -> { })) {
            assertEquals(DeployAck.Status.ACTIVE, apply(first, command("v1", "/v1", model, manifest)).getStatus());
            serveFrames(first, 5, version -> false);
            assertEquals(DeployAck.Status.ACTIVE, apply(first, command("v2", "/v2", model, manifest)).getStatus());
            // v2 is still on probation when the device goes down: v1 is the last good model.
        }
        server.stop(0);
        try (ModelUpdater restarted = new ModelUpdater(dir, 1, FAST)) {
            assertEquals("v1", restarted.restore().orElseThrow());
            assertEquals(1.0, sum(restarted.active().orElseThrow().model().probabilities(new byte[784])), 1e-4);
        }
        try (ModelUpdater empty = new ModelUpdater(dir.resolve("elsewhere"), 1, FAST)) {
            assertFalse(empty.restore().isPresent());
        }
    }

    private static SmokeInput smoke(byte[] pixels, float[] expected) {
        SmokeInput.Builder s = SmokeInput.newBuilder().setPixels(ByteString.copyFrom(pixels));
        for (float v : expected) {
            s.addExpectedProbabilities(v);
        }
        return s.build();
    }

    /** Serves frames; a frame answered by a version {@code fails} names throws, as a broken model would. */
    private static List<String> serveFrames(ModelUpdater updater, int frames,
            java.util.function.Predicate<String> fails) {
        List<String> answeredBy = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            assertTrue(updater.serve((StudentModel m) -> {
                if (fails.test(m.version())) {
                    throw new IllegalStateException("inference failed on model " + m.version());
                }
                long t = System.nanoTime();
                m.probabilities(new byte[784]);
                answeredBy.add(m.version());
                return (System.nanoTime() - t) / 1e6;
            }));
        }
        return answeredBy;
    }

    private static double sum(float[] p) {
        double s = 0;
        for (float v : p) {
            s += v;
        }
        return s;
    }
}
