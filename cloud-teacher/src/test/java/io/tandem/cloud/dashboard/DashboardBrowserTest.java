package io.tandem.cloud.dashboard;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Every dashboard page in Debian's headless Chromium against the running service on real brokers: each shows the
 * fleet's data (screenshots in {@code target/dashboard/}), logs no console error, and a device that reports while
 * the page is open appears on it through the live updates.
 */
@QuarkusTest
@TestProfile(WithBrokers.class)
class DashboardBrowserTest {

    private static final Path SCREENS = Path.of("target/dashboard");

    @Inject
    ModelRegistry registry;

    @Inject
    LoopHistory history;

    private final String tag = UUID.randomUUID().toString().substring(0, 6);
    private final String site = "dash" + tag;
    private final String fleet = "f-dash";

    private void register(String version, String parent, double accuracy) throws Exception {
        Path file = Files.createTempFile("model", ".onnx");
        Files.writeString(file, site + " " + version);
        registry.register(file, ModelManifest.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                .setModelId(ModelRegistry.studentId(site)).setVersion(version).setRole("student")
                .setArchitecture("student-tiny").setParentVersion(parent).setParentTeacherVersion("t1")
                .setDeviceGroup(site).addClassLabels("a").addClassLabels("b")
                .putMetrics("accuracy." + site, accuracy).putDataBySource("base", 1000).putDataBySource("edge", 40)
                .setSha256(ModelArtifacts.sha256(file)).setSizeBytes(Files.size(file))
                .setCreatedAtMs(System.currentTimeMillis()).build());
    }

    /** A device's telemetry and one batch of results on the version it runs, as its agent sends them. */
    private void report(String device, String version, int frames, int correct) throws Exception {
        Wire.produceKafka(Topics.KAFKA_TELEMETRY, device, Codecs.TELEMETRY.encode(Telemetry.newBuilder()
                .setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId(device).setFleet(fleet).setGroup(site)
                .setModelVersion(version).setTimeMs(System.currentTimeMillis()).setInferencesTotal(frames)
                .setHardExamplesSent(frames / 10).setWindow(TelemetryWindow.newBuilder().setFrames(frames)
                        .setEscalated(frames / 5).setModelVersion(version).setInputMean(0.3f).setInputStd(0.2f))
                .setUploadQueue(UploadQueueStats.newBuilder().addStreams(StreamStats.newBuilder().setStream("samples")
                        .setQueuedMessages(3))).build()));
        ResultBatch.Builder results = ResultBatch.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                .setDeviceId(device).setFleet(fleet).setGroup(site).setModelVersion(version);
        for (int i = 0; i < frames; i++) {
            results.addResults(InferenceResult.newBuilder().setSequence(i).setPredictedClass(1).setConfidence(0.8f)
                    .setGroundTruth(i < correct ? 1 : 0));
        }
        Wire.produceKafka(Topics.KAFKA_RESULTS, device, Codecs.RESULT_BATCH.encode(results.build()));
    }

    private String page(String name) {
        return "http://127.0.0.1:" + RestAssured.port + "/dashboard/#" + name;
    }

    @Test
    void everyPageShowsTheFleetWithoutErrorsAndUpdatesLive() throws Exception {
        register(site + "-v1", "", 0.71);
        register(site + "-v2", site + "-v1", 0.83);
        List<String> devices = List.of(site + "-cam-1", site + "-cam-2", site + "-cam-3");
        history.sample(System.currentTimeMillis());
        for (String d : devices) {
            report(d, site + "-v1", 40, 30);
        }
        for (int i = 0; i < 3; i++) {
            Wire.produceKafka(Topics.KAFKA_SAMPLES, devices.get(0), Codecs.HARD_EXAMPLE.encode(
                    Wire.hardExample(fleet, devices.get(0), 100 + i).toBuilder().setGroup(site).build()));
        }
        assertTrue(Wire.eventually(Duration.ofSeconds(30), () -> given().get("/api/v1/dashboard").then()
                .statusCode(200).extract().jsonPath().getList("devices.id").containsAll(devices)
                && given().get("/api/v1/dashboard").jsonPath().getList("labelQueue.device").contains(devices.get(0))),
                "the fleet state and the store heard the devices");
        history.sample(System.currentTimeMillis());
        given().contentType("application/json").body("{\"modelId\":\"" + ModelRegistry.studentId(site)
                + "\",\"version\":\"" + site + "-v2\",\"fleet\":\"" + fleet + "\",\"devices\":[\"" + devices.get(0)
                + "\",\"" + devices.get(1) + "\"],\"waves\":[\"1\",\"100%\"],\"ackTimeoutSeconds\":600}")
                .post("/api/v1/rollouts").then().statusCode(201);

        try (Chromium browser = Chromium.start()) {
            long start = System.nanoTime();
            browser.open(page("fleet"));
            assertTrue(browser.waitFor("document.querySelector('#fleet tbody tr[data-device=\"" + devices.get(2)
                    + "\"]') !== null", Duration.ofSeconds(20)), "the fleet page lists the devices");
            System.out.printf("dashboard: fleet page with data after %d ms%n", (System.nanoTime() - start) / 1_000_000);
            browser.screenshot(SCREENS.resolve("fleet.png"));
            assertEquals(site + "-v1", browser.eval("document.querySelector('#fleet tbody tr[data-device=\""
                    + devices.get(0) + "\"] td:nth-child(3)').textContent").asText());

            // Live: a device that reports now appears without a reload.
            String late = site + "-cam-late";
            double updates = browser.eval("window.tandemLive").asDouble();
            report(late, site + "-v2", 20, 18);
            assertTrue(browser.waitFor("document.querySelector('#fleet tbody tr[data-device=\"" + late + "\"]') !== null",
                    Duration.ofSeconds(30)), "a device that reported while the page was open appears live");
            assertTrue(browser.eval("window.tandemLive").asDouble() > updates, "through a pushed update");
            browser.screenshot(SCREENS.resolve("fleet-live.png"));

            browser.open(page("models"));
            assertTrue(browser.waitFor("document.querySelector('[data-family=\"" + ModelRegistry.studentId(site)
                    + "\"] tbody tr:nth-child(2)') !== null", Duration.ofSeconds(20)), "the models page shows the family");
            browser.screenshot(SCREENS.resolve("models.png"));

            browser.open(page("rollouts"));
            assertTrue(browser.waitFor("[...document.querySelectorAll('#rollouts tbody tr[data-plan]')].some(r =>"
                    + " r.textContent.includes('" + site + "-v2'))", Duration.ofSeconds(20)), "the rollouts page shows the plan");
            browser.screenshot(SCREENS.resolve("rollouts.png"));

            browser.open(page("loop"));
            assertTrue(browser.waitFor("document.querySelector('canvas[data-site=\"" + site + "\"]') !== null",
                    Duration.ofSeconds(20)), "the loop page plots the site");
            browser.screenshot(SCREENS.resolve("loop.png"));

            browser.open(page("labels"));
            assertTrue(browser.waitFor("[...document.querySelectorAll('#labels tbody tr')].some(r =>"
                    + " r.textContent.includes('" + devices.get(0) + "'))", Duration.ofSeconds(20)),
                    "the labels page shows the samples waiting for a person");
            browser.screenshot(SCREENS.resolve("labels.png"));

            assertEquals(List.of(), browser.errors(), "no console error on any page");
        }
    }
}
