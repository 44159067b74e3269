package io.tandem.distill.cli;

import io.tandem.distill.calib.TemperatureScaling;
import io.tandem.distill.data.FashionMnist;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.eval.Json;
import io.tandem.distill.eval.LatencyProbe;
import io.tandem.distill.eval.Metrics;
import io.tandem.distill.eval.OnnxClassifier;
import io.tandem.distill.onnx.OnnxExporter;
import io.tandem.distill.onnx.OnnxGraphs;
import io.tandem.distill.quant.Calibration;
import io.tandem.distill.quant.CpuFeatures;
import io.tandem.distill.quant.ModelQuantizer;
import io.tandem.distill.quant.QdqQuantizer;
import io.tandem.distill.quant.QuantConfig;
import io.tandem.distill.quant.QuantType;
import io.tandem.distill.train.ClassifierTrainer;
import io.tandem.distill.train.TrainConfig;
import io.tandem.distill.train.TrainedModel;
import io.tandem.distill.zoo.Architecture;
import io.tandem.distill.zoo.ModelZoo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code distill bench}: measures the distillation and quantisation targets in one run, so every ratio
 * compares figures taken on the same machine at the same time. Prints Markdown and writes JSON.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure KD quality, INT8 accuracy/size/latency and training speed in one run.")
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--data", description = "Fashion-MNIST folder (default: ${DEFAULT-VALUE})")
    Path data = FashionMnist.DEBIAN_DIR;

    @Option(names = "--out", description = "Output folder (default: ${DEFAULT-VALUE})")
    Path out = Path.of("target/distill-bench");

    @Option(names = "--limit", description = "Training images (default: all but the held-out tail)")
    int limit = Integer.MAX_VALUE;

    @Option(names = "--teacher-epochs", description = "Teacher epochs (default: ${DEFAULT-VALUE})")
    int teacherEpochs = 3;

    @Option(names = "--student-epochs", description = "Epochs of every student, with and without KD (default: ${DEFAULT-VALUE})")
    int studentEpochs = 5;

    @Option(names = "--seeds", description = "Seeds per student recipe (default: ${DEFAULT-VALUE})")
    int seeds = 3;

    @Option(names = "--first-seed", description = "The first seed; seeds run from it upwards (default: ${DEFAULT-VALUE})")
    int firstSeed = 1;

    @Option(names = "--kd-temperature", description = "Distillation temperature (default: ${DEFAULT-VALUE})")
    float kdTemperature = TrainConfig.DEFAULT_TEMPERATURE;

    @Option(names = "--kd-alpha", description = "Weight of the distillation term (default: ${DEFAULT-VALUE})")
    float kdAlpha = TrainConfig.DEFAULT_ALPHA;

    @Option(names = "--schedule", description = "Learning-rate schedule of every student: fixed or cosine"
            + " (default: ${DEFAULT-VALUE})")
    String schedule = "fixed";

    @Option(names = "--student-lr", description = "Adam learning rate of every student (default: ${DEFAULT-VALUE})")
    float studentLr = 2e-3f;

    @Option(names = "--students-only", description = "Stop after comparing the KD and CE-only students (no INT8)")
    boolean studentsOnly;

    @Option(names = "--teacher", description = "Use this teacher ONNX instead of training one")
    Path teacherOnnx;

    @Option(names = "--latency-repeats", description = "Round-robin latency rounds over all models; medians are reported"
            + " (default: ${DEFAULT-VALUE})")
    int latencyRepeats = 5;

    private final Map<String, Object> results = new LinkedHashMap<>();

    @Override
    public Integer call() throws IOException {
        Files.createDirectories(out);
        ImageSet full = FashionMnist.train(data);
        ImageSet train = FashionMnist.trainingPart(full, limit);
        ImageSet heldOut = FashionMnist.heldOutPart(full);
        ImageSet test = FashionMnist.test(data);
        Normalization norm = Normalization.FASHION_MNIST;
        results.put("machine", machine());
        results.put("train_images", train.size());
        results.put("kd_temperature", kdTemperature);
        results.put("kd_alpha", kdAlpha);
        results.put("student_epochs", studentEpochs);
        results.put("student_learning_rate", studentLr);
        results.put("student_schedule", schedule);
        results.put("test_images", test.size());

        Architecture teacherArch = ModelZoo.get(ModelZoo.TEACHER_CNN);
        Path teacher = teacherOnnx;
        if (teacher == null) {
            teacher = out.resolve("teacher.onnx");
            long start = System.nanoTime();
            try (TrainedModel t = new ClassifierTrainer(System.out).train(teacherArch, train, new float[0], norm,
                    TrainConfig.supervised(teacherEpochs, 64, 1e-3f, 1))) {
                OnnxExporter.write(t, Map.of(), teacher);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            results.put("teacher_train_images_per_second", train.size() * (double) teacherEpochs / seconds);
        }
        float[] teacherLogits;
        double teacherAccuracy;
        try (OnnxClassifier t = OnnxClassifier.open(teacher, Runtime.getRuntime().availableProcessors())) {
            teacherLogits = t.logits(train, norm);
            teacherAccuracy = Metrics.accuracy(t.logits(test, norm), test.labels(), t.classes());
        }
        results.put("teacher_accuracy", teacherAccuracy);
        results.put("teacher_parameters", teacherArch.parameterCount());

        Architecture tiny = ModelZoo.get(ModelZoo.STUDENT_TINY);
        List<Double> kd = new ArrayList<>();
        List<Double> plain = new ArrayList<>();
        double kdSeconds = 0;
        Path bestStudent = null;
        for (int seed = firstSeed; seed < firstSeed + seeds; seed++) {
            long start = System.nanoTime();
            Path kdFile = out.resolve("student-tiny-kd-s" + seed + ".onnx");
            TrainConfig kdConfig = new TrainConfig(studentEpochs, 64, studentLr, seed, kdTemperature, kdAlpha, "adam",
                    schedule);
            kd.add(trainAndScore(tiny, train, teacherLogits, kdConfig, kdFile, test));
            kdSeconds += (System.nanoTime() - start) / 1e9;
            TrainConfig ceConfig = TrainConfig.supervised(studentEpochs, 64, studentLr, seed).withSchedule(schedule);
            plain.add(trainAndScore(tiny, train, new float[0], ceConfig, out.resolve("student-tiny-ce-s" + seed + ".onnx"), test));
            if (bestStudent == null) {
                bestStudent = kdFile;
            }
        }
        results.put("student_parameters", tiny.parameterCount());
        results.put("student_parameter_share_of_teacher", tiny.parameterCount() / (double) teacherArch.parameterCount());
        results.put("kd_student_accuracy_by_seed", kd);
        results.put("ce_student_accuracy_by_seed", plain);
        double kdMean = mean(kd);
        results.put("kd_student_accuracy_mean", kdMean);
        results.put("ce_student_accuracy_mean", mean(plain));
        results.put("kd_student_share_of_teacher_accuracy", kdMean / teacherAccuracy);
        results.put("kd_train_images_per_second", train.size() * (double) studentEpochs * seeds / kdSeconds);
        System.out.printf(Locale.ROOT, "teacher %.4f; KD students %s (mean %.4f = %.1f%% of the teacher); CE-only %s "
                + "(mean %.4f)%n", teacherAccuracy, kd, kdMean, 100 * kdMean / teacherAccuracy, plain, mean(plain));
        if (studentsOnly) {
            Files.writeString(out.resolve("bench.json"), Json.write(results));
            return 0;
        }

        Map<String, Object> fp32 = score(bestStudent, test, norm);
        results.put("fp32_student", fp32);
        Map<String, Object> teacherLatency = new LinkedHashMap<>();
        teacherLatency.put("file", teacher.toString());
        results.put("fp32_teacher", teacherLatency);

        List<Map<String, Object>> variants = new ArrayList<>();
        boolean reduce = !CpuFeatures.hasVnni();
        for (QuantType type : QuantType.values()) {
            for (Set<String> excluded : List.of(Set.<String>of(), Set.of("conv0"), Set.of("fc7"))) {
                for (Calibration method : Calibration.values()) {
                    String name = "int8-" + type.name().toLowerCase(Locale.ROOT) + "-" + method.name().toLowerCase(Locale.ROOT)
                            + (excluded.isEmpty() ? "" : "-float-" + String.join("-", excluded));
                    Path file = out.resolve(name + ".onnx");
                    ModelQuantizer.Result r = ModelQuantizer.quantize(bestStudent, heldOut.head(512), norm,
                            new QuantConfig(type, reduce, method, 99.99, excluded, false), file);
                    Map<String, Object> v = score(file, test, norm);
                    v.put("variant", name);
                    v.put("ort_ops", r.optimizedOps());
                    variants.add(v);
                    System.out.println(name + " " + v);
                }
            }
        }
        // Int8 storage with float arithmetic: the form for CPUs where ORT's float kernels beat its integer ones.
        Path weightOnly = out.resolve("int8-weights-only.onnx");
        Set<String> weighted = QdqQuantizer.weightedNodes(OnnxGraphs.read(bestStudent));
        ModelQuantizer.Result w = ModelQuantizer.quantize(bestStudent, heldOut.head(512), norm,
                new QuantConfig(QuantType.UINT8, reduce, Calibration.MINMAX, 99.99, Set.of(), false, weighted), weightOnly);
        Map<String, Object> wv = score(weightOnly, test, norm);
        wv.put("variant", "int8-weights-only");
        wv.put("ort_ops", w.optimizedOps());
        variants.add(wv);
        System.out.println("int8-weights-only " + wv);
        List<Map<String, Object>> timed = new ArrayList<>(List.of(fp32));
        timed.addAll(variants);
        measureLatencies(timed, teacherLatency, test, norm);
        results.put("int8_variants", variants);
        Files.writeString(out.resolve("bench.json"), Json.write(results));
        System.out.println(markdown(fp32, variants, teacherLatency));
        return 0;
    }

    private double trainAndScore(Architecture arch, ImageSet train, float[] teacherLogits, TrainConfig config, Path file,
            ImageSet test) {
        try (TrainedModel m = new ClassifierTrainer(System.out).train(arch, train, teacherLogits,
                Normalization.FASHION_MNIST, config)) {
            OnnxExporter.write(m, Map.of(), file);
            return Metrics.accuracy(m.logits(test, Normalization.FASHION_MNIST), test.labels(), arch.classes());
        }
    }

    private Map<String, Object> score(Path model, ImageSet test, Normalization norm) {
        Map<String, Object> m = new LinkedHashMap<>();
        try (OnnxClassifier c = OnnxClassifier.open(model, 1)) {
            float[] logits = c.logits(test, norm);
            m.put("accuracy", Metrics.accuracy(logits, test.labels(), c.classes()));
            m.put("ece", TemperatureScaling.expectedCalibrationError(
                    TemperatureScaling.probabilities(logits, c.classes(), 1), test.labels(), c.classes(), 15));
            m.put("file", model.toString());
            m.put("file_bytes", Files.size(model));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }

    /**
     * ORT latency of every model with one intra-op thread: p50 at batch 1 and 64, measured round-robin
     * ({@code --latency-repeats} rounds, every model once per round, the FP32 student first), so that drifts
     * in this machine's speed hit all models alike. Each model gets the median of its rounds' p50s and the
     * median of its per-round speed ratios against the FP32 student; the teacher is timed at batch 1.
     */
    private void measureLatencies(List<Map<String, Object>> models, Map<String, Object> teacher, ImageSet test,
            Normalization norm) {
        List<Map<String, Object>> all = new ArrayList<>(models);
        all.add(teacher);
        List<OnnxClassifier> sessions = new ArrayList<>();
        try {
            for (Map<String, Object> m : all) {
                sessions.add(OnnxClassifier.open(Path.of((String) m.get("file")), 1));
            }
            int n = all.size();
            double[][] b1 = new double[n][latencyRepeats];
            double[][] b64 = new double[n][latencyRepeats];
            for (int round = 0; round < latencyRepeats; round++) {
                for (int i = 0; i < n; i++) {
                    b1[i][round] = LatencyProbe.measure(sessions.get(i), test, norm, 1, 300, "b").get("b_p50");
                    if (i < n - 1) {
                        b64[i][round] = LatencyProbe.measure(sessions.get(i), test, norm, 64, 60, "b").get("b_p50");
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                Map<String, Object> m = all.get(i);
                m.put("batch1_p50_ms", median(b1[i]));
                if (i < n - 1) {
                    m.put("batch64_p50_ms", median(b64[i]));
                    m.put("batch1_speed_vs_fp32", medianRatio(b1[0], b1[i]));
                    m.put("batch64_speed_vs_fp32", medianRatio(b64[0], b64[i]));
                }
            }
        } finally {
            sessions.forEach(OnnxClassifier::close);
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** Median over rounds of {@code reference[r] / model[r]}: above 1 means the model is faster. */
    private static double medianRatio(double[] reference, double[] model) {
        double[] ratios = new double[model.length];
        for (int r = 0; r < model.length; r++) {
            ratios[r] = reference[r] / model[r];
        }
        return median(ratios);
    }

    private String markdown(Map<String, Object> fp32, List<Map<String, Object>> variants, Map<String, Object> teacher) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "teacher accuracy %.4f; KD student-tiny mean %.4f (%.1f%% of teacher) vs "
                        + "CE-only mean %.4f; student has %.2f%% of the teacher's parameters%n%n",
                results.get("teacher_accuracy"), results.get("kd_student_accuracy_mean"),
                100 * (double) results.get("kd_student_share_of_teacher_accuracy"), results.get("ce_student_accuracy_mean"),
                100 * (double) results.get("student_parameter_share_of_teacher")));
        md.append("| model | accuracy | file bytes | size ratio | batch 1 p50 ms | batch 64 p50 ms | b1 vs fp32 | b64 vs fp32 |\n");
        md.append("|---|---|---|---|---|---|---|---|\n");
        md.append(row("fp32 student-tiny", fp32, fp32));
        for (Map<String, Object> v : variants) {
            md.append(row((String) v.get("variant"), v, fp32));
        }
        md.append(String.format(Locale.ROOT, "%nfp32 teacher batch 1 p50 %.3f ms%n", (double) teacher.get("batch1_p50_ms")));
        return md.toString();
    }

    private static String row(String name, Map<String, Object> v, Map<String, Object> fp32) {
        double size = ((Number) fp32.get("file_bytes")).doubleValue() / ((Number) v.get("file_bytes")).doubleValue();
        return String.format(Locale.ROOT, "| %s | %.4f | %d | %.2fx | %.3f | %.3f | %.2fx | %.2fx |%n", name,
                (double) v.get("accuracy"), ((Number) v.get("file_bytes")).longValue(), size,
                (double) v.get("batch1_p50_ms"), (double) v.get("batch64_p50_ms"),
                (double) v.get("batch1_speed_vs_fp32"), (double) v.get("batch64_speed_vs_fp32"));
    }

    private static double mean(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    private static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        try {
            String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown");
            m.put("cpu", cpu);
        } catch (IOException e) {
            m.put("cpu", "unknown");
        }
        m.put("vnni", CpuFeatures.hasVnni());
        return m;
    }
}
