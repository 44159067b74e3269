package io.tandem.cloud.retrain;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.proto.ArtifactDigest;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.TrainingJob;
import io.tandem.proto.v1.TrainingResult;
import jakarta.inject.Inject;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * The retrain queue as a worker and an operator use it, with the real service and brokers: the test claims the
 * bootstrap run as a worker would, checks the job it gets (the teacher in service, the settings), reports
 * progress, is refused for a malformed result, a result for another version and another worker's run (each
 * problem+json, counted), and delivers a student that lands in the registry; then the queue is empty. Roles: a
 * reader sees the runs but claims nothing, a worker claims but does not read.
 */
@QuarkusTest
@TestProfile(WithWorkers.class)
class PipelineRunsApiTest {

    private static final String RUNS = "/api/v1/pipeline-runs";

    @Inject
    ModelRegistry registry;

    @Inject
    io.tandem.cloud.teacher.TeacherModel teacher;

    private static String bearer(String token) {
        return "Bearer " + token;
    }

    private static Response claim(String worker) {
        return given().header("Authorization", bearer(WithWorkers.WORKER)).queryParam("worker", worker)
                .post(RUNS + "/claim");
    }

    @Test
    void aWorkerClaimsTrainsAndDeliversThroughTheQueue() throws Exception {
        given().header("Authorization", bearer(WithWorkers.READER)).get(RUNS).then().statusCode(200)
                .body("[0].version", org.hamcrest.Matchers.equalTo("v1")).body("[0].state",
                        org.hamcrest.Matchers.equalTo("QUEUED"));
        given().header("Authorization", bearer(WithWorkers.READER)).queryParam("worker", "r").post(RUNS + "/claim")
                .then().statusCode(403);
        given().header("Authorization", bearer(WithWorkers.WORKER)).get(RUNS).then().statusCode(403);
        given().header("Authorization", bearer(WithWorkers.WORKER)).post(RUNS + "/claim").then().statusCode(400)
                .contentType(containsString("problem+json")).body(containsString("worker"));

        Response claimed = claim("gpu-a");
        assertEquals(200, claimed.statusCode(), claimed.asString());
        assertEquals("application/x-protobuf", claimed.contentType());
        TrainingJob job = Codecs.TRAINING_JOB.decode(claimed.asByteArray());
        assertEquals(TrainingJob.Kind.STUDENT, job.getKind());
        assertEquals("student", job.getModelId());
        assertEquals("v1", job.getVersion());
        assertEquals(0, job.getSamplesCount(), "v1 learns from the teacher and the base data alone");
        assertEquals(teacher.manifest().getVersion(), job.getTeacher().getManifest().getVersion());
        assertEquals(job.getTeacher().getManifest().getSha256(),
                ArtifactDigest.sha256(job.getTeacher().getOnnx().toByteArray()), "the teacher's bytes are its manifest's");
        assertTrue(job.getSettings().getEpochs() > 0 && !job.getSettings().getStudentArchitecture().isEmpty());
        String run = RUNS + "/" + job.getRunId();

        given().header("Authorization", bearer(WithWorkers.WORKER)).queryParam("worker", "gpu-a").contentType("text/plain")
                .body("epoch 1/3 loss 0.91\n").post(run + "/progress").then().statusCode(204);
        given().header("Authorization", bearer(WithWorkers.WORKER)).queryParam("worker", "gpu-b").contentType("text/plain")
                .body("not mine\n").post(run + "/progress").then().statusCode(409)
                .contentType(containsString("problem+json"));
        given().header("Authorization", bearer(WithWorkers.READER)).get(run).then().statusCode(200)
                .body("state", org.hamcrest.Matchers.equalTo("RUNNING")).body("worker", org.hamcrest.Matchers.equalTo("gpu-a"))
                .body("progress", containsString("epoch 1/3"));

        given().header("Authorization", bearer(WithWorkers.WORKER)).queryParam("worker", "gpu-a")
                .contentType("application/x-protobuf").body(new byte[] {8, (byte) 0xff}).post(run + "/result").then()
                .statusCode(400).contentType(containsString("problem+json")).body(containsString("TrainingResult"));

        byte[] onnx;
        ModelManifest fixture;
        try (InputStream a = getClass().getClassLoader().getResourceAsStream("fixtures/student-tiny.onnx");
             InputStream b = getClass().getClassLoader().getResourceAsStream("fixtures/student-tiny.manifest.pb")) {
            onnx = a.readAllBytes();
            fixture = Codecs.MANIFEST.decode(b.readAllBytes());
        }
        ModelManifest wrong = fixture.toBuilder().setModelId("student").setVersion("v7").setRole("student")
                .setSha256(ArtifactDigest.sha256(onnx)).setSizeBytes(onnx.length).build();
        given().header("Authorization", bearer(WithWorkers.WORKER)).queryParam("worker", "gpu-a")
                .contentType("application/x-protobuf").body(result(job, wrong, onnx)).post(run + "/result").then()
                .statusCode(400).body(containsString("the run makes student v1"));
        assertTrue(registry.manifest("student", "v7").isEmpty(), "nothing registered for a result that does not fit");

        ModelManifest right = wrong.toBuilder().setVersion("v1").build();
        given().header("Authorization", bearer(WithWorkers.WORKER)).queryParam("worker", "gpu-b")
                .contentType("application/x-protobuf").body(result(job, right, onnx)).post(run + "/result").then()
                .statusCode(409);
        given().header("Authorization", bearer(WithWorkers.WORKER)).queryParam("worker", "gpu-a")
                .contentType("application/x-protobuf").body(result(job, right, onnx)).post(run + "/result").then()
                .statusCode(204);
        assertEquals(ArtifactDigest.sha256(onnx), registry.manifest("student", "v1").orElseThrow().getSha256(),
                "the worker's student is in the registry");
        given().header("Authorization", bearer(WithWorkers.READER)).get(run).then().statusCode(200)
                .body("state", org.hamcrest.Matchers.equalTo("SUCCEEDED")).body("promoted", org.hamcrest.Matchers.equalTo(true))
                .body("outcome", containsString("first student"));
        given().header("Authorization", bearer(WithWorkers.WORKER)).queryParam("worker", "gpu-a")
                .contentType("application/x-protobuf").body(result(job, right, onnx)).post(run + "/result").then()
                .statusCode(409).body(containsString("SUCCEEDED"));

        assertEquals(204, claim("gpu-a").statusCode(), "nothing else queued");
        given().header("Authorization", bearer(WithWorkers.READER)).get("/api/retrain").then().statusCode(200)
                .body("running", org.hamcrest.Matchers.equalTo(false)).body("last_version", org.hamcrest.Matchers.equalTo("v1"));
        String stats = given().header("Authorization", bearer(WithWorkers.READER)).get("/api/stats").then()
                .statusCode(200).extract().asString();
        assertTrue(stats.contains("api/pipeline-runs/MALFORMED") && stats.contains("api/pipeline-runs/INVALID"), stats);

        // An operator queues the next round; a second request while it is open is refused.
        given().header("Authorization", bearer(WithWorkers.OPERATOR)).contentType("application/json")
                .body("{\"reason\":\"\"}").post(RUNS).then().statusCode(400).body(containsString("reason"));
        given().header("Authorization", bearer(WithWorkers.OPERATOR)).contentType("application/json")
                .body("{\"reason\":\"operator asked\"}").post(RUNS).then().statusCode(202)
                .body("[0].reason", org.hamcrest.Matchers.equalTo("operator asked"));
        given().header("Authorization", bearer(WithWorkers.OPERATOR)).contentType("application/json")
                .body("{\"reason\":\"again\"}").post(RUNS).then().statusCode(409);
        TrainingJob next = Codecs.TRAINING_JOB.decode(claim("gpu-c").asByteArray());
        assertFalse(next.getDeployedOnnx().isEmpty(), "a later student is gated against what devices run");
        given().header("Authorization", bearer(WithWorkers.WORKER)).queryParam("worker", "gpu-c").contentType("text/plain")
                .body("out of memory").post(RUNS + "/" + next.getRunId() + "/failure").then().statusCode(204);
        given().header("Authorization", bearer(WithWorkers.READER)).get(RUNS + "/" + next.getRunId()).then()
                .body("state", org.hamcrest.Matchers.equalTo("FAILED")).body("outcome", containsString("out of memory"));
    }

    private static byte[] result(TrainingJob job, ModelManifest manifest, byte[] onnx) {
        return Codecs.TRAINING_RESULT.encode(TrainingResult.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                .setRunId(job.getRunId()).setPromoted(true).setReason("first student, no gate samples")
                .setManifest(manifest).setArtifact(com.google.protobuf.ByteString.copyFrom(onnx)).build());
    }
}
