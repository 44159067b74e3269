package io.tandem.distill.eval;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * An ONNX classifier run by ONNX Runtime on the CPU: one session per model, reused for every batch.
 * Any ONNX file with one float input {@code [batch, C, H, W]} and one float output {@code [batch, classes]}
 * works, so a user's own teacher can label data.
 */
public final class OnnxClassifier implements AutoCloseable {

    private static final int BATCH = 256;

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final String inputName;
    private final long[] inputShape;
    private final int classes;
    /** Reused input buffer, grown on demand; guarded by {@code this}. */
    private FloatBuffer input;

    private OnnxClassifier(OrtSession session) throws OrtException {
        this.session = session;
        if (session.getInputInfo().size() != 1 || session.getOutputInfo().size() < 1) {
            throw new IllegalArgumentException("expected one input and at least one output, got "
                    + session.getInputInfo().keySet() + " -> " + session.getOutputInfo().keySet());
        }
        Map.Entry<String, NodeInfo> in = session.getInputInfo().entrySet().iterator().next();
        this.inputName = in.getKey();
        TensorInfo inInfo = (TensorInfo) in.getValue().getInfo();
        this.inputShape = inInfo.getShape();
        TensorInfo outInfo = (TensorInfo) session.getOutputInfo().values().iterator().next().getInfo();
        long[] outShape = outInfo.getShape();
        if (outShape.length != 2 || outShape[1] <= 0) {
            throw new IllegalArgumentException("output must be [batch, classes], got " + java.util.Arrays.toString(outShape));
        }
        this.classes = (int) outShape[1];
    }

    /** Opens a model file with the given number of intra-op threads. */
    public static OnnxClassifier open(Path file, int intraOpThreads) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("ONNX model not found: " + file);
        }
        try {
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return new OnnxClassifier(OrtSessions.create(file, options));
        } catch (OrtException e) {
            throw new IllegalArgumentException("ONNX Runtime cannot load " + file + ": " + e.getMessage(), e);
        }
    }

    /** Number of classes the model outputs. */
    public int classes() {
        return classes;
    }

    /** Elements of one input (everything but the batch dimension). */
    public int inputElements() {
        long n = 1;
        for (int i = 1; i < inputShape.length; i++) {
            n *= inputShape[i];
        }
        return (int) n;
    }

    /** Checks one input of the model holds {@code elements} values, naming the mismatch. */
    public void requireInputElements(int elements, String what) {
        for (int i = 1; i < inputShape.length; i++) {
            if (inputShape[i] <= 0) {
                throw new IllegalArgumentException("model input '" + inputName + "' has a dynamic dimension "
                        + java.util.Arrays.toString(inputShape) + "; only the batch dimension may be dynamic");
            }
        }
        if (inputShape.length < 2 || inputElements() != elements) {
            throw new IllegalArgumentException("model input '" + inputName + "' has shape "
                    + java.util.Arrays.toString(inputShape) + " (" + inputElements() + " values per input), but "
                    + what + " has " + elements);
        }
    }

    /** Checks the model's input accepts images of this size, naming the mismatch. */
    public void requireInput(int channels, int rows, int cols) {
        requireInputElements(channels * rows * cols, channels + "x" + rows + "x" + cols + " images");
    }

    /**
     * Logits for a batch of already-normalised inputs, {@code n} inputs laid end to end. The inputs go through
     * one direct buffer that ONNX Runtime reads in place, and the logits come back as one flat copy, so a
     * small model's call costs little beyond the inference itself.
     */
    public synchronized float[] logits(float[] normalised, int n) {
        long[] shape = inputShape.clone();
        shape[0] = n;
        int values = n * inputElements();
        if (input == null || input.capacity() < values) {
            input = ByteBuffer.allocateDirect(values * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        }
        input.clear();
        input.put(normalised, 0, values).flip();
        try (OnnxTensor x = OnnxTensor.createTensor(env, input, shape);
             OrtSession.Result result = session.run(Map.of(inputName, x))) {
            float[] flat = new float[Math.multiplyExact(n, classes)];
            ((OnnxTensor) result.get(0)).getFloatBuffer().get(flat);
            return flat;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on a batch of " + n + ": " + e.getMessage(), e);
        }
    }

    /** Logits {@code [n * classes]} for every image of a set. */
    public float[] logits(ImageSet images, Normalization normalization) {
        requireInputElements(images.imageSize(), images.rows() + "x" + images.cols() + " images");
        int n = images.size();
        int pixels = images.imageSize();
        float[] batch = new float[BATCH * pixels];
        float[] out = new float[Math.multiplyExact(n, classes)];
        for (int start = 0; start < n; start += BATCH) {
            int b = Math.min(BATCH, n - start);
            normalization.apply(images.pixels(), start * pixels, b * pixels, batch, 0);
            System.arraycopy(logits(batch, b), 0, out, start * classes, b * classes);
        }
        return out;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close ONNX Runtime session", e);
        }
    }
}
