package io.tandem.distill.kd;

/**
 * Where a student's soft targets come from: a teacher's logits for the training examples, either cached
 * (offline KD, any ONNX teacher) or computed batch by batch (online KD from a DJL teacher).
 */
public interface SoftTargets extends AutoCloseable {

    /** Number of classes of each target. */
    int classes();

    /** Writes the logits of examples {@code indices[from .. from + count)} into {@code out}, row after row. */
    void fill(int[] indices, int from, int count, float[] out);

    /** Releases what the source holds; cached logits hold nothing. */
    @Override
    default void close() {
    }

    /** Targets read from logits computed beforehand, {@code [n * classes]}. */
    static SoftTargets cached(float[] logits, int classes) {
        return new SoftTargets() {
            @Override
            public int classes() {
                return classes;
            }

            @Override
            public void fill(int[] indices, int from, int count, float[] out) {
                for (int j = 0; j < count; j++) {
                    System.arraycopy(logits, indices[from + j] * classes, out, j * classes, classes);
                }
            }
        };
    }
}
