package io.tandem.distill.kd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.train.TrainedModel;
import java.nio.FloatBuffer;

/**
 * Online knowledge distillation: the DJL teacher runs in inference mode on each training batch, so its
 * targets follow the same augmentation and order as the student's inputs and nothing is cached.
 */
public final class DjlTeacherTargets implements SoftTargets {

    private final TrainedModel teacher;
    private final ImageSet data;
    private final Normalization normalization;
    private final ParameterStore store;
    private float[] batch = new float[0];

    /** Uses {@code teacher} on images of {@code data}; the caller keeps ownership of the teacher. */
    public DjlTeacherTargets(TrainedModel teacher, ImageSet data, Normalization normalization) {
        this.teacher = teacher;
        this.data = data;
        this.normalization = normalization;
        this.store = new ParameterStore(teacher.djlModel().getNDManager(), false);
    }

    @Override
    public int classes() {
        return teacher.architecture().classes();
    }

    @Override
    public void fill(int[] indices, int from, int count, float[] out) {
        int pixels = data.imageSize();
        if (batch.length < count * pixels) {
            batch = new float[count * pixels];
        }
        for (int j = 0; j < count; j++) {
            normalization.apply(data.pixels(), indices[from + j] * pixels, pixels, batch, j * pixels);
        }
        try (NDManager step = teacher.djlModel().getNDManager().newSubManager()) {
            NDArray x = step.create(FloatBuffer.wrap(batch, 0, count * pixels), teacher.architecture().batchShape(count));
            NDArray y = teacher.djlModel().getBlock().forward(store, new NDList(x), false).singletonOrThrow();
            System.arraycopy(y.toFloatArray(), 0, out, 0, count * classes());
        }
    }
}
