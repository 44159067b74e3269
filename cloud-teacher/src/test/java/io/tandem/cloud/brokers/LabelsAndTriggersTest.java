package io.tandem.cloud.brokers;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.tandem.cloud.store.SampleStore;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.HardExample;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The annotator endpoint and the trigger API on the real service: good requests work, bad ones are counted. */
@QuarkusTest
@TestProfile(WithBrokers.class)
class LabelsAndTriggersTest {

    @Inject
    SampleStore store;

    @Test
    void theQueueHandsOutStoredSamplesAndTakesTheirLabels() throws Exception {
        HardExample e = Wire.hardExample("f-lab", "ann-1", 3).toBuilder().setGroup("harbour").build();
        Wire.produceKafka(Topics.KAFKA_SAMPLES, "ann-1", Codecs.HARD_EXAMPLE.encode(e));
        assertTrue(Wire.eventually(Duration.ofSeconds(30), () -> store.sample("ann-1#3").isPresent()), "stored");

        JsonPath queue = given().get("/api/labels/queue?limit=1000&group=harbour").then().statusCode(200).extract()
                .jsonPath();
        List<String> keys = queue.getList("key");
        assertTrue(keys.contains("ann-1#3"), "the harbour sample is offered: " + keys);
        assertEquals(784, java.util.Base64.getDecoder().decode(queue.getString("find { it.key == 'ann-1#3' }.pixels"))
                .length, "with its image");
        assertTrue(given().get("/api/labels/queue?limit=1000&group=harbour").then().statusCode(200).extract()
                .jsonPath().getList("key").isEmpty(), "a sample handed out is not handed out twice");

        long before = Wire.stat("human_labels");
        given().contentType("application/json").body("{\"key\":\"ann-1#3\",\"label\":7,\"annotator\":\"sim\"}")
                .post("/api/labels").then().statusCode(200).body("humanLabels", equalTo((int) before + 1));
        assertEquals(7, store.humanLabel("ann-1#3").orElseThrow().getLabel());
    }

    @Test
    void badLabelsAreRefusedAndCounted() {
        long unknown = Wire.rejected("api/labels/UNKNOWN_SAMPLE");
        given().contentType("application/json").body("{\"key\":\"nobody#99\",\"label\":1}").post("/api/labels")
                .then().statusCode(404).contentType("application/problem+json").body("detail", containsString("nobody#99"));
        assertEquals(unknown + 1, Wire.rejected("api/labels/UNKNOWN_SAMPLE"));

        store.append(io.tandem.proto.v1.LabelledSample.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                .setExample(Wire.hardExample("f-lab", "ann-2", 1)).addAllTeacherLogits(
                        java.util.Collections.nCopies(10, 0f)).setTeacherLabel(0).setTeacherVersion("t1").build());
        long range = Wire.rejected("api/labels/OUT_OF_RANGE");
        given().contentType("application/json").body("{\"key\":\"ann-2#1\",\"label\":10}").post("/api/labels")
                .then().statusCode(400).body("detail", containsString("outside the classes"));
        assertEquals(range + 1, Wire.rejected("api/labels/OUT_OF_RANGE"));

        long malformed = Wire.rejected("api/labels/MALFORMED");
        given().contentType("application/json").body("{\"key\":\"no-sequence\",\"label\":1}").post("/api/labels")
                .then().statusCode(400);
        given().contentType("application/json").body("{\"label\":1}").post("/api/labels").then().statusCode(400);
        assertEquals(malformed + 2, Wire.rejected("api/labels/MALFORMED"));
    }

    @Test
    void triggersAreAddedInSednasShapeAndBadOnesAreNamed() {
        int id = given().contentType("application/json")
                .body("{\"metric\":\"drift_score\",\"operator\":\">\",\"threshold\":0.3,\"checkPeriod\":5,\"group\":\"harbour\"}")
                .post("/api/triggers").then().statusCode(200).body("rule.metric", equalTo("drift_score"))
                .extract().path("id");
        assertTrue(given().get("/api/triggers").then().statusCode(200).extract().jsonPath().getList("id").contains(id));
        given().delete("/api/triggers/" + id).then().statusCode(200);
        given().delete("/api/triggers/" + id).then().statusCode(404);

        long invalid = Wire.rejected("api/triggers/INVALID");
        given().contentType("application/json").body("{\"metric\":\"accuracy\",\"operator\":\">\",\"threshold\":0.3}")
                .post("/api/triggers").then().statusCode(400).body("detail", containsString("unknown metric 'accuracy'"));
        given().contentType("application/json").body("{\"metric\":\"drift_score\",\"operator\":\">\"}")
                .post("/api/triggers").then().statusCode(400).body("detail", containsString("threshold"));
        assertEquals(invalid + 2, Wire.rejected("api/triggers/INVALID"));
    }
}
