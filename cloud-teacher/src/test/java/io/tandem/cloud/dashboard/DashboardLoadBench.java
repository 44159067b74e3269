package io.tandem.cloud.dashboard;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.tandem.cloud.brokers.EmbeddedBrokers;
import io.tandem.cloud.brokers.Wire;
import io.tandem.cloud.brokers.WithBrokers;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.distill.manifest.ModelArtifacts;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.InferenceResult;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.ResultBatch;
import io.tandem.proto.v1.StreamStats;
import io.tandem.proto.v1.Telemetry;
import io.tandem.proto.v1.TelemetryWindow;
import io.tandem.proto.v1.UploadQueueStats;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The dashboard's targets (issue 11), a benchmark rather than a test: run by {@code bench/dashboard-load.sh}
 * ({@code -Dbench.dashboard=true}), skipped otherwise. With {@code bench.dashboard.devices} devices reporting through
 * Kafka and {@code bench.dashboard.versions} model versions registered, it measures the dashboard's first paint with
 * data in headless Chromium (navigation start to the fleet table filled, several loads) and, open loop at
 * {@code bench.dashboard.rps} requests a second, the latency of the API's reads. Prints the figures; asserts nothing
 * about them.
 */
@QuarkusTest
@TestProfile(WithBrokers.class)
@EnabledIfSystemProperty(named = "bench.dashboard", matches = "true")
class DashboardLoadBench {

    @Inject
    ModelRegistry registry;

    @Inject
    LoopHistory history;

    private static final String FLEET = "f-bench";

    @Test
    void firstPaintAndReadLatency() throws Exception {
        int devices = Integer.getInteger("bench.dashboard.devices", 1000);
        int versions = Integer.getInteger("bench.dashboard.versions", 20);
        int rps = Integer.getInteger("bench.dashboard.rps", 200);
        int seconds = Integer.getInteger("bench.dashboard.seconds", 15);
        int loads = Integer.getInteger("bench.dashboard.loads", 7);
        String tag = Long.toString(System.currentTimeMillis() % 100_000);
        List<String> sites = List.of("north" + tag, "south" + tag);
        List<String[]> registered = new ArrayList<>();
        for (int v = 0; v < versions; v++) {
            String site = sites.get(v % 2);
            String version = site + "-v" + (v / 2 + 1);
            Path file = Files.createTempFile("bench", ".onnx");
            Files.writeString(file, version);
            registry.register(file, ModelManifest.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                    .setModelId(ModelRegistry.studentId(site)).setVersion(version).setRole("student")
                    .setArchitecture("student-tiny").setParentTeacherVersion("t1").setDeviceGroup(site)
                    .setParentVersion(v < 2 ? "" : site + "-v" + (v / 2)).addClassLabels("a").addClassLabels("b")
                    .putMetrics("accuracy." + site, 0.7 + v * 0.01).putDataBySource("base", 12000)
                    .putDataBySource("edge", 100L * v).setSha256(ModelArtifacts.sha256(file))
                    .setSizeBytes(Files.size(file)).setCreatedAtMs(System.currentTimeMillis()).build());
            registered.add(new String[] {ModelRegistry.studentId(site), version});
        }
        Random random = new Random(7);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedBrokers.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG,
                20), new StringSerializer(), new ByteArraySerializer())) {
            for (int round = 0; round < 3; round++) {
                for (int d = 0; d < devices; d++) {
                    String site = sites.get(d % 2);
                    String device = String.format("%s-cam-%04d", site, d);
                    String version = registered.get(registered.size() - 2 + d % 2)[1];
                    producer.send(new ProducerRecord<>(Topics.KAFKA_TELEMETRY, device, Codecs.TELEMETRY.encode(
                            Telemetry.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId(device)
                                    .setFleet(FLEET).setGroup(site).setModelVersion(version)
                                    .setTimeMs(System.currentTimeMillis()).setInferencesTotal(100L * (round + 1))
                                    .setHardExamplesSent(8L * (round + 1)).setWindow(TelemetryWindow.newBuilder()
                                            .setFrames(100).setEscalated(8).setModelVersion(version).setInputMean(0.3f)
                                            .setInputStd(0.2f)).setUploadQueue(UploadQueueStats.newBuilder().addStreams(
                                                    StreamStats.newBuilder().setStream("samples")
                                                            .setQueuedMessages(random.nextInt(5)))).build())));
                    ResultBatch.Builder b = ResultBatch.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                            .setDeviceId(device).setFleet(FLEET).setGroup(site).setModelVersion(version);
                    for (int i = 0; i < 20; i++) {
                        int truth = random.nextInt(2);
                        b.addResults(InferenceResult.newBuilder().setSequence(round * 20L + i).setConfidence(0.8f)
                                .setPredictedClass(random.nextDouble() < 0.8 ? truth : 1 - truth).setGroundTruth(truth));
                    }
                    producer.send(new ProducerRecord<>(Topics.KAFKA_RESULTS, device, Codecs.RESULT_BATCH.encode(b.build())));
                }
                producer.flush();
                Thread.sleep(1500);
                history.sample(System.currentTimeMillis());
            }
        }
        if (!Wire.eventually(Duration.ofSeconds(120), () -> RestAssured.given().get("/api/v1/dashboard").then()
                .extract().jsonPath().getInt("summary.devices") >= devices)) {
            throw new IllegalStateException("the fleet state did not reach " + devices + " devices");
        }
        String base = "http://127.0.0.1:" + RestAssured.port;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("devices", devices);
        out.put("versions", versions);

        double[] paints = new double[loads];
        try (Chromium browser = Chromium.start()) {
            for (int i = 0; i < loads; i++) {
                browser.open("about:blank");
                browser.call("Page.navigate", Map.of("url", base + "/dashboard/#fleet?load=" + i));
                if (!browser.waitFor("window.tandemFirstDataMs !== undefined && document.querySelectorAll("
                        + "'#fleet tbody tr').length >= " + devices, Duration.ofSeconds(30))) {
                    throw new IllegalStateException("the fleet table never held " + devices + " rows");
                }
                paints[i] = browser.eval("window.tandemFirstDataMs").asDouble();
                System.out.printf("dashboard bench: load %d, first paint with %d devices after %.0f ms%n", i + 1,
                        devices, paints[i]);
            }
            if (!browser.errors().isEmpty()) {
                throw new IllegalStateException("console errors: " + browser.errors());
            }
        }
        out.put("first_paint_ms", paints);
        out.put("first_paint_median_ms", percentile(paints, 50));

        String[] some = registered.get(registered.size() - 1);
        Map<String, String> reads = new LinkedHashMap<>();
        reads.put("models", "/api/v1/models");
        reads.put("model version", "/api/v1/models/" + some[0] + "/" + some[1]);
        reads.put("rollouts", "/api/v1/rollouts");
        reads.put("fleet (typed)", "/api/v1/fleet");
        reads.put("fleet (JSON maps)", "/api/fleet");
        reads.put("dashboard snapshot", "/api/v1/dashboard");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        Map<String, Object> latency = new LinkedHashMap<>();
        for (Map.Entry<String, String> read : reads.entrySet()) {
            double[] ms = openLoop(http, base + read.getValue(), rps, seconds);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("requests", ms.length);
            r.put("p50_ms", percentile(ms, 50));
            r.put("p99_ms", percentile(ms, 99));
            latency.put(read.getKey(), r);
            System.out.printf("dashboard bench: %s (%s) at %d requests/s for %d s: %d answered, p50 %.1f ms, p99 %.1f ms%n",
                    read.getKey(), read.getValue(), rps, seconds, ms.length, percentile(ms, 50), percentile(ms, 99));
        }
        out.put("read_latency", latency);
        out.put("rps", rps);
        Path report = Path.of("target/dashboard-bench.json");
        Files.writeString(report, new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
                .writeValueAsString(out));
        System.out.println("dashboard bench: written to " + report.toAbsolutePath());
    }

    /**
     * Sends {@code rps} GETs a second for {@code seconds}, each at its scheduled time whatever the earlier ones do, and
     * returns each latency from its scheduled time (so a stall counts against every request it delays). A failed
     * request counts as one minute.
     */
    private static double[] openLoop(HttpClient http, String url, int rps, int seconds) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build();
        for (int i = 0; i < 20; i++) {
            http.send(request, HttpResponse.BodyHandlers.discarding());
        }
        ConcurrentLinkedQueue<Double> latencies = new ConcurrentLinkedQueue<>();
        List<CompletableFuture<?>> inFlight = new ArrayList<>();
        AtomicLong failures = new AtomicLong();
        long start = System.nanoTime();
        long total = (long) rps * seconds;
        for (long i = 0; i < total; i++) {
            long due = start + i * 1_000_000_000L / rps;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            inFlight.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).handle((r, e) -> {
                boolean ok = e == null && r.statusCode() == 200;
                if (!ok) {
                    failures.incrementAndGet();
                }
                latencies.add(ok ? (System.nanoTime() - due) / 1e6 : 60_000.0);
                return null;
            }));
        }
        CompletableFuture.allOf(inFlight.toArray(new CompletableFuture[0])).get(120, TimeUnit.SECONDS);
        if (failures.get() > 0) {
            System.out.printf("dashboard bench: %s: %d requests failed%n", url, failures.get());
        }
        return latencies.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static double percentile(double[] values, double p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
