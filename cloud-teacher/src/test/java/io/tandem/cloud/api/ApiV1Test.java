package io.tandem.cloud.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.tandem.cloud.brokers.WithBrokers;
import org.junit.jupiter.api.Test;

/**
 * The control plane under {@code /api/v1}: typed bodies, Bean Validation of what is posted (problem+json naming the
 * field), and every endpoint described in the OpenAPI document.
 */
@QuarkusTest
@TestProfile(WithBrokers.class)
class ApiV1Test {

    @Test
    void triggersAreTypedValidatedAndKept() {
        int id = given().contentType("application/json")
                .body("{\"metric\":\"drift_score\",\"operator\":\">=\",\"threshold\":0.3,\"site\":\"harbour\"}")
                .post("/api/v1/triggers").then().statusCode(201).body("metric", equalTo("drift_score"))
                .body("site", equalTo("harbour")).body("checkPeriodSeconds", equalTo(10)).extract().path("id");
        given().get("/api/v1/triggers").then().statusCode(200).body("id", hasItem(id));

        given().contentType("application/json").body("{\"metric\":\"cpu_load\",\"threshold\":1}").post("/api/v1/triggers")
                .then().statusCode(400).contentType(containsString("problem+json"))
                .body("invalid_params[0].name", equalTo("metric")).body("detail", containsString("unknown metric"));
        given().contentType("application/json").body("{\"metric\":\"drift_score\",\"threshold\":0.2,\"checkPeriodSeconds\":0}")
                .post("/api/v1/triggers").then().statusCode(400).body("invalid_params[0].name", equalTo("checkPeriodSeconds"));
        given().contentType("application/json").body("{\"metric\":\"drift_score\",\"operator\":\"~\"}")
                .post("/api/v1/triggers").then().statusCode(400).body("detail", containsString("operator"))
                .body("detail", containsString("threshold"));

        given().delete("/api/v1/triggers/" + id).then().statusCode(204);
        given().delete("/api/v1/triggers/" + id).then().statusCode(404).contentType(containsString("problem+json"));
        given().get("/api/v1/triggers").then().statusCode(200).body("id", not(hasItem(id)));
    }

    @Test
    void keysLabelsDevicesAndTheTeacherLiveUnderV1() {
        String before = given().get("/api/v1/keys").then().statusCode(200).extract().path("current");
        String after = given().post("/api/v1/keys/rotate").then().statusCode(200).body("keys." + before,
                org.hamcrest.Matchers.notNullValue()).extract().path("current");
        assertTrue(!after.equals(before), "a new key signs after a rotation, the old one is still listed");
        given().get("/api/v1/keys/current").then().statusCode(200).contentType(containsString("text/plain"));
        given().get("/api/v1/labels/queue").then().statusCode(200);
        given().contentType("application/json").body("{\"key\":\"cam-none#99\",\"label\":3}").post("/api/v1/labels").then()
                .statusCode(404);
        given().get("/api/v1/devices/credentials").then().statusCode(409).contentType(containsString("problem+json"));
        byte[] frame = io.tandem.proto.v1.TeacherRequest.newBuilder().setSchemaVersion(io.tandem.proto.Codecs.SCHEMA_VERSION)
                .setDeviceId("cam-v1").setFleet("f-v1").setSequence(1).setBudgetMs(30_000)
                .setInput(io.tandem.proto.v1.Tensor.newBuilder().addAllShape(java.util.List.of(1L, 28L, 28L))
                        .setDtype(io.tandem.proto.v1.DType.UINT8)
                        .setData(com.google.protobuf.ByteString.copyFrom(new byte[784]))).build().toByteArray();
        given().contentType("application/x-protobuf").body(frame).post("/api/v1/teacher/infer").then().statusCode(200);
        given().get("/api/v1/teacher/stats").then().statusCode(200)
                .body("answered", org.hamcrest.Matchers.greaterThanOrEqualTo(1))
                .body("refused_queue_full", org.hamcrest.Matchers.greaterThanOrEqualTo(0));
    }

    @Test
    void theOpenApiDocumentDescribesTheV1Api() {
        String doc = given().get("/q/openapi").then().statusCode(200).extract().asString();
        for (String path : new String[] {"/api/v1/rollouts", "/api/v1/pipeline-runs", "/api/v1/triggers",
                "/api/v1/fleet", "/api/v1/models", "/api/v1/labels", "/api/v1/keys", "/api/v1/devices",
                "/api/v1/teacher/infer", "/api/v1/dashboard"}) {
            assertTrue(doc.contains(path), path + " is described");
        }
    }
}
