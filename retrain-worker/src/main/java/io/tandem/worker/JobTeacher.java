package io.tandem.worker;

import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.eval.OnnxClassifier;
import io.tandem.proto.ArtifactDigest;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.TeacherBundle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The teacher a job names, on this worker's disk: its ONNX file (run by ONNX Runtime, to label samples and to
 * be distilled from), its manifest, and the parameters it is fine-tuned from, all in one folder.
 */
final class JobTeacher implements AutoCloseable {

    /** The teacher's ONNX file name in its folder. */
    static final String ONNX = "teacher.onnx";

    private final Path dir;
    private final ModelManifest manifest;
    private final Normalization normalization;
    private final OnnxClassifier classifier;

    private JobTeacher(Path dir, ModelManifest manifest, int threads) {
        this.dir = dir;
        this.manifest = manifest;
        var in = manifest.getInput();
        this.normalization = new Normalization(in.getScale(), in.getMean(), in.getStd());
        this.classifier = OnnxClassifier.open(dir.resolve(ONNX), threads);
        try {
            classifier.requireInput((int) in.getShape(0), (int) in.getShape(1), (int) in.getShape(2));
        } catch (RuntimeException e) {
            classifier.close();
            throw e;
        }
    }

    /**
     * Writes a job's teacher into {@code dir} and opens it.
     *
     * @throws IllegalArgumentException when the ONNX file is not the one its manifest names
     */
    static JobTeacher unpack(TeacherBundle bundle, Path dir, int threads) {
        String actual = ArtifactDigest.sha256(bundle.getOnnx().toByteArray());
        if (!actual.equals(bundle.getManifest().getSha256())) {
            throw new IllegalArgumentException("the job's teacher ONNX has sha256 " + actual + " but its manifest says "
                    + bundle.getManifest().getSha256());
        }
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(ONNX), bundle.getOnnx().toByteArray());
            if (!bundle.getParamsName().isEmpty()) {
                Path params = dir.resolve(bundle.getParamsName()).normalize();
                if (!params.getParent().equals(dir.normalize())) {
                    throw new IllegalArgumentException("the job's teacher parameters name a file outside its folder: "
                            + bundle.getParamsName());
                }
                Files.write(params, bundle.getParams().toByteArray());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the job's teacher to " + dir, e);
        }
        return new JobTeacher(dir, bundle.getManifest(), threads);
    }

    /** Opens a teacher this worker wrote itself (a fine-tuned one) in {@code dir}. */
    static JobTeacher open(Path dir, ModelManifest manifest, int threads) {
        return new JobTeacher(dir, manifest, threads);
    }

    ModelManifest manifest() {
        return manifest;
    }

    Normalization normalization() {
        return normalization;
    }

    Path onnx() {
        return dir.resolve(ONNX);
    }

    /** The folder with the teacher's parameters, to fine-tune it from. */
    Path paramsDir() {
        return dir;
    }

    int classes() {
        return classifier.classes();
    }

    /** Teacher logits for a batch of raw unsigned-byte images of the teacher's input size. */
    float[] logits(byte[][] raw) {
        int pixels = raw[0].length;
        float[] x = new float[Math.multiplyExact(raw.length, pixels)];
        for (int i = 0; i < raw.length; i++) {
            normalization.apply(raw[i], 0, pixels, x, i * pixels);
        }
        return classifier.logits(x, raw.length);
    }

    /** Teacher logits {@code [n * classes]} for every image of a set. */
    float[] logits(ImageSet images) {
        return classifier.logits(images, normalization);
    }

    @Override
    public void close() {
        classifier.close();
    }
}
