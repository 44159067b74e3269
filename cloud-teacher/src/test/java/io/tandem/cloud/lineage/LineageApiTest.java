package io.tandem.cloud.lineage;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.tandem.cloud.brokers.Wire;
import io.tandem.cloud.brokers.WithBrokers;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.distill.manifest.ModelArtifacts;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.InferenceResult;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.ResultBatch;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Lineage over HTTP on real brokers: families, where a version runs (from the devices' results), comparisons. */
@QuarkusTest
@TestProfile(WithBrokers.class)
class LineageApiTest {

    @Inject
    ModelRegistry registry;

    private void register(String id, String version, String parentVersion, String teacher, long createdAt,
            Map<String, Double> metrics, Map<String, Long> data) throws Exception {
        Path file = Files.createTempFile("model", ".onnx");
        Files.writeString(file, id + " " + version);
        registry.register(file, ModelManifest.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setModelId(id)
                .setVersion(version).setRole(id.equals(ModelRegistry.TEACHER_ID) ? "teacher" : "student")
                .setArchitecture("student-tiny").setParentVersion(parentVersion).setParentTeacherVersion(teacher)
                .setDeviceGroup(id.startsWith("student.") ? id.substring(8) : "").addClassLabels("a")
                .addClassLabels("b").putAllMetrics(metrics).putAllDataBySource(data)
                .setSha256(ModelArtifacts.sha256(file)).setSizeBytes(Files.size(file)).setCreatedAtMs(createdAt).build());
    }

    @Test
    void familiesShowWhatEachVersionLearntAndWhereItRunsAndTwoVersionsCompare() throws Exception {
        String tag = UUID.randomUUID().toString().substring(0, 6);
        String site = "lin" + tag;
        String family = ModelRegistry.studentId(site);
        String t1 = "lt1-" + tag;
        String t2 = "lt2-" + tag;
        // Old creation times keep these teachers behind any real one another test relies on.
        register(ModelRegistry.TEACHER_ID, t1, "", "", 1_000, Map.of(), Map.of("base", 1000L));
        register(ModelRegistry.TEACHER_ID, t2, t1, t1, 2_000, Map.of(), Map.of("base", 1000L, "human", 5L));
        register(family, site + "-v1", "", t1, 3_000, Map.of("accuracy." + site, 0.70), Map.of("base", 100L, "edge", 10L));
        register(family, site + "-v2", site + "-v1", t2, 4_000, Map.of("accuracy." + site, 0.80),
                Map.of("base", 100L, "edge", 40L, "human", 5L));
        Wire.produceKafka(Topics.KAFKA_RESULTS, "cam-" + tag, Codecs.RESULT_BATCH.encode(ResultBatch.newBuilder()
                .setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId("cam-" + tag).setFleet("f-lin").setGroup(site)
                .setModelVersion(site + "-v2").addResults(InferenceResult.newBuilder().setPredictedClass(1)
                        .setConfidence(0.9f)).build()));

        assertTrue(Wire.eventually(Duration.ofSeconds(30), () -> given().get("/api/v1/models").then().statusCode(200)
                .extract().jsonPath().getList("find { it.modelId == '" + family + "' }.versions[1].runningOn")
                .contains("cam-" + tag)), "the fleet's results say where " + site + "-v2 runs");
        JsonPath families = given().get("/api/v1/models").then().statusCode(200).extract().jsonPath();
        assertEquals(ModelRegistry.TEACHER_ID, families.getString("[0].modelId"), "teachers first");
        String mine = "find { it.modelId == '" + family + "' }";
        assertEquals(List.of(site + "-v1", site + "-v2"), families.getList(mine + ".versions.version"));
        assertEquals(site, families.getString(mine + ".group"));
        assertEquals(1, families.getInt(mine + ".devicesRunning"));
        assertEquals(t2, families.getString(mine + ".versions[1].parentTeacher"));
        assertEquals(5, families.getInt(mine + ".versions[1].dataBySource.human"));

        JsonPath c = given().queryParam("a", family + ":" + site + "-v1").queryParam("b", family + ":" + site + "-v2")
                .get("/api/v1/models/compare").then().statusCode(200).extract().jsonPath();
        assertEquals("descendant", c.getString("relation"));
        assertEquals(0.10, c.getDouble("metrics.find { it.name == 'accuracy." + site + "' }.delta"), 1e-9);
        assertEquals(30.0, c.getDouble("data.find { it.name == 'edge' }.delta"), 1e-9);
        assertNull(c.get("data.find { it.name == 'human' }.a"), "v1 had no human labels");
        given().queryParam("a", "teacher:" + t1).queryParam("b", family + ":" + site + "-v1")
                .get("/api/v1/models/compare").then().statusCode(200).body("relation", equalTo("taught-by"));
        given().queryParam("a", family + ":" + site + "-v2").queryParam("b", "teacher:" + t1)
                .get("/api/v1/models/compare").then().statusCode(200).body("relation", equalTo("unrelated"));
        given().get("/api/v1/fleet/cam-" + tag).then().statusCode(200).body("activeVersion", equalTo(site + "-v2"))
                .body("group", equalTo(site));
        given().queryParam("site", site).get("/api/v1/fleet").then().statusCode(200)
                .body("deviceId", org.hamcrest.Matchers.contains("cam-" + tag));
        given().get("/api/v1/fleet/cam-never-" + tag).then().statusCode(404).contentType("application/problem+json");
        given().get("/api/v1/models/" + family + "/" + site + "-v2").then().statusCode(200)
                .body("runningOn", hasItem("cam-" + tag)).body("parentVersion", equalTo(site + "-v1"));
    }

    @Test
    void badReferencesAreNamedAndUnknownVersionsAre404() {
        given().queryParam("a", "no-colon").queryParam("b", "student:v1").get("/api/v1/models/compare").then()
                .statusCode(400).contentType("application/problem+json").body("invalid_params[0].name", equalTo("a"));
        given().queryParam("a", "student:v1").get("/api/v1/models/compare").then().statusCode(400)
                .body("invalid_params[0].name", equalTo("b"));
        given().queryParam("a", "student:nope-1").queryParam("b", "student:nope-2").get("/api/v1/models/compare")
                .then().statusCode(404).contentType("application/problem+json");
        given().get("/api/v1/models/student/nope-3").then().statusCode(404);
    }
}
