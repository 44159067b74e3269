package io.tandem.cloud.registry;

import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.db.Database;
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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The model registry: each version's manifest is a row of the database ({@code model_version}), its artifacts are
 * files under {@code registry/<model id>/<version>/} ({@code model.onnx}, and {@code fallback.onnx} when the
 * manifest names an FP32 fallback). Versions are never overwritten. A version folder with a {@code manifest.pb}
 * but no row (a registry from before the database, or one prepared on disk) is taken in at first use.
 */
@ApplicationScoped
public class ModelRegistry {

    private static final Logger LOG = Logger.getLogger(ModelRegistry.class);

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

    @Inject
    Database database;

    private volatile boolean imported;

    /** A registry over a configuration and database made elsewhere (a repository test). */
    public static ModelRegistry over(TandemConfig config, Database database, Event<ModelRegistered> registered) {
        ModelRegistry r = new ModelRegistry();
        r.config = config;
        r.database = database;
        r.registered = registered;
        return r;
    }

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
        takeInFolders();
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
        if (manifest(manifest.getModelId(), manifest.getVersion()).isPresent()) {
            throw new IllegalStateException(manifest.getModelId() + " " + manifest.getVersion() + " is already registered");
        }
        Path dir = dir(manifest.getModelId(), manifest.getVersion());
        try {
            Files.createDirectories(dir);
            Files.copy(onnx, dir.resolve("model.onnx"), StandardCopyOption.REPLACE_EXISTING);
            if (fallback != null) {
                Files.copy(fallback, dir.resolve("fallback.onnx"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot register " + manifest.getModelId() + " " + manifest.getVersion(), e);
        }
        // The row is written last: its commit marks a complete registration.
        insert(manifest);
        registered.fire(new ModelRegistered(manifest));
        return manifest;
    }

    private void insert(ModelManifest m) {
        database.inTransaction("model registry", c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO model_version (model_id, version, role,"
                    + " device_group, created_ms, sha256, fallback_sha256, manifest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                p.setString(1, m.getModelId());
                p.setString(2, m.getVersion());
                p.setString(3, truncate(m.getRole(), 32));
                p.setString(4, truncate(m.getDeviceGroup(), 64));
                p.setLong(5, m.getCreatedAtMs());
                p.setString(6, m.getSha256());
                p.setString(7, m.getFallbackSha256());
                p.setString(8, Base64.getEncoder().encodeToString(Codecs.MANIFEST.encode(m)));
                return p.executeUpdate();
            }
        });
    }

    /** The manifest of one version. */
    public Optional<ModelManifest> manifest(String modelId, String version) {
        if (!NAME.matcher(modelId).matches() || !NAME.matcher(version).matches()) {
            return Optional.empty();
        }
        takeInFolders();
        return query("SELECT manifest FROM model_version WHERE model_id = ? AND version = ?", modelId, version).stream()
                .findFirst();
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
        if (!NAME.matcher(modelId).matches()) {
            return List.of();
        }
        takeInFolders();
        return query("SELECT manifest FROM model_version WHERE model_id = ? ORDER BY created_ms, version", modelId);
    }

    /** Every model id. */
    public List<String> modelIds() {
        takeInFolders();
        return database.inTransaction("model registry", c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT DISTINCT model_id FROM model_version ORDER BY model_id");
                 ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
            return out;
        });
    }

    /** The newest version of a model. */
    public Optional<ModelManifest> latest(String modelId) {
        List<ModelManifest> all = versions(modelId);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    private List<ModelManifest> query(String sql, String... args) {
        return database.inTransaction("model registry", c -> {
            List<ModelManifest> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    p.setString(i + 1, args[i]);
                }
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(Codecs.MANIFEST.decode(Base64.getDecoder().decode(r.getString(1))));
                    }
                }
            }
            return out;
        });
    }

    /**
     * Takes in, once per start, every version folder with a {@code manifest.pb} whose artifact matches it and
     * that has no row yet.
     */
    private void takeInFolders() {
        if (imported) {
            return;
        }
        synchronized (this) {
            if (imported) {
                return;
            }
            imported = true;
            if (!Files.isDirectory(root())) {
                return;
            }
            int taken = 0;
            try (Stream<Path> models = Files.list(root())) {
                for (Path model : models.filter(Files::isDirectory).toList()) {
                    try (Stream<Path> versions = Files.list(model)) {
                        for (Path pb : versions.map(v -> v.resolve("manifest.pb")).filter(Files::isRegularFile).toList()) {
                            taken += takeIn(pb) ? 1 : 0;
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + root(), e);
            }
            if (taken > 0) {
                LOG.infof("model registry: %d versions taken in from their folders under %s", taken, root());
            }
        }
    }

    private boolean takeIn(Path pb) {
        ModelManifest m = ModelArtifacts.readManifest(pb);
        Path dir = pb.getParent();
        if (!NAME.matcher(m.getModelId()).matches() || !NAME.matcher(m.getVersion()).matches()
                || !dir.equals(dir(m.getModelId(), m.getVersion()))) {
            LOG.warnf("model registry: %s names %s %s, not its folder; left out", pb, m.getModelId(), m.getVersion());
            return false;
        }
        if (manifest(m.getModelId(), m.getVersion()).isPresent()) {
            return false;
        }
        Path onnx = dir.resolve("model.onnx");
        if (!Files.isRegularFile(onnx) || !ModelArtifacts.sha256(onnx).equals(m.getSha256())) {
            LOG.warnf("model registry: %s does not match its manifest's sha256; left out", onnx);
            return false;
        }
        insert(m);
        return true;
    }

    private Path dir(String modelId, String version) {
        return root().resolve(modelId).resolve(version);
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    private static void checkName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("model id and version must match " + NAME.pattern() + ", got: " + name);
        }
    }
}
