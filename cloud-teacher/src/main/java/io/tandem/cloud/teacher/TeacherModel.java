package io.tandem.cloud.teacher;

import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.registry.ModelRegistry;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.eval.OnnxClassifier;
import io.tandem.distill.manifest.ModelArtifacts;
import io.tandem.proto.v1.ModelManifest;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import org.jboss.logging.Logger;

/**
 * The teacher in service: an ONNX classifier run by ONNX Runtime, with its manifest and, beside them, the
 * DJL parameters it can be fine-tuned from. It starts as the configured teacher ({@code tandem.teacher.onnx},
 * written by {@code distill train-teacher}) or the newest teacher the pipeline promoted before a restart
 * ({@code <data-dir>/teachers/<version>/}); {@link #promote} replaces it. Every teacher in service is in the
 * registry as model {@code teacher}.
 */
@ApplicationScoped
public class TeacherModel {

    private static final Logger LOG = Logger.getLogger(TeacherModel.class);
    /** The file name of a teacher's ONNX artifact in its folder. */
    public static final String ONNX = "teacher.onnx";

    @Inject
    TandemConfig config;

    @Inject
    ModelRegistry registry;

    private OnnxClassifier classifier;
    private ModelManifest manifest;
    private Normalization normalization;
    private Path onnx;

    /** Whether a teacher is configured. */
    public boolean configured() {
        return config.teacher().onnx().isPresent();
    }

    /** Where promoted teachers keep their artifact, manifest and parameters. */
    public Path promotedDir(String version) {
        return config.dataDir().resolve("teachers").resolve(version);
    }

    private synchronized void load() {
        if (classifier != null) {
            return;
        }
        Path configured = config.teacher().onnx().orElseThrow(() -> new IllegalStateException(
                "no teacher configured: set tandem.teacher.onnx to a teacher ONNX file"));
        Path file = registry.versions(ModelRegistry.TEACHER_ID).stream()
                .sorted(Comparator.comparingLong(ModelManifest::getCreatedAtMs).reversed())
                .map(m -> promotedDir(m.getVersion()).resolve(ONNX)).filter(Files::isRegularFile).findFirst()
                .orElse(configured);
        use(file, readManifest(file));
    }

    private static ModelManifest readManifest(Path onnx) {
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
        return m;
    }

    private void use(Path file, ModelManifest m) {
        OnnxClassifier c = OnnxClassifier.open(file, config.teacher().threads());
        var in = m.getInput();
        try {
            c.requireInput((int) in.getShape(0), (int) in.getShape(1), (int) in.getShape(2));
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        if (registry.manifest(m.getModelId(), m.getVersion()).isEmpty()) {
            registry.register(file, m);
        }
        OnnxClassifier old = classifier;
        normalization = new Normalization(in.getScale(), in.getMean(), in.getStd());
        manifest = m;
        onnx = file;
        classifier = c;
        if (old != null) {
            old.close();
        }
        LOG.infof("teacher %s %s in service, from %s", m.getArchitecture(), m.getVersion(), file);
    }

    /**
     * Puts a new teacher in service: {@code dir} holds {@value #ONNX}, its manifest and its DJL parameters.
     * The new teacher labels every sample from now on.
     */
    public synchronized void promote(Path dir) {
        load();
        Path file = dir.resolve(ONNX);
        use(file, readManifest(file));
    }

    /** The teacher's ONNX file. */
    public synchronized Path onnx() {
        load();
        return onnx;
    }

    /** The folder with the teacher's DJL parameters, to fine-tune it from. */
    public synchronized Path paramsDir() {
        load();
        return onnx.getParent();
    }

    /** The teacher's manifest. */
    public synchronized ModelManifest manifest() {
        load();
        return manifest;
    }

    /** How raw pixels become the teacher's input. */
    public synchronized Normalization normalization() {
        load();
        return normalization;
    }

    /** Teacher logits for a batch of raw unsigned-byte images of the teacher's input size. */
    public synchronized float[] logits(byte[][] raw) {
        load();
        int pixels = raw[0].length;
        float[] x = new float[Math.multiplyExact(raw.length, pixels)];
        for (int i = 0; i < raw.length; i++) {
            normalization.apply(raw[i], 0, pixels, x, i * pixels);
        }
        return classifier.logits(x, raw.length);
    }

    /** Teacher logits {@code [n * classes]} for every image of a set, in the classifier's own batches. */
    public synchronized float[] logits(ImageSet images) {
        load();
        return classifier.logits(images, normalization);
    }

    /** The teacher's number of classes. */
    public synchronized int classes() {
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
