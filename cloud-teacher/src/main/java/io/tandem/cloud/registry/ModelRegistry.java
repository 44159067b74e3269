package io.tandem.cloud.registry;

import io.tandem.cloud.config.TandemConfig;
import io.tandem.distill.manifest.ModelArtifacts;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.ModelManifest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The file-system model registry: {@code registry/<model id>/<version>/} holds {@code model.onnx},
 * {@code manifest.pb} and {@code manifest.json}. Versions are never overwritten.
 */
@ApplicationScoped
public class ModelRegistry {

    /** Model id of the fleet's students, as the retrain pipeline registers them. */
    public static final String STUDENT_ID = "student";
    /** Model id of the teachers. */
    public static final String TEACHER_ID = "teacher";

    /** Model id of the students made for one device group: {@code student.<group>}. */
    public static String studentId(String group) {
        return group.isEmpty() ? STUDENT_ID : STUDENT_ID + "." + group;
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    @Inject
    TandemConfig config;

    @Inject
    Event<ModelRegistered> registered;

    private Path root() {
        return config.dataDir().resolve("registry");
    }

    /** Copies an artifact into the registry; the manifest's sha256 must match the file. */
    public synchronized ModelManifest register(Path onnx, ModelManifest manifest) {
        return register(onnx, manifest, null);
    }

    /**
     * Copies an artifact and the FP32 file devices may fall back to ({@code fallback}, whose sha256 the
     * manifest's {@code fallback_sha256} names; null for none) into the registry.
     */
    public synchronized ModelManifest register(Path onnx, ModelManifest manifest, Path fallback) {
        if (fallback != null && !ModelArtifacts.sha256(fallback).equals(manifest.getFallbackSha256())) {
            throw new IllegalArgumentException("fallback " + fallback + " does not match the manifest's fallback_sha256");
        }
        checkName(manifest.getModelId());
        checkName(manifest.getVersion());
        String actual = ModelArtifacts.sha256(onnx);
        if (!actual.equals(manifest.getSha256())) {
            throw new IllegalArgumentException("artifact " + onnx + " has sha256 " + actual + ", manifest says "
                    + manifest.getSha256());
        }
        Path dir = dir(manifest.getModelId(), manifest.getVersion());
        if (Files.exists(dir.resolve("manifest.pb"))) {
            throw new IllegalStateException(manifest.getModelId() + " " + manifest.getVersion() + " is already registered");
        }
        try {
            Files.createDirectories(dir);
            Files.copy(onnx, dir.resolve("model.onnx"), StandardCopyOption.REPLACE_EXISTING);
            if (fallback != null) {
                Files.copy(fallback, dir.resolve("fallback.onnx"), StandardCopyOption.REPLACE_EXISTING);
            }
            Files.writeString(dir.resolve("manifest.json"), ModelArtifacts.toJson(manifest));
            // The manifest is written last: its presence marks a complete registration.
            Path tmp = dir.resolve("manifest.pb.tmp");
            Files.write(tmp, Codecs.MANIFEST.encode(manifest));
            Files.move(tmp, dir.resolve("manifest.pb"), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot register " + manifest.getModelId() + " " + manifest.getVersion(), e);
        }
        registered.fire(new ModelRegistered(manifest));
        return manifest;
    }

    /** The manifest of one version. */
    public Optional<ModelManifest> manifest(String modelId, String version) {
        if (!NAME.matcher(modelId).matches() || !NAME.matcher(version).matches()) {
            return Optional.empty();
        }
        Path pb = dir(modelId, version).resolve("manifest.pb");
        return Files.exists(pb) ? Optional.of(ModelArtifacts.readManifest(pb)) : Optional.empty();
    }

    /** The ONNX file of one registered version. */
    public Optional<Path> artifact(String modelId, String version) {
        return manifest(modelId, version).map(m -> dir(modelId, version).resolve("model.onnx"));
    }

    /** The FP32 fallback of a registered version, when it has one. */
    public Optional<Path> fallback(String modelId, String version) {
        return manifest(modelId, version).filter(m -> !m.getFallbackSha256().isEmpty())
                .map(m -> dir(modelId, version).resolve("fallback.onnx"));
    }

    /** Every registered version of a model, oldest first. */
    public List<ModelManifest> versions(String modelId) {
        Path dir = root().resolve(modelId);
        if (!NAME.matcher(modelId).matches() || !Files.isDirectory(dir)) {
            return List.of();
        }
        List<ModelManifest> out = new ArrayList<>();
        try (Stream<Path> children = Files.list(dir)) {
            children.map(p -> p.resolve("manifest.pb")).filter(Files::exists)
                    .forEach(p -> out.add(ModelArtifacts.readManifest(p)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        out.sort(Comparator.comparingLong(ModelManifest::getCreatedAtMs));
        return out;
    }

    /** Every model id. */
    public List<String> modelIds() {
        if (!Files.isDirectory(root())) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(root())) {
            return children.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root(), e);
        }
    }

    /** The newest version of a model. */
    public Optional<ModelManifest> latest(String modelId) {
        List<ModelManifest> all = versions(modelId);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    private Path dir(String modelId, String version) {
        return root().resolve(modelId).resolve(version);
    }

    private static void checkName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("model id and version must match " + NAME.pattern() + ", got: " + name);
        }
    }
}
