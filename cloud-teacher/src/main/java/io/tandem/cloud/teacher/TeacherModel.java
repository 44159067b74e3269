package io.tandem.cloud.teacher;

import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.eval.OnnxClassifier;
import io.tandem.distill.manifest.ModelArtifacts;
import io.tandem.proto.v1.ModelManifest;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/**
 * The teacher in service: an ONNX classifier run by ONNX Runtime, with the manifest written beside it by
 * {@code distill train-teacher} (or by hand for a bring-your-own teacher). It is registered in the model
 * registry as model {@code teacher} on first use.
 */
@ApplicationScoped
public class TeacherModel {

    private static final Logger LOG = Logger.getLogger(TeacherModel.class);

    @Inject
    TandemConfig config;

    @Inject
    ModelRegistry registry;

    private OnnxClassifier classifier;
    private ModelManifest manifest;
    private Normalization normalization;

    /** Whether a teacher is configured. */
    public boolean configured() {
        return config.teacher().onnx().isPresent();
    }

    private synchronized void load() {
        if (classifier != null) {
            return;
        }
        Path onnx = config.teacher().onnx().orElseThrow(() -> new IllegalStateException(
                "no teacher configured: set tandem.teacher.onnx to a teacher ONNX file"));
        Path manifestFile = onnx.resolveSibling(onnx.getFileName().toString().replaceFirst("\\.onnx$", "")
                + ".manifest.pb");
        if (!Files.exists(manifestFile)) {
            throw new IllegalStateException("teacher manifest " + manifestFile + " is missing");
        }
        ModelManifest m = ModelArtifacts.readManifest(manifestFile);
        String actual = ModelArtifacts.sha256(onnx);
        if (!actual.equals(m.getSha256())) {
            throw new IllegalStateException("teacher " + onnx + " has sha256 " + actual + " but its manifest says "
                    + m.getSha256());
        }
        OnnxClassifier c = OnnxClassifier.open(onnx, config.teacher().threads());
        var in = m.getInput();
        c.requireInput((int) in.getShape(0), (int) in.getShape(1), (int) in.getShape(2));
        normalization = new Normalization(in.getScale(), in.getMean(), in.getStd());
        if (registry.manifest(m.getModelId(), m.getVersion()).isEmpty()) {
            registry.register(onnx, m);
        }
        manifest = m;
        classifier = c;
        LOG.infof("teacher %s %s loaded from %s", m.getArchitecture(), m.getVersion(), onnx);
    }

    /** The teacher's ONNX file. */
    public Path onnx() {
        load();
        return config.teacher().onnx().orElseThrow();
    }

    /** The teacher's manifest. */
    public ModelManifest manifest() {
        load();
        return manifest;
    }

    /** How raw pixels become the teacher's input. */
    public Normalization normalization() {
        load();
        return normalization;
    }

    /** Teacher logits for a batch of raw unsigned-byte images of the teacher's input size. */
    public synchronized float[] logits(byte[][] raw) {
        load();
        int pixels = raw[0].length;
        float[] x = new float[raw.length * pixels];
        for (int i = 0; i < raw.length; i++) {
            normalization.apply(raw[i], 0, pixels, x, i * pixels);
        }
        return classifier.logits(x, raw.length);
    }

    /** The teacher's number of classes. */
    public int classes() {
        load();
        return classifier.classes();
    }

    @PreDestroy
    synchronized void close() {
        if (classifier != null) {
            classifier.close();
        }
    }
}
