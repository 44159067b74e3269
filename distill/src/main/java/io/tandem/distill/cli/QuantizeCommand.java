package io.tandem.distill.cli;

import io.tandem.distill.data.FashionMnist;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.eval.Evaluation;
import io.tandem.distill.kd.EdgeSamples;
import io.tandem.distill.manifest.ModelArtifacts;
import io.tandem.distill.manifest.ModelInput;
import io.tandem.distill.quant.Calibration;
import io.tandem.distill.quant.CpuFeatures;
import io.tandem.distill.quant.ModelQuantizer;
import io.tandem.distill.quant.QuantConfig;
import io.tandem.distill.quant.QuantType;
import io.tandem.proto.Codecs;
import io.tandem.proto.RecordFiles;
import io.tandem.proto.v1.LabelledSample;
import io.tandem.proto.v1.ModelManifest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distill quantize}: INT8 post-training static quantisation of an ONNX model. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Quantise an ONNX model to INT8 (QDQ), calibrating on training images or stored edge samples.")
final class QuantizeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Float ONNX model; its manifest gives the input spec"
            + " and classes and is copied beside the output")
    Path model;

    @Option(names = "--out", required = true, description = "INT8 ONNX file to write")
    Path out;

    @Option(names = "--manifest", description = "The model's manifest (default: <model>.manifest.pb beside it)")
    Path manifestFile;

    @Option(names = "--data", description = "Fashion-MNIST folder (default: ${DEFAULT-VALUE})")
    Path data = FashionMnist.DEBIAN_DIR;

    @Option(names = "--samples", description = "Calibrate on stored edge samples (a sample-store file) instead")
    Path samples;

    @Option(names = "--calibration-size", description = "Calibration inputs (default: ${DEFAULT-VALUE})")
    int calibrationSize = 512;

    @Option(names = "--activations", description = "uint8 (U8S8) or int8 (S8S8) (default: ${DEFAULT-VALUE})")
    QuantType activations = QuantType.UINT8;

    @Option(names = "--reduce-range", description = "7-bit weights: auto (on without VNNI), on, off (default: ${DEFAULT-VALUE})")
    String reduceRange = "auto";

    @Option(names = "--method", description = "minmax or percentile (default: ${DEFAULT-VALUE})")
    Calibration method = Calibration.MINMAX;

    @Option(names = "--percentile", description = "Upper percentile for --method percentile (default: ${DEFAULT-VALUE})")
    double percentile = 99.99;

    @Option(names = "--exclude", split = ",", description = "Node names kept in float, e.g. conv0,fc7")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--weight-only", split = ",", description = "Conv/Gemm nodes whose weights are stored as int8"
            + " but computed in float, e.g. conv0")
    List<String> weightOnly = new ArrayList<>();

    @Option(names = "--eval-limit", description = "Test images for the report (default: ${DEFAULT-VALUE})")
    int evalLimit = 10_000;

    @Option(names = "--quantize-output", description = "Quantise the last layer's output too")
    boolean quantizeOutput;

    @Override
    public Integer call() {
        boolean reduce = switch (reduceRange) {
            case "auto" -> !CpuFeatures.hasVnni();
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException("--reduce-range must be auto, on or off, got " + reduceRange);
        };
        QuantConfig config = new QuantConfig(activations, reduce, method, percentile, new HashSet<>(exclude),
                quantizeOutput, new HashSet<>(weightOnly));
        ModelManifest m = ModelInput.manifestOf(model, manifestFile);
        ModelInput input = ModelInput.of(m);
        ImageSet calibration;
        if (samples != null) {
            List<LabelledSample> stored = new ArrayList<>();
            RecordFiles.read(samples, Codecs.LABELLED_SAMPLE, stored::add,
                    e -> System.err.println("skipping sample: " + e.getMessage()));
            calibration = EdgeSamples.from(stored, input.rows(), input.cols(), input.classes().size()).images()
                    .head(calibrationSize);
            if (calibration.size() == 0) {
                throw new IllegalArgumentException(samples + " holds no usable samples for calibration");
            }
        } else {
            calibration = input.require(FashionMnist.heldOutPart(FashionMnist.train(data)), data.toString())
                    .head(calibrationSize);
        }
        System.out.printf("calibrating on %d inputs (%s, %s activations, %s weights)%n", calibration.size(),
                method, activations, reduce ? "7-bit" : "8-bit");
        ModelQuantizer.Result r = ModelQuantizer.quantize(model, calibration, input.normalization(), config, out);
        System.out.println("ONNX Runtime runs: " + r.optimizedOps());
        if (r.integerKernels() == 0 && weightOnly.isEmpty()) {
            throw new IllegalStateException("ONNX Runtime runs no integer kernel for " + out + "; nothing was gained");
        }
        String base = out.getFileName().toString().replaceFirst("\\.onnx$", "");
        Path dir = out.toAbsolutePath().getParent();
        Evaluation report = Evaluation.run(out, input.require(FashionMnist.test(data), data.toString()).head(evalLimit),
                input.normalization(), null, m.getTemperature(), m.getParameters());
        report.write(dir, base, input.classes());
        ModelArtifacts.writeManifest(m.toBuilder().putAllMetrics(report.metrics()).putMetrics("int8", 1)
                .setDataSnapshot(m.getDataSnapshot() + " | int8 calibrated on " + calibration.size()
                        + (samples == null ? " held-out images" : " edge samples")), ModelArtifacts.Files3.of(dir, base));
        System.out.printf("int8 accuracy %.4f on %d test images; report %s%n", report.accuracy(), report.samples(),
                dir.resolve(base + ".eval.md"));
        System.out.println("wrote " + out);
        return 0;
    }
}
