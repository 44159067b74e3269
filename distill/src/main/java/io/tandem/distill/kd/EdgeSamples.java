package io.tandem.distill.kd;

import io.tandem.distill.data.ImageSet;
import io.tandem.proto.v1.DType;
import io.tandem.proto.v1.LabelledSample;
import io.tandem.proto.v1.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns teacher-labelled edge samples into training data: the raw image, the teacher's label as the hard
 * target and the teacher's logits as the soft target.
 *
 * @param images the images with teacher labels
 * @param teacherLogits {@code [n * classes]}
 * @param skipped reasons for samples that did not fit the student's input, one per skipped sample
 */
public record EdgeSamples(ImageSet images, float[] teacherLogits, List<String> skipped) {

    /** The same samples with the teacher's hard labels dropped, for training on soft targets alone. */
    public EdgeSamples withoutLabels() {
        return new EdgeSamples(new ImageSet(images.pixels(), new int[0], images.rows(), images.cols()), teacherLogits,
                skipped);
    }

    /** Converts samples whose input is a {@code rows x cols} grey image of unsigned bytes. */
    public static EdgeSamples from(List<LabelledSample> samples, int rows, int cols, int classes) {
        int pixels = rows * cols;
        byte[] images = new byte[Math.multiplyExact(samples.size(), pixels)];
        int[] labels = new int[samples.size()];
        float[] logits = new float[Math.multiplyExact(samples.size(), classes)];
        List<String> skipped = new ArrayList<>();
        int n = 0;
        for (LabelledSample s : samples) {
            Tensor t = s.getExample().getInput();
            String key = s.getExample().getDeviceId() + "#" + s.getExample().getSequence();
            if (t.getDtype() != DType.UINT8 || t.getData().size() != pixels) {
                skipped.add(key + ": input " + t.getDtype() + " " + t.getShapeList() + " is not a " + rows + "x" + cols
                        + " UINT8 image");
                continue;
            }
            if (s.getTeacherLogitsCount() != classes) {
                skipped.add(key + ": " + s.getTeacherLogitsCount() + " teacher logits, student has " + classes + " classes");
                continue;
            }
            t.getData().copyTo(images, n * pixels);
            labels[n] = s.getTeacherLabel();
            for (int c = 0; c < classes; c++) {
                logits[n * classes + c] = s.getTeacherLogits(c);
            }
            n++;
        }
        ImageSet set = new ImageSet(java.util.Arrays.copyOf(images, n * pixels), java.util.Arrays.copyOf(labels, n),
                rows, cols);
        return new EdgeSamples(set, java.util.Arrays.copyOf(logits, n * classes), List.copyOf(skipped));
    }
}
