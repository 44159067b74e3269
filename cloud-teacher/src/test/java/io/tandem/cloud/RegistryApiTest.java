package io.tandem.cloud;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.quarkus.test.junit.QuarkusTest;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.cloud.store.SampleStore;
import io.tandem.distill.manifest.ModelArtifacts;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.DType;
import io.tandem.proto.v1.GateReason;
import io.tandem.proto.v1.HardExample;
import io.tandem.proto.v1.LabelledSample;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.Tensor;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
class RegistryApiTest {

    @Inject
    ModelRegistry registry;

    @Inject
    SampleStore store;

    private ModelManifest register(String version, byte[] artifact) throws Exception {
        Path file = Files.createTempFile("model", ".onnx");
        Files.write(file, artifact);
        ModelManifest m = ModelManifest.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setModelId("student")
                .setVersion(version).setRole("student").setArchitecture("student-tiny").setParentTeacherVersion("t1")
                .addClassLabels("a").addClassLabels("b").setSha256(ModelArtifacts.sha256(file))
                .setSizeBytes(artifact.length).setCreatedAtMs(System.currentTimeMillis()).build();
        return registry.register(file, m);
    }

    @Test
    void servesRegisteredArtifactsAndManifests() throws Exception {
        String version = "t-" + UUID.randomUUID().toString().substring(0, 8);
        byte[] artifact = ("not really onnx " + version).getBytes();
        ModelManifest m = register(version, artifact);

        given().when().get("/api/models").then().statusCode(200).body("student", hasItem(version));
        given().when().get("/api/models/student/" + version + "/manifest").then().statusCode(200)
                .body("sha256", equalTo(m.getSha256())).body("parentTeacherVersion", equalTo("t1"));
        byte[] downloaded = given().when().get("/api/models/student/" + version + "/artifact").then().statusCode(200)
                .extract().asByteArray();
        assertArrayEquals(artifact, downloaded);
        given().when().get("/api/models/student/nope/artifact").then().statusCode(404);
        given().when().get("/api/models/student/bad%20name/manifest").then().statusCode(404);

        assertThrows(IllegalStateException.class, () -> register(version, artifact), "versions are never overwritten");
    }

    @Test
    void refusesAnArtifactWhoseHashDisagreesWithItsManifest() throws Exception {
        Path file = Files.createTempFile("model", ".onnx");
        Files.writeString(file, "bytes");
        ModelManifest m = ModelManifest.newBuilder().setSchemaVersion(1).setModelId("student").setVersion("bad")
                .setRole("student").addClassLabels("a").setSha256("0".repeat(64)).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> registry.register(file, m));
        assertTrue(e.getMessage().contains("sha256"), e.getMessage());
    }

    @Test
    void rolloutRequestsNameWhatIsMissing() {
        given().contentType("application/json").body("{}").when().post("/api/rollouts").then().statusCode(400);
        given().contentType("application/json").body("{\"modelId\":\"student\",\"version\":\"nope\",\"fleet\":\"f\"}")
                .when().post("/api/rollouts").then().statusCode(400);
    }

    @Test
    void storeKeepsEachDeviceSequenceOnce() {
        long seq = System.nanoTime();
        HardExample.Builder e = HardExample.newBuilder().setSchemaVersion(1).setDeviceId("d1").setFleet("f")
                .setModelVersion("v1").setSequence(seq).setGateReason(GateReason.LOW_CONFIDENCE)
                .setInput(Tensor.newBuilder().addShape(1).addShape(2).addShape(2).setDtype(DType.UINT8)
                        .setData(ByteString.copyFrom(new byte[4])))
                .addProbabilities(0.5f).addProbabilities(0.5f);
        LabelledSample s = LabelledSample.newBuilder().setSchemaVersion(1).setExample(e).addTeacherLogits(1f)
                .addTeacherLogits(2f).setTeacherLabel(1).setTeacherVersion("t1").build();
        long before = store.size();
        assertTrue(store.append(s));
        assertFalse(store.append(s), "a redelivered sample is not stored twice");
        assertEquals(before + 1, store.size());
        assertEquals(before + 1, store.trainingSet().size());
        given().when().get("/api/stats").then().statusCode(200).body("samples_stored", equalTo((int) (before + 1)));
    }
}
