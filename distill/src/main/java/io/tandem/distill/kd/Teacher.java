package io.tandem.distill.kd;

import java.nio.file.Path;

/** Where a teacher comes from: any ONNX classifier (offline KD), or DJL parameters of a zoo model (online KD). */
public sealed interface Teacher {

    /**
     * An ONNX classifier run by ONNX Runtime; its logits are computed once and cached. {@code logitShift}, unless
     * empty, is added to every logit it gives a student to learn from (a site's class mix, {@link SitePrior}).
     */
    record Onnx(Path file, float[] logitShift) implements Teacher {

        /** The teacher's logits as they are. */
        public Onnx(Path file) {
            this(file, new float[0]);
        }
    }

    /** A zoo architecture with DJL parameters saved by {@code distill teacher}; run on every batch. */
    record Djl(String architecture, Path paramsDir) implements Teacher {
    }

    /** Parses {@code X.onnx} or {@code djl:DIR} (teacher-cnn parameters in DIR). */
    static Teacher parse(String spec) {
        if (spec.startsWith("djl:")) {
            return new Djl(io.tandem.distill.zoo.ModelZoo.TEACHER_CNN, Path.of(spec.substring(4)));
        }
        return new Onnx(Path.of(spec));
    }
}
