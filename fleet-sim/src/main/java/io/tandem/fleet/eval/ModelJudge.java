package io.tandem.fleet.eval;

import io.tandem.distill.data.ImageSet;
import io.tandem.distill.eval.Metrics;
import io.tandem.distill.eval.OnnxClassifier;
import io.tandem.distill.kd.SitePrior;
import io.tandem.distill.manifest.ModelArtifacts;
import io.tandem.distill.manifest.ModelInput;
import io.tandem.fleet.cloud.CloudApi;
import io.tandem.proto.v1.ModelManifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Measures registered models on the scenario's frames, as an auditor outside the loop would: downloads
 * each artifact and manifest once through the cloud's API and runs it with ONNX Runtime, normalising
 * inputs as its manifest says.
 */
public final class ModelJudge {

    private final CloudApi api;
    private final Path cache;
    private final Map<String, ModelManifest> manifests = new HashMap<>();

    /** A judge keeping downloads in {@code cache}. */
    public ModelJudge(CloudApi api, Path cache) {
        this.api = api;
        this.cache = cache;
    }

    /** The manifest of a registered version. */
    public synchronized ModelManifest manifest(String modelId, String version) {
        return manifests.computeIfAbsent(modelId + "/" + version,
                k -> ModelArtifacts.fromJson(api.manifest(modelId, version).toString()));
    }

    /** Share of {@code frames} the version classifies right. */
    public double accuracy(String modelId, String version, ImageSet frames) {
        return accuracy(modelId, version, frames, new float[0]);
    }

    /**
     * Share of {@code frames} the version classifies right when, as the cloud's teacher does for a site's devices,
     * {@code siteShift} (per class; empty for none) is added to its calibrated logits.
     */
    public double accuracy(String modelId, String version, ImageSet frames, float[] siteShift) {
        ModelManifest m = manifest(modelId, version);
        try (OnnxClassifier c = OnnxClassifier.open(artifact(modelId, version), Runtime.getRuntime().availableProcessors())) {
            float[] logits = c.logits(frames, ModelInput.of(m).normalization());
            if (siteShift.length == c.classes()) {
                SitePrior.addShift(logits, 0, logits.length, siteShift, m.getTemperature() > 0 ? m.getTemperature() : 1);
            }
            return Metrics.accuracy(logits, frames.labels(), c.classes());
        }
    }

    /** The artifact of a registered version, downloaded once. */
    public synchronized Path artifact(String modelId, String version) {
        Path file = cache.resolve(modelId + "-" + version + ".onnx");
        if (!Files.exists(file)) {
            try {
                Files.createDirectories(cache);
                Files.write(file, api.artifact(modelId, version));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot keep " + file, e);
            }
        }
        return file;
    }
}
