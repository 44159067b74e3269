package io.tandem.cloud.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.edge.joint.TeacherClient;
import io.tandem.proto.ArtifactDigest;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.ModelManifest;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bearer tokens with roles: 401 without a known token, 403 beyond the role, problem+json, health open. */
@QuarkusTest
@TestProfile(WithTokens.class)
class ApiAuthTest {

    @Inject
    ModelRegistry registry;

    @TestHTTPResource("/api/teacher/infer")
    URL teacher;

    private static String bearer(String token) {
        return "Bearer " + token;
    }

    @Test
    void writesNeedAnOperatorReadsAReaderAndDevicesOnlyTheirOwnEndpoints() throws Exception {
        String rollout = "{\"modelId\":\"student\",\"version\":\"nope\",\"fleet\":\"f\"}";
        given().contentType("application/json").body(rollout).post("/api/rollouts").then().statusCode(401)
                .header("WWW-Authenticate", "Bearer").contentType(containsString("problem+json"))
                .body(containsString("bearer token is required"));
        given().header("Authorization", bearer("guess")).contentType("application/json").body(rollout)
                .post("/api/rollouts").then().statusCode(401).body(containsString("not known"));
        given().header("Authorization", bearer(WithTokens.READER)).contentType("application/json").body(rollout)
                .post("/api/rollouts").then().statusCode(403).body(containsString("reader token may not POST"));
        given().header("Authorization", bearer(WithTokens.DEVICE)).contentType("application/json").body(rollout)
                .post("/api/rollouts").then().statusCode(403);
        given().header("Authorization", bearer(WithTokens.OPERATOR)).contentType("application/json").body(rollout)
                .post("/api/rollouts").then().statusCode(400).body(containsString("not registered"));
        given().header("Authorization", bearer(WithTokens.OPERATOR)).post("/api/keys/rotate").then().statusCode(200);
        given().header("Authorization", bearer(WithTokens.READER)).post("/api/keys/rotate").then().statusCode(403);

        given().get("/api/models").then().statusCode(401);
        given().header("Authorization", bearer(WithTokens.READER)).get("/api/models").then().statusCode(200);
        given().header("Authorization", bearer(WithTokens.DEVICE)).get("/api/fleet").then().statusCode(403);
        given().get("/api/health").then().statusCode(200);

        // The dashboard: a reader looks (page, snapshot, live events), acting on a rollout needs an operator.
        given().get("/dashboard/").then().statusCode(200).body(containsString("dashboard.js"));
        given().get("/api/v1/dashboard").then().statusCode(401);
        given().header("Authorization", bearer(WithTokens.READER)).get("/api/v1/dashboard").then().statusCode(200)
                .body("summary.devices", org.hamcrest.Matchers.greaterThanOrEqualTo(0));
        given().header("Authorization", bearer(WithTokens.READER)).post("/api/v1/rollouts/any/pause").then()
                .statusCode(403).contentType(containsString("problem+json"));
        given().header("Authorization", bearer(WithTokens.DEVICE)).get("/api/v1/models").then().statusCode(403);

        Path onnx = Files.createTempFile("auth", ".onnx");
        ModelManifest fixture;
        try (InputStream a = getClass().getClassLoader().getResourceAsStream("fixtures/student-tiny.onnx");
             InputStream b = getClass().getClassLoader().getResourceAsStream("fixtures/student-tiny.manifest.pb")) {
            Files.write(onnx, a.readAllBytes());
            fixture = Codecs.MANIFEST.decode(b.readAllBytes());
        }
        registry.register(onnx, fixture.toBuilder().setModelId("student").setVersion("auth-1").setRole("student")
                .setSha256(ArtifactDigest.sha256(onnx)).setSizeBytes(Files.size(onnx)).build());
        String artifact = "/api/models/student/auth-1/artifact";
        given().get(artifact).then().statusCode(401);
        given().header("Authorization", bearer(WithTokens.READER)).get(artifact).then().statusCode(403);
        byte[] bytes = given().header("Authorization", bearer(WithTokens.DEVICE)).get(artifact).then().statusCode(200)
                .extract().asByteArray();
        assertEquals(Files.size(onnx), bytes.length);
        // The same files under /api/v1, where deploy commands now point.
        String v1 = "/api/v1/models/student/auth-1/artifact";
        given().header("Authorization", bearer(WithTokens.READER)).get(v1).then().statusCode(403);
        assertEquals(Files.size(onnx), given().header("Authorization", bearer(WithTokens.DEVICE)).get(v1).then()
                .statusCode(200).extract().asByteArray().length);
        given().header("Authorization", bearer(WithTokens.READER)).get("/api/v1/models/student/auth-1/manifest").then()
                .statusCode(200).body(containsString("auth-1"));

        TeacherClient.Settings joint = new TeacherClient.Settings(teacher.toString(), 10_000, 1_000, 3,
                Duration.ofSeconds(1));
        assertEquals(TeacherClient.Outcome.ERROR, new TeacherClient(joint, "cam-a", "f").ask(1, new byte[784],
                List.of(1L, 28L, 28L)).get().outcome(), "no token, no teacher");
        assertEquals(TeacherClient.Outcome.TEACHER, new TeacherClient(joint.withApiToken(WithTokens.DEVICE), "cam-a",
                "f").ask(1, new byte[784], List.of(1L, 28L, 28L)).get().outcome());

        String stats = given().header("Authorization", bearer(WithTokens.READER)).get("/api/stats").then()
                .statusCode(200).extract().asString();
        assertTrue(stats.contains("api/auth/UNAUTHENTICATED") && stats.contains("api/auth/FORBIDDEN"), stats);
    }
}
