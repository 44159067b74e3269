package io.tandem.distill.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.distill.TestData;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.eval.Metrics;
import io.tandem.distill.eval.OnnxClassifier;
import io.tandem.distill.onnx.OnnxExporter;
import io.tandem.distill.train.ClassifierTrainer;
import io.tandem.distill.train.TrainConfig;
import io.tandem.distill.train.TrainedModel;
import io.tandem.distill.zoo.ModelZoo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelQuantizerTest {

    @TempDir
    static Path dir;

    static Path floatModel;

    @BeforeAll
    static void trainAndExport() {
        try (TrainedModel model = new ClassifierTrainer(System.out).train(ModelZoo.get(ModelZoo.STUDENT_TINY),
                TestData.train(3000), new float[0], Normalization.FASHION_MNIST, TrainConfig.supervised(2, 64, 2e-3f, 3))) {
            floatModel = OnnxExporter.write(model, Map.of(), dir.resolve("fp32.onnx"));
        }
    }

    private static double accuracy(Path model, ImageSet test) {
        try (OnnxClassifier c = OnnxClassifier.open(model, 1)) {
            return Metrics.accuracy(c.logits(test, Normalization.FASHION_MNIST), test.labels(), c.classes());
        }
    }

    @Test
    void int8ModelRunsIntegerKernelsAndKeepsAccuracy() throws Exception {
        ImageSet calibration = TestData.train(512);
        ImageSet test = TestData.test(1000);
        for (QuantType type : QuantType.values()) {
            for (Calibration calibrationMethod : Calibration.values()) {
                QuantConfig config = new QuantConfig(type, true, calibrationMethod, 99.99, Set.of(), false);
                Path out = dir.resolve("int8-" + type + "-" + calibrationMethod + ".onnx");
                ModelQuantizer.Result r = ModelQuantizer.quantize(floatModel, calibration, Normalization.FASHION_MNIST,
                        config, out);
                assertTrue(r.optimizedOps().containsKey("QLinearConv"), "ORT fused QLinearConv: " + r.optimizedOps());
                assertFalse(r.optimizedOps().containsKey("Conv"), "no float convolution left: " + r.optimizedOps());
                double fp32 = accuracy(floatModel, test);
                double int8 = accuracy(out, test);
                assertTrue(Math.abs(fp32 - int8) <= 0.03, type + "/" + calibrationMethod + ": fp32 " + fp32 + " int8 " + int8);
                assertTrue(Files.size(out) * 3 <= Files.size(floatModel), "at least 3x smaller file");
                io.tandem.distill.onnx.OfficialOnnxChecker.assertValid(out);
            }
        }
    }

    @Test
    void excludedLayersStayInFloat() {
        Path out = dir.resolve("partial.onnx");
        ModelQuantizer.Result r = ModelQuantizer.quantize(floatModel, TestData.train(128), Normalization.FASHION_MNIST,
                new QuantConfig(QuantType.UINT8, true, Calibration.MINMAX, 99.99, Set.of("conv0"), false), out);
        assertEquals(1, r.optimizedOps().getOrDefault("QLinearConv", 0), "only conv3 quantised: " + r.optimizedOps());
        assertTrue(r.optimizedOps().containsKey("Conv") || r.optimizedOps().containsKey("FusedConv"),
                "conv0 runs in float: " + r.optimizedOps());
        assertEquals(1, r.optimizedOps().getOrDefault("MaxPool", 0),
                "the pool after the float conv stays float, not ORT's slow uint8 NCHW MaxPool: " + r.optimizedOps());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelQuantizer.quantize(
                floatModel, TestData.train(16), Normalization.FASHION_MNIST,
                new QuantConfig(QuantType.UINT8, true, Calibration.MINMAX, 99.99, Set.of("nope"), false), out));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
    }

    @Test
    void weightOnlyModelIsSmallAndRunsTheFloatKernelsOnFoldedWeights() throws Exception {
        Path out = dir.resolve("weight-only.onnx");
        ModelQuantizer.Result r = ModelQuantizer.quantize(floatModel, TestData.train(128), Normalization.FASHION_MNIST,
                new QuantConfig(QuantType.UINT8, true, Calibration.MINMAX, 99.99, Set.of(), false,
                        Set.of("conv0", "conv3", "fc7")), out);
        assertTrue(Files.size(out) * 3 <= Files.size(floatModel), "int8 weights: at least 3x smaller file");
        assertEquals(0, r.integerKernels(), "float arithmetic: " + r.optimizedOps());
        assertFalse(r.optimizedOps().containsKey("DequantizeLinear"),
                "the model asks ORT to fold its weights once at load, not on every run: " + r.optimizedOps());
        ImageSet test = TestData.test(1000);
        assertTrue(Math.abs(accuracy(floatModel, test) - accuracy(out, test)) <= 0.02);
        io.tandem.distill.onnx.OfficialOnnxChecker.assertValid(out);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelQuantizer.quantize(
                floatModel, TestData.train(16), Normalization.FASHION_MNIST,
                new QuantConfig(QuantType.UINT8, true, Calibration.MINMAX, 99.99, Set.of(), false, Set.of("pool2")),
                dir.resolve("y.onnx")));
        assertTrue(e.getMessage().contains("pool2"), e.getMessage());
    }

    @Test
    void namesBadCalibrationDataAndCorruptModels() throws Exception {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Calibrator.ranges(
                io.tandem.distill.onnx.OnnxGraphs.read(floatModel), new float[] {Float.NaN}, 1, new long[] {1},
                Calibration.MINMAX, 99.9));
        Path corrupt = dir.resolve("corrupt.onnx");
        Files.write(corrupt, new byte[] {1, 2, 3, 4, 5, 6});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelQuantizer.quantize(corrupt,
                TestData.train(16), Normalization.FASHION_MNIST, QuantConfig.defaults(), dir.resolve("x.onnx")));
        assertTrue(e.getMessage().contains("not an ONNX model"), e.getMessage());
    }
}
