package io.tandem.worker;

import com.google.protobuf.ByteString;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.eval.Metrics;
import io.tandem.distill.eval.OnnxClassifier;
import io.tandem.distill.manifest.SmokeInputs;
import io.tandem.distill.quant.CpuFeatures;
import io.tandem.distill.quant.DeviceInt8;
import io.tandem.proto.ArtifactDigest;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.TrainingResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Makes a student that passed its gate ready to ship: quantized to INT8 for devices (the form devices run
 * best, {@code tandem.retrain.int8}), unless that loses more than {@link #MAX_INT8_LOSS} of test accuracy,
 * when the FP32 file ships; smoke inputs attached so a device can check the model before it swaps it in.
 */
final class StudentPackaging {

    /** Largest loss of test accuracy an INT8 student may show and still ship in INT8. */
    static final double MAX_INT8_LOSS = 0.01;

    private StudentPackaging() {
    }

    /**
     * The result that ships {@code fp32} (with {@code manifest}) in the form {@code int8Mode} asks for.
     *
     * @param calibration images to calibrate the quantizer and make smoke inputs from (never the test images)
     * @param eval the test images the INT8 and FP32 files are compared on
     */
    static TrainingResult.Builder ship(Path fp32, ModelManifest manifest, String int8Mode, ImageSet calibration,
            ImageSet eval, Normalization normalization) {
        ModelManifest m = manifest;
        if (int8Mode.equals("off")) {
            m = m.toBuilder().setQuantization("fp32").setQuantizationReason("tandem.retrain.int8=off").build();
            return fp32Result(fp32, SmokeInputs.attach(fp32, m, calibration, normalization));
        }
        boolean dot = int8Mode.equals("qdq") || (int8Mode.equals("auto") && CpuFeatures.hasVnni());
        Path int8 = fp32.resolveSibling("student-int8.onnx");
        DeviceInt8.Choice c = DeviceInt8.quantize(fp32, calibration.head(512), normalization, dot, int8);
        double fp32Accuracy = m.getMetricsOrThrow("eval_accuracy");
        double int8Accuracy;
        try (OnnxClassifier q = OnnxClassifier.open(int8, 1)) {
            int8Accuracy = Metrics.accuracy(q.logits(eval, normalization), eval.labels(), q.classes());
        }
        if (fp32Accuracy - int8Accuracy > MAX_INT8_LOSS) {
            m = m.toBuilder().setQuantization("fp32").putMetrics("int8_eval_accuracy", int8Accuracy)
                    .setQuantizationReason(String.format("%s lost %.2f points on the test images; FP32 ships", c.form(),
                            (fp32Accuracy - int8Accuracy) * 100)).build();
            return fp32Result(fp32, SmokeInputs.attach(fp32, m, calibration, normalization));
        }
        m = m.toBuilder().setQuantization(c.form()).setQuantizationReason(c.reason())
                .putMetrics("int8_eval_accuracy", int8Accuracy).setFallbackSha256(ArtifactDigest.sha256(fp32))
                .setFallbackSizeBytes(m.getSizeBytes()).setSha256(ArtifactDigest.sha256(int8)).setSizeBytes(size(int8))
                .build();
        m = SmokeInputs.attach(int8, m, calibration, normalization);
        return TrainingResult.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setPromoted(true).setManifest(m)
                .setArtifact(read(int8)).setFallback(read(fp32));
    }

    private static TrainingResult.Builder fp32Result(Path fp32, ModelManifest m) {
        return TrainingResult.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setPromoted(true).setManifest(m)
                .setArtifact(read(fp32));
    }

    static ByteString read(Path file) {
        try {
            return ByteString.copyFrom(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
