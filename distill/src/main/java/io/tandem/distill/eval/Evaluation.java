package io.tandem.distill.eval;

import io.tandem.distill.calib.TemperatureScaling;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
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

/**
 * The evaluation report of one ONNX model: accuracy, per-class accuracy, confusion matrix, agreement with
 * a teacher, expected calibration error, size, and ONNX Runtime latency with one intra-op thread.
 *
 * @param model the evaluated file
 * @param samples test images
 * @param accuracy share classified right
 * @param perClassAccuracy accuracy of each true class
 * @param confusion {@code confusion[true][predicted]} counts
 * @param teacherAgreement share where the model and the teacher agree; NaN without a teacher
 * @param ece expected calibration error with the model's temperature
 * @param temperature the temperature applied to the logits
 * @param parameters parameter count, or -1 when unknown
 * @param fileBytes size of the ONNX file
 * @param latency latency percentiles in milliseconds, keyed like {@code batch1_p50}
 */
public record Evaluation(Path model, int samples, double accuracy, double[] perClassAccuracy, int[][] confusion,
        double teacherAgreement, double ece, float temperature, long parameters, long fileBytes,
        Map<String, Double> latency) {

    /** Iterations timed per batch size. */
    static final int TIMED_RUNS_BATCH1 = 300;
    static final int TIMED_RUNS_BATCH64 = 40;

    /** Evaluates a model on labelled images; {@code teacher} may be null. */
    public static Evaluation run(Path model, ImageSet test, Normalization normalization, Path teacher, float temperature,
            long parameters) {
        if (!test.labelled()) {
            throw new IllegalArgumentException("evaluation needs labelled images");
        }
        float[] logits;
        Map<String, Double> latency = new LinkedHashMap<>();
        int classes;
        try (OnnxClassifier c = OnnxClassifier.open(model, 1)) {
            classes = c.classes();
            logits = c.logits(test, normalization);
            latency.putAll(LatencyProbe.measure(c, test, normalization, 1, TIMED_RUNS_BATCH1, "batch1"));
            latency.putAll(LatencyProbe.measure(c, test, normalization, 64, TIMED_RUNS_BATCH64, "batch64"));
        }
        double agreement = Double.NaN;
        if (teacher != null) {
            try (OnnxClassifier t = OnnxClassifier.open(teacher, 1)) {
                if (t.classes() != classes) {
                    throw new IllegalArgumentException("teacher " + teacher + " has " + t.classes() + " classes, model "
                            + model + " has " + classes);
                }
                agreement = Metrics.agreement(logits, t.logits(test, normalization), classes);
            }
        }
        int[][] confusion = new int[classes][classes];
        int[] predicted = Metrics.predictions(logits, classes);
        for (int i = 0; i < predicted.length; i++) {
            confusion[test.label(i)][predicted[i]]++;
        }
        double[] perClass = new double[classes];
        for (int c = 0; c < classes; c++) {
            int total = Arrays.stream(confusion[c]).sum();
            perClass[c] = total == 0 ? Double.NaN : confusion[c][c] / (double) total;
        }
        float t = temperature > 0 ? temperature : 1f;
        double ece = TemperatureScaling.expectedCalibrationError(TemperatureScaling.probabilities(logits, classes, t),
                test.labels(), classes, 15);
        long size;
        try {
            size = Files.size(model);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Evaluation(model, test.size(), Metrics.accuracy(logits, test.labels(), classes), perClass, confusion,
                agreement, ece, t, parameters, size, latency);
    }

    /** The figures as manifest metrics. */
    public Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("eval_accuracy", accuracy);
        m.put("eval_samples", (double) samples);
        if (!Double.isNaN(teacherAgreement)) {
            m.put("teacher_agreement", teacherAgreement);
        }
        m.put("ece", ece);
        m.put("file_bytes", (double) fileBytes);
        latency.forEach((k, v) -> m.put("latency_ms_" + k, v));
        for (int c = 0; c < perClassAccuracy.length; c++) {
            m.put("class_accuracy_" + c, perClassAccuracy[c]);
        }
        return m;
    }

    /** Writes {@code <base>.eval.json}, {@code <base>.eval.md} and {@code <base>.confusion.png}. */
    public void write(Path dir, String base, List<String> classNames) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", model.getFileName().toString());
        json.put("samples", samples);
        json.put("accuracy", accuracy);
        Map<String, Object> perClass = new LinkedHashMap<>();
        for (int c = 0; c < perClassAccuracy.length; c++) {
            perClass.put(name(classNames, c), perClassAccuracy[c]);
        }
        json.put("per_class_accuracy", perClass);
        json.put("teacher_agreement", Double.isNaN(teacherAgreement) ? null : teacherAgreement);
        json.put("expected_calibration_error", ece);
        json.put("temperature", (double) temperature);
        json.put("parameters", parameters);
        json.put("file_bytes", fileBytes);
        json.put("latency_ms_one_intra_op_thread", latency);
        List<Object> rows = new ArrayList<>();
        for (int[] row : confusion) {
            rows.add(Arrays.stream(row).boxed().toList());
        }
        json.put("confusion_matrix", rows);
        StringBuilder md = new StringBuilder();
        md.append("# Evaluation of ").append(model.getFileName()).append("\n\n");
        md.append("| figure | value |\n|---|---|\n");
        md.append(String.format(Locale.ROOT, "| accuracy | %.4f (%d images) |%n", accuracy, samples));
        if (!Double.isNaN(teacherAgreement)) {
            md.append(String.format(Locale.ROOT, "| agreement with teacher | %.4f |%n", teacherAgreement));
        }
        md.append(String.format(Locale.ROOT, "| expected calibration error | %.4f (T = %.3f) |%n", ece, temperature));
        md.append(String.format(Locale.ROOT, "| parameters | %s |%n", parameters < 0 ? "unknown" : String.format("%,d", parameters)));
        md.append(String.format(Locale.ROOT, "| file size | %,d bytes |%n", fileBytes));
        latency.forEach((k, v) -> md.append(String.format(Locale.ROOT, "| latency %s (1 thread) | %.3f ms |%n",
                k.replace('_', ' '), v)));
        md.append("\n| class | accuracy |\n|---|---|\n");
        for (int c = 0; c < perClassAccuracy.length; c++) {
            md.append(String.format(Locale.ROOT, "| %s | %.4f |%n", name(classNames, c), perClassAccuracy[c]));
        }
        md.append("\n![confusion matrix](").append(base).append(".confusion.png)\n");
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(base + ".eval.json"), Json.write(json));
            Files.writeString(dir.resolve(base + ".eval.md"), md);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the evaluation report to " + dir, e);
        }
        ConfusionMatrixChart.write(confusion, classNames, "Confusion matrix: " + model.getFileName(),
                dir.resolve(base + ".confusion.png"));
    }

    private static String name(List<String> names, int c) {
        return c < names.size() ? names.get(c) : Integer.toString(c);
    }
}
