package io.tandem.distill.kd;

import java.nio.file.Path;

/** Where a teacher comes from: any ONNX classifier (offline KD), or DJL parameters of a zoo model (online KD). */
public sealed interface Teacher {

    /** An ONNX classifier run by ONNX Runtime; its logits are computed once and cached. */
    record Onnx(Path file) implements Teacher {
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
