package io.tandem.distill.cli;

import io.tandem.distill.data.FashionMnist;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.eval.Evaluation;
import io.tandem.distill.eval.Metrics;
import io.tandem.distill.kd.EdgeSamples;
import io.tandem.distill.kd.StudentDistiller;
import io.tandem.distill.kd.Teacher;
import io.tandem.distill.manifest.ModelArtifacts;
import io.tandem.distill.onnx.OnnxExporter;
import io.tandem.distill.train.ClassifierTrainer;
import io.tandem.distill.train.DjlRuntime;
import io.tandem.distill.train.TrainConfig;
import io.tandem.distill.train.TrainedModel;
import io.tandem.distill.zoo.Architecture;
import io.tandem.distill.zoo.ModelZoo;
import io.tandem.proto.Codecs;
import io.tandem.proto.RecordFiles;
import io.tandem.proto.v1.LabelledSample;
import io.tandem.proto.v1.ModelManifest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The {@code distill} command line: train a teacher, distil a student, export to ONNX. */
@Command(name = "distill", mixinStandardHelpOptions = true, version = "tandem-distill 0.1",
        description = "Train teachers, distil students and export them to ONNX.",
        subcommands = {DistillCli.TrainTeacher.class, DistillCli.Distill.class, DistillCli.Export.class,
            QuantizeCommand.class, EvalCommand.class, BenchCommand.class, SpeedCommand.class})
public final class DistillCli {

    /** Runs the CLI and exits with its status. */
    public static void main(String[] args) {
        DjlRuntime.configure();
        CommandLine cli = new CommandLine(new DistillCli());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("distill: " + e.getMessage());
            return 2;
        });
        System.exit(cli.execute(args));
    }

    /** Options shared by the training commands. */
    static final class DataOptions {
        /** The data folder, for commands that need only the test set. */
        Path dataDir() {
            return data;
        }

        @Option(names = "--data", description = "Folder with Fashion-MNIST IDX files (default: ${DEFAULT-VALUE})")
        Path data = FashionMnist.DEBIAN_DIR;

        @Option(names = "--limit", description = "Use the first N training images (default: all)")
        int limit = Integer.MAX_VALUE;

        @Option(names = "--eval-limit", description = "Evaluate on the first N test images (default: ${DEFAULT-VALUE})")
        int evalLimit = 10_000;

        @Option(names = "--epochs", description = "Epochs (default: ${DEFAULT-VALUE})")
        int epochs = 1;

        @Option(names = "--batch", description = "Batch size (default: ${DEFAULT-VALUE})")
        int batch = 64;

        @Option(names = "--lr", description = "Adam learning rate (default: ${DEFAULT-VALUE})")
        float lr = 1e-3f;

        @Option(names = "--schedule", description = "Learning-rate schedule: fixed or cosine (decays to zero over "
                + "the run) (default: ${DEFAULT-VALUE})")
        String schedule = "fixed";

        @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE})")
        long seed = 42;

        private ImageSet full;

        ImageSet train() {
            return FashionMnist.trainingPart(full(), limit);
        }

        ImageSet heldOut() {
            return FashionMnist.heldOutPart(full());
        }

        private ImageSet full() {
            if (full == null) {
                full = FashionMnist.train(data);
            }
            return full;
        }

        ImageSet eval() {
            return FashionMnist.test(data).head(evalLimit);
        }
    }

    @Command(name = "train-teacher", aliases = "teacher", mixinStandardHelpOptions = true,
            description = "Train teacher-cnn with cross-entropy; writes DJL parameters and an ONNX artifact.")
    static final class TrainTeacher implements Callable<Integer> {
        @Mixin
        DataOptions data;

        @Option(names = "--arch", description = "Zoo architecture (default: ${DEFAULT-VALUE})")
        String arch = ModelZoo.TEACHER_CNN;

        @Option(names = "--version", description = "Version recorded in the manifest (default: ${DEFAULT-VALUE})")
        String version = "t1";

        @Option(names = "--out", required = true, description = "Output folder")
        Path out;

        @Override
        public Integer call() {
            Architecture architecture = ModelZoo.get(arch);
            ImageSet train = data.train();
            ImageSet eval = data.eval();
            System.out.printf("training %s (%,d parameters, %,d MACs per inference) on %,d images%n", arch,
                    architecture.parameterCount(), architecture.macs(), train.size());
            try (TrainedModel model = new ClassifierTrainer(System.out).train(architecture, train, new float[0],
                    Normalization.FASHION_MNIST, TrainConfig.supervised(data.epochs, data.batch, data.lr, data.seed).withSchedule(data.schedule))) {
                model.save(out);
                double accuracy = Metrics.accuracy(model.logits(eval, Normalization.FASHION_MNIST), eval.labels(),
                        architecture.classes());
                ModelManifest manifest = ModelArtifacts.write(model, ModelManifest.newBuilder()
                        .setModelId("teacher").setVersion(version).setRole("teacher").setArchitecture(arch)
                        .setMacs(architecture.macs())
                        .setDataSnapshot("fashion-mnist/train[0:" + train.size() + "]")
                        .setBaseTrainingSamples(train.size())
                        .setInput(Normalization.FASHION_MNIST.toInputSpec(architecture.inputShape()))
                        .addAllClassLabels(FashionMnist.CLASSES)
                        .putMetrics("eval_accuracy", accuracy).putMetrics("eval_samples", eval.size()), out, "teacher");
                Evaluation report = Evaluation.run(out.resolve("teacher.onnx"), eval, Normalization.FASHION_MNIST, null,
                        1f, manifest.getParameters());
                report.write(out, "teacher", FashionMnist.CLASSES);
                manifest = ModelArtifacts.writeManifest(manifest.toBuilder().putAllMetrics(report.metrics()),
                        ModelArtifacts.Files3.of(out, "teacher"));
                System.out.printf("teacher %s: test accuracy %.4f on %d images, sha256 %s, report %s%n", version, accuracy,
                        eval.size(), manifest.getSha256(), out.resolve("teacher.eval.md"));
            }
            return 0;
        }
    }

    @Command(name = "distill", aliases = "student", mixinStandardHelpOptions = true,
            description = "Distil a student from an ONNX teacher, optionally with labelled edge samples.")
    static final class Distill implements Callable<Integer> {
        @Mixin
        DataOptions data;

        @Option(names = "--teacher", required = true,
                description = "Teacher: an ONNX file (any classifier, offline KD) or djl:DIR (teacher-cnn parameters"
                        + " written by 'distill teacher', online KD)")
        String teacher;

        @Option(names = "--unlabelled", description = "Ignore the training labels: learn from the teacher's soft"
                + " targets alone (alpha 1)")
        boolean unlabelled;

        @Option(names = "--optimizer", description = "adam or sgd (default: ${DEFAULT-VALUE})")
        String optimizer = "adam";

        @Option(names = "--teacher-version", description = "Teacher version for the manifest (default: ${DEFAULT-VALUE})")
        String teacherVersion = "t1";

        @Option(names = "--student", description = "Student architecture (default: ${DEFAULT-VALUE})")
        String student = ModelZoo.STUDENT_TINY;

        @Option(names = "--temperature", description = "Distillation temperature (default: ${DEFAULT-VALUE})")
        float temperature = TrainConfig.DEFAULT_TEMPERATURE;

        @Option(names = "--alpha", description = "Weight of the distillation term (default: ${DEFAULT-VALUE})")
        float alpha = TrainConfig.DEFAULT_ALPHA;

        @Option(names = "--samples", description = "Labelled edge samples (a sample-store file)")
        Path samples;

        @Option(names = "--version", description = "Student version (default: ${DEFAULT-VALUE})")
        String version = "v1";

        @Option(names = "--out", required = true, description = "Output folder")
        Path out;

        @Override
        public Integer call() {
            Architecture architecture = ModelZoo.get(student);
            ImageSet train = data.train();
            if (unlabelled) {
                train = new ImageSet(train.pixels(), new int[0], train.rows(), train.cols());
                alpha = 1f;
            }
            List<LabelledSample> labelled = new ArrayList<>();
            if (samples != null) {
                RecordFiles.ReadSummary summary = RecordFiles.read(samples, Codecs.LABELLED_SAMPLE, labelled::add,
                        e -> System.err.println("skipping sample: " + e.getMessage()));
                System.out.printf("read %d edge samples from %s (%d rejected%s)%n", summary.records(), samples,
                        summary.rejected(), summary.truncatedTail() ? ", truncated tail" : "");
            }
            EdgeSamples edge = EdgeSamples.from(labelled, train.rows(), train.cols(), architecture.classes());
            if (unlabelled) {
                edge = edge.withoutLabels();
            }
            edge.skipped().forEach(s -> System.err.println("skipping sample " + s));
            ModelManifest manifest = new StudentDistiller(System.out, Runtime.getRuntime().availableProcessors())
                    .distill(new StudentDistiller.Request(architecture, Teacher.parse(teacher), teacherVersion, train, edge,
                            data.heldOut(),
                            data.eval(),
                            Normalization.FASHION_MNIST,
                            new TrainConfig(data.epochs, data.batch, data.lr, data.seed, temperature, alpha, optimizer,
                                    data.schedule),
                            ModelManifest.newBuilder().setModelId("student").setVersion(version)
                                    .setDataSnapshot("fashion-mnist/train[0:" + train.size() + "]"
                                            + (samples == null ? "" : " + " + samples.getFileName())),
                            out, "student"));
            System.out.printf("student %s: test accuracy %.4f, teacher agreement %.4f, sha256 %s%n", version,
                    manifest.getMetricsOrThrow("eval_accuracy"), manifest.getMetricsOrThrow("teacher_agreement"),
                    manifest.getSha256());
            return 0;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Export saved DJL parameters of a zoo architecture to ONNX.")
    static final class Export implements Callable<Integer> {
        @Option(names = "--arch", required = true, description = "Zoo architecture")
        String arch;

        @Option(names = "--params", required = true, description = "Folder holding <arch>-0000.params")
        Path params;

        @Option(names = "--out", required = true, description = "ONNX file to write")
        Path out;

        @Override
        public Integer call() {
            try (TrainedModel model = TrainedModel.load(ModelZoo.get(arch), params)) {
                OnnxExporter.write(model, Map.of("tandem.architecture", arch), out);
            }
            System.out.println("wrote " + out);
            return 0;
        }
    }
}
