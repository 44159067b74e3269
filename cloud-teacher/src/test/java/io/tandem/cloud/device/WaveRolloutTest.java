package io.tandem.cloud.device;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.tandem.cloud.brokers.EmbeddedBrokers;
import io.tandem.cloud.brokers.WithBrokers;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.cloud.rollout.FleetState;
import io.tandem.edge.device.DeviceConfig;
import io.tandem.edge.device.EdgeDevice;
import io.tandem.proto.v1.ModelManifest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Rollout plans on the real cloud, broker and edge devices: a model that fails on the first wave's devices
 * stops the plan there, the second wave is never touched and the first wave's devices are sent back to the
 * version they ran; a good model goes through both waves in order. Malformed plans answer problem+json
 * naming the field.
 */
@QuarkusTest
@TestProfile(WithBrokers.class)
class WaveRolloutTest {

    @Inject
    ModelRegistry registry;

    @Inject
    FleetState fleetState;

    private final String run = UUID.randomUUID().toString().substring(0, 6);
    private final String fleet = "f-waves-" + run;
    /** Versions of this run: the registry is shared with the other tests of this profile. */
    private final String v1 = "w" + run + "-1";
    private final String v2 = "w" + run + "-2-smoke";
    private final String v3 = "w" + run + "-3";

    private void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "; the cloud sees " + fleetState.view());
            }
            Thread.sleep(200);
        }
    }

    private static JsonPath plan(String id) {
        return given().get("/api/v1/rollouts/" + id).then().statusCode(200).extract().jsonPath();
    }

    private static String submit(String body) {
        return given().contentType("application/json").body(body).post("/api/v1/rollouts").then().statusCode(201)
                .extract().jsonPath().getString("id");
    }

    private boolean allRun(List<String> devices, String version) {
        Map<String, FleetState.VersionReport> r = fleetState.reports(fleet, devices, version);
        return r.size() == devices.size() && r.values().stream().allMatch(v -> v.activeVersion().equals(version));
    }

    @Test
    void aFailingWaveStopsThePlanAndReturnsItsDevicesWhileAGoodModelGoesThroughEveryWave() throws Exception {
        Path tmp = Files.createTempDirectory("waves-test");
        StudentFixture fixture = StudentFixture.copyTo(tmp);
        Path good = fixture.onnx();
        ModelManifest checked = fixture.withDarkSmokeInputs();
        DeviceUpdateTest.register(registry, v1, good, checked);

        List<String> ids = List.of("cam-w1", "cam-w2", "cam-w3", "cam-w4");
        List<EdgeDevice> devices = new ArrayList<>();
        for (String id : ids) {
            EdgeDevice d = new EdgeDevice(DeviceConfig.defaults(id, tmp.resolve(id))
                    .withFleet(fleet, EmbeddedBrokers.mqttUrl()).withPace(0, 30, Duration.ofMillis(300))
                    .withOta(DeviceConfig.OtaSettings.DEFAULT.withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(500),
                            Duration.ofSeconds(10)).withRetries(2, Duration.ofMillis(50)).withProbation(500, 0)),
                    new Camera());
            d.start();
            devices.add(d);
        }
        try {
            DeviceUpdateTest.rollOut(fleet, v1);
            await("every device on v1 in the cloud's view", () -> allRun(ids, v1));

            // The right file with another model's expected answers: every device refuses it (FAILED_SMOKE).
            Path other = FaultyModels.write(FaultyModels.Fault.NONE, tmp.resolve("other.onnx"));
            DeviceUpdateTest.register(registry, v2, other, checked);
            String bad = submit("{\"modelId\":\"student\",\"version\":\"" + v2 + "\",\"fleet\":\"" + fleet + "\","
                    + "\"waves\":[\"50%\",\"100%\"],\"stop\":{\"maxFailedFraction\":0.0}}");
            await("the plan to stop", () -> plan(bad).getString("state").equals("STOPPED"));
            JsonPath stopped = plan(bad);
            assertTrue(stopped.getString("reason").contains("FAILED_SMOKE"), stopped.getString("reason"));
            assertEquals("STOPPED", stopped.getString("waves[0].state"));
            assertEquals("PENDING", stopped.getString("waves[1].state"), "the second wave never started");
            List<String> first = stopped.getList("waves[0].devices.deviceId");
            List<String> second = stopped.getList("waves[1].devices.deviceId");
            assertEquals(2, first.size());
            assertEquals(List.of("RETURNED", "RETURNED"), stopped.getList("waves[0].devices.state"));
            assertEquals(List.of(v1, v1), stopped.getList("waves[0].devices.previousVersion"));
            assertEquals(List.of("WAITING", "WAITING"), stopped.getList("waves[1].devices.state"));
            await("the first wave back on v1", () -> allRun(first, v1));
            fleetState.reports(fleet, second, v2).values().forEach(r -> assertEquals("", r.deployStatus(),
                    "a device of the second wave never heard of v2-smoke"));
            for (EdgeDevice d : devices) {
                assertEquals(v1, d.activeVersion());
            }

            DeviceUpdateTest.register(registry, v3, good, checked);
            String ok = submit("{\"modelId\":\"student\",\"version\":\"" + v3 + "\",\"fleet\":\"" + fleet + "\","
                    + "\"waves\":[\"1\",\"100%\"],\"successThreshold\":1.0}");
            await("the good plan to complete", () -> plan(ok).getString("state").equals("COMPLETED"));
            JsonPath done = plan(ok);
            assertEquals(List.of(1, 3), List.of(done.getList("waves[0].devices").size(),
                    done.getList("waves[1].devices").size()));
            assertTrue(done.getLong("waves[0].finishedMs") <= done.getLong("waves[1].startedMs"),
                    "the second wave started after the first was done");
            await("every device on v3", () -> allRun(ids, v3));
            given().post("/api/v1/rollouts/" + ok + "/pause").then().statusCode(409)
                    .contentType("application/problem+json").body("detail", containsString("COMPLETED"));
        } finally {
            for (EdgeDevice d : devices) {
                d.stop(Duration.ofSeconds(5));
            }
        }
    }

    @Test
    void probesAndTheApiDescriptionAnswer() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", org.hamcrest.Matchers.hasItem("consumer-loops"));
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", org.hamcrest.Matchers.hasItems("mqtt-bridge", "database"));
        given().queryParam("format", "json").get("/q/openapi").then().statusCode(200)
                .body("paths", org.hamcrest.Matchers.hasKey("/api/v1/rollouts"))
                .body("paths", org.hamcrest.Matchers.hasKey("/api/v1/rollouts/{id}/abort"));
    }

    @Test
    void malformedPlansAreRefusedNamingTheField() {
        String base = "\"modelId\":\"student\",\"version\":\"v1\",\"fleet\":\"" + fleet + "\"";
        given().contentType("application/json").body("{" + base + ",\"waves\":[\"5%\",\"150%\"]}")
                .post("/api/v1/rollouts").then().statusCode(400).contentType("application/problem+json")
                .body("invalid_params[0].name", equalTo("waves")).body("detail", containsString("wave 2 is 150%"));
        given().contentType("application/json").body("{" + base + ",\"stop\":{\"maxFailedFraction\":2}}")
                .post("/api/v1/rollouts").then().statusCode(400).contentType("application/problem+json")
                .body("invalid_params[0].name", equalTo("stop.maxFailedFraction"));
        given().contentType("application/json").body("{" + base + ",\"successThreshold\":-0.5,\"soakSeconds\":-1}")
                .post("/api/v1/rollouts").then().statusCode(400)
                .body("invalid_params.name", org.hamcrest.Matchers.contains("soakSeconds", "successThreshold"));
        given().contentType("application/json").body("{\"modelId\":\"student\",\"version\":\"v1\",\"fleet\":\"../x\"}")
                .post("/api/v1/rollouts").then().statusCode(400).body("invalid_params[0].name", equalTo("fleet"));
        given().contentType("application/json").body("{" + base + ",\"devices\":[\"no-such-device\"]}")
                .post("/api/v1/rollouts").then().statusCode(400).body("invalid_params[0].name", equalTo("devices"))
                .body("detail", containsString("no-such-device"));
        given().contentType("application/json").body("{\"modelId\":\"student\",\"version\":\"v404\",\"fleet\":\"" + fleet
                + "\"}").post("/api/v1/rollouts").then().statusCode(400).body("invalid_params[0].name", equalTo("version"));
        given().get("/api/v1/rollouts/p-nothing").then().statusCode(404).contentType("application/problem+json");
    }
}
