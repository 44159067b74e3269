package io.tandem.distill.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.distill.TestData;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.eval.OnnxClassifier;
import io.tandem.distill.train.ClassifierTrainer;
import io.tandem.distill.train.TrainConfig;
import io.tandem.distill.train.TrainedModel;
import io.tandem.distill.zoo.ModelZoo;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class OnnxExporterParityTest {

    @TempDir
    Path dir;

    static Iterable<String> architectures() {
        return ModelZoo.names();
    }

    @ParameterizedTest
    @MethodSource("architectures")
    void onnxRuntimeMatchesDjlAndTheOfficialCheckerAccepts(String name) throws Exception {
        ImageSet train = TestData.train(256);
        ImageSet batch = TestData.test(64);
        // A short real training run gives batch-norm non-trivial running statistics to fold.
        try (TrainedModel model = new ClassifierTrainer(System.out).train(ModelZoo.get(name), train, new float[0],
                Normalization.FASHION_MNIST, TrainConfig.supervised(1, 64, 1e-3f, 7))) {
            float[] djl = model.logits(batch, Normalization.FASHION_MNIST);
            Path file = OnnxExporter.write(model, Map.of("architecture", name), dir.resolve(name + ".onnx"));
            try (OnnxClassifier ort = OnnxClassifier.open(file, 1)) {
                assertEquals(10, ort.classes());
                float[] onnx = ort.logits(batch, Normalization.FASHION_MNIST);
                assertEquals(djl.length, onnx.length);
                double maxAbs = 0;
                for (int i = 0; i < djl.length; i++) {
                    maxAbs = Math.max(maxAbs, Math.abs(djl[i] - onnx[i]));
                }
                assertTrue(maxAbs <= 1e-4, name + ": max abs error " + maxAbs);
            }
            OfficialOnnxChecker.assertValid(file);
        }
    }
}
