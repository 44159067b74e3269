package io.tandem.cloud.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.registry.ModelRegistered;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.proto.ArtifactDigest;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.ModelManifest;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.NotificationOptions;
import jakarta.enterprise.util.TypeLiteral;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The registry's metadata on both databases the service runs on: versions registered by one service are there
 * for the next (a new pool), in order; a version is never registered twice; a version folder prepared on disk (a
 * registry from before the database) is taken in, one whose artifact does not match its manifest is not.
 */
class ModelRegistryDatabaseTest extends OnBothDatabases {

    @Test
    void postgresKeepsTheRegistry() throws Exception {
        Path data = Files.createTempDirectory("tandem-registry-pg");
        lifecycle(data, () -> openPostgres());
    }

    @Test
    void theEmbeddedFileKeepsTheRegistry() throws Exception {
        Path data = Files.createTempDirectory("tandem-registry-h2");
        lifecycle(data, () -> openEmbedded(data));
    }

    private void lifecycle(Path data, Supplier<HikariDataSource> open) throws Exception {
        Path onnx = data.resolve("student.onnx");
        ModelManifest fixture;
        try (InputStream a = getClass().getClassLoader().getResourceAsStream("fixtures/student-tiny.onnx");
             InputStream b = getClass().getClassLoader().getResourceAsStream("fixtures/student-tiny.manifest.pb")) {
            Files.write(onnx, a.readAllBytes());
            fixture = Codecs.MANIFEST.decode(b.readAllBytes()).toBuilder().setModelId("student").setRole("student")
                    .setSha256(ArtifactDigest.sha256(onnx)).setSizeBytes(Files.size(onnx)).build();
        }
        // A version prepared on disk before the service starts, and one whose artifact is not its manifest's.
        Path prepared = Files.createDirectories(data.resolve("registry/student/v0"));
        Files.copy(onnx, prepared.resolve("model.onnx"));
        Files.write(prepared.resolve("manifest.pb"), Codecs.MANIFEST.encode(fixture.toBuilder().setVersion("v0")
                .setCreatedAtMs(500).build()));
        Path broken = Files.createDirectories(data.resolve("registry/student/v9"));
        Files.write(broken.resolve("model.onnx"), new byte[] {1, 2, 3});
        Files.write(broken.resolve("manifest.pb"), Codecs.MANIFEST.encode(fixture.toBuilder().setVersion("v9").build()));

        List<ModelRegistered> fired = new ArrayList<>();
        try (HikariDataSource pool = open.get()) {
            ModelRegistry registry = registry(data, pool, fired);
            registry.register(onnx, fixture.toBuilder().setVersion("v2").setCreatedAtMs(2_000).build());
            registry.register(onnx, fixture.toBuilder().setVersion("v1").setCreatedAtMs(1_000).build());
            assertThrows(IllegalStateException.class, () -> registry.register(onnx, fixture.toBuilder().setVersion("v1")
                    .setCreatedAtMs(3_000).build()), "a version is registered once");
            assertThrows(IllegalArgumentException.class, () -> registry.register(onnx, fixture.toBuilder()
                    .setVersion("v3").setSha256("0".repeat(64)).build()), "the artifact must be the manifest's");
            assertEquals(2, fired.size(), "each registration announced once");
        }
        try (HikariDataSource pool = open.get()) {
            ModelRegistry registry = registry(data, pool, new ArrayList<>());
            assertEquals(List.of("v0", "v1", "v2"), registry.versions("student").stream().map(ModelManifest::getVersion)
                    .toList(), "oldest first; the prepared folder taken in, the broken one left out");
            assertEquals("v2", registry.latest("student").orElseThrow().getVersion());
            assertEquals(List.of("student"), registry.modelIds());
            assertTrue(registry.manifest("student", "v9").isEmpty());
            assertEquals(ArtifactDigest.sha256(onnx), ArtifactDigest.sha256(registry.artifact("student", "v1")
                    .orElseThrow()));
            assertTrue(registry.fallback("student", "v1").isEmpty(), "no fallback named, none served");
        }
    }

    private static ModelRegistry registry(Path data, HikariDataSource pool, List<ModelRegistered> fired) {
        TandemConfig config = new SmallRyeConfigBuilder().withMapping(TandemConfig.class)
                .withSources(new PropertiesConfigSource(Map.of("tandem.data-dir", data.toString()), "test", 500)).build()
                .getConfigMapping(TandemConfig.class);
        return ModelRegistry.over(config, Database.over(pool), new Recorder(fired));
    }

    /** Records the registry's announcements. */
    private record Recorder(List<ModelRegistered> fired) implements Event<ModelRegistered> {
        @Override
        public void fire(ModelRegistered event) {
            fired.add(event);
        }

        @Override
        public <U extends ModelRegistered> CompletionStage<U> fireAsync(U event) {
            throw new UnsupportedOperationException();
        }

        @Override
        public <U extends ModelRegistered> CompletionStage<U> fireAsync(U event, NotificationOptions options) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Event<ModelRegistered> select(Annotation... qualifiers) {
            return this;
        }

        @Override
        public <U extends ModelRegistered> Event<U> select(Class<U> subtype, Annotation... qualifiers) {
            throw new UnsupportedOperationException();
        }

        @Override
        public <U extends ModelRegistered> Event<U> select(TypeLiteral<U> subtype, Annotation... qualifiers) {
            throw new UnsupportedOperationException();
        }
    }
}
