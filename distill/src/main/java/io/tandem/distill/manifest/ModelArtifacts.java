package io.tandem.distill.manifest;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.tandem.distill.onnx.OnnxExporter;
import io.tandem.distill.train.TrainedModel;
import io.tandem.proto.ArtifactDigest;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.ModelManifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a model artifact: {@code <name>.onnx}, {@code <name>.manifest.pb} (the canonical form) and
 * {@code <name>.manifest.json} (for people), with the ONNX file's sha256 and size in the manifest.
 */
public final class ModelArtifacts {

    private ModelArtifacts() {
    }

    /** Files of one artifact. */
    public record Files3(Path onnx, Path manifestPb, Path manifestJson) {

        /** The artifact files for a base name in a folder. */
        public static Files3 of(Path dir, String name) {
            return new Files3(dir.resolve(name + ".onnx"), dir.resolve(name + ".manifest.pb"),
                    dir.resolve(name + ".manifest.json"));
        }
    }

    /** Exports the model and writes its manifest, completing sha256, size, parameters and creation time. */
    public static ModelManifest write(TrainedModel model, ModelManifest.Builder manifest, Path dir, String name) {
        Files3 files = Files3.of(dir, name);
        OnnxExporter.write(model, Map.of("tandem.model_id", manifest.getModelId(),
                "tandem.version", manifest.getVersion(), "tandem.architecture", model.architecture().name()), files.onnx());
        return writeManifest(manifest.setParameters(model.architecture().parameterCount()), files);
    }

    /** Completes a manifest from an existing ONNX file and writes it beside the file. */
    public static ModelManifest writeManifest(ModelManifest.Builder manifest, Files3 files) {
        try {
            ModelManifest complete = manifest.setSchemaVersion(Codecs.SCHEMA_VERSION).setSha256(sha256(files.onnx()))
                    .setSizeBytes(Files.size(files.onnx())).setCreatedAtMs(System.currentTimeMillis()).build();
            Files.write(files.manifestPb(), Codecs.MANIFEST.encode(complete));
            Files.writeString(files.manifestJson(), toJson(complete));
            return complete;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write manifest beside " + files.onnx(), e);
        }
    }

    /** Reads a manifest written by {@link #write}. */
    public static ModelManifest readManifest(Path manifestPb) {
        try {
            return Codecs.MANIFEST.decode(Files.readAllBytes(manifestPb));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read manifest " + manifestPb, e);
        }
    }

    /** The manifest as indented JSON. */
    public static String toJson(ModelManifest manifest) {
        try {
            return JsonFormat.printer().print(manifest);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("manifest cannot be printed as JSON", e);
        }
    }

    /** Parses a manifest printed by {@link #toJson}; fails naming what is wrong. */
    public static ModelManifest fromJson(String json) {
        try {
            ModelManifest.Builder b = ModelManifest.newBuilder();
            JsonFormat.parser().ignoringUnknownFields().merge(json, b);
            return b.build();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not a model manifest: " + e.getMessage(), e);
        }
    }

    /** Hex sha256 of a file, as manifests and deploy commands name it. */
    public static String sha256(Path file) {
        return ArtifactDigest.sha256(file);
    }
}
