package io.tandem.distill.cli;

import io.tandem.distill.data.FashionMnist;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.eval.Evaluation;
import io.tandem.distill.manifest.ModelArtifacts;
import io.tandem.distill.manifest.ModelInput;
import io.tandem.proto.v1.ModelManifest;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distill eval}: the evaluation report of an ONNX model, written beside it and into its manifest. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate an ONNX model on the test set: JSON and Markdown report, confusion matrix PNG.")
final class EvalCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "ONNX model; its manifest gives the input spec and classes")
    Path model;

    @Option(names = "--teacher", description = "Teacher ONNX model, for the agreement figure")
    Path teacher;

    @Option(names = "--manifest", description = "The model's manifest (default: <model>.manifest.pb beside it)")
    Path manifestFile;

    @Option(names = "--data", description = "Fashion-MNIST folder (default: ${DEFAULT-VALUE})")
    Path data = FashionMnist.DEBIAN_DIR;

    @Option(names = "--eval-limit", description = "First N test images (default: ${DEFAULT-VALUE})")
    int evalLimit = 10_000;

    @Override
    public Integer call() {
        String base = model.getFileName().toString().replaceFirst("\\.onnx$", "");
        Path dir = model.toAbsolutePath().getParent();
        ModelManifest manifest = ModelInput.manifestOf(model, manifestFile);
        ModelInput input = ModelInput.of(manifest);
        ImageSet test = input.require(FashionMnist.test(data), data.toString()).head(evalLimit);
        Evaluation e = Evaluation.run(model, test, input.normalization(), teacher, manifest.getTemperature(),
                manifest.getParameters());
        e.write(dir, base, input.classes());
        ModelArtifacts.writeManifest(manifest.toBuilder().putAllMetrics(e.metrics()), ModelArtifacts.Files3.of(dir, base));
        System.out.printf(Locale.ROOT, "%s: accuracy %.4f, ECE %.4f, %,d bytes, batch 1 p50 %.3f ms, batch 64 p50 %.3f ms%n",
                model.getFileName(), e.accuracy(), e.ece(), e.fileBytes(), e.latency().get("batch1_p50"),
                e.latency().get("batch64_p50"));
        System.out.println("report: " + dir.resolve(base + ".eval.md"));
        return 0;
    }
}
