package io.tandem.worker;

import io.tandem.distill.data.ImageSet;
import io.tandem.distill.eval.Metrics;
import io.tandem.distill.kd.EdgeSamples;
import io.tandem.proto.v1.EdgeSample;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The fleet's stored samples as training data for one run: labelled by the job's teacher (the one in service
 * now, not the one that labelled them on arrival), with a person's label where there is one, and marked when
 * the device uploaded them as a random audit (the unbiased sample of what the group sees).
 */
final class EdgeExamples {

    /** One usable sample. */
    record Example(String key, String group, byte[] pixels, float[] teacherLogits, int teacherLabel, int humanLabel,
            boolean audit) {

        /** The label to learn: the person's when there is one, else the teacher's. */
        int label() {
            return humanLabel >= 0 ? humanLabel : teacherLabel;
        }

        boolean human() {
            return humanLabel >= 0;
        }
    }

    private final List<Example> examples;
    private final int rows;
    private final int cols;
    private final int classes;

    private EdgeExamples(List<Example> examples, int rows, int cols, int classes) {
        this.examples = examples;
        this.rows = rows;
        this.cols = cols;
        this.classes = classes;
    }

    /** No examples: the bootstrap distils from the teacher and base data alone. */
    static EdgeExamples none(int rows, int cols, int classes) {
        return new EdgeExamples(List.of(), rows, cols, classes);
    }

    /** Every sample of a job that fits the teacher's {@code rows x cols} input, labelled by {@code teacher}. */
    static EdgeExamples relabel(List<EdgeSample> samples, JobTeacher teacher, int rows, int cols) {
        int classes = teacher.classes();
        List<EdgeSample> usable = samples.stream().filter(s -> s.getPixels().size() == rows * cols).toList();
        List<Example> out = new ArrayList<>(usable.size());
        for (int start = 0; start < usable.size(); start += 256) {
            List<EdgeSample> batch = usable.subList(start, Math.min(usable.size(), start + 256));
            byte[][] raw = new byte[batch.size()][];
            for (int i = 0; i < raw.length; i++) {
                raw[i] = batch.get(i).getPixels().toByteArray();
            }
            float[] logits = teacher.logits(raw);
            for (int i = 0; i < raw.length; i++) {
                EdgeSample s = batch.get(i);
                float[] own = java.util.Arrays.copyOfRange(logits, i * classes, (i + 1) * classes);
                out.add(new Example(s.getKey(), s.getGroup(), raw[i], own, Metrics.argmax(own, 0, classes),
                        s.getHumanLabel(), s.getAudit()));
            }
        }
        return new EdgeExamples(out, rows, cols, classes);
    }

    /** The examples that pass {@code filter}, in arrival order. */
    List<Example> where(Predicate<Example> filter) {
        return examples.stream().filter(filter).toList();
    }

    /** Every example. */
    List<Example> all() {
        return examples;
    }

    /** The groups that sent samples, sorted; the empty group (devices without one) is left out. */
    List<String> groups() {
        return examples.stream().map(Example::group).filter(g -> !g.isEmpty()).distinct().sorted().toList();
    }

    /** Examples as an image set with their labels. */
    ImageSet images(List<Example> chosen) {
        int pixels = rows * cols;
        byte[] data = new byte[Math.multiplyExact(chosen.size(), pixels)];
        int[] labels = new int[chosen.size()];
        for (int i = 0; i < chosen.size(); i++) {
            System.arraycopy(chosen.get(i).pixels(), 0, data, i * pixels, pixels);
            labels[i] = chosen.get(i).label();
        }
        return new ImageSet(data, labels, rows, cols);
    }

    /** Examples as distillation data: images with their labels and the teacher's logits as soft targets. */
    EdgeSamples distillationData(List<Example> chosen) {
        float[] logits = new float[Math.multiplyExact(chosen.size(), classes)];
        for (int i = 0; i < chosen.size(); i++) {
            System.arraycopy(chosen.get(i).teacherLogits(), 0, logits, i * classes, classes);
        }
        return new EdgeSamples(images(chosen), logits, List.of());
    }

    int classes() {
        return classes;
    }
}
