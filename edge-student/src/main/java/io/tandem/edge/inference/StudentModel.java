package io.tandem.edge.inference;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.tandem.proto.RuntimeHints;
import io.tandem.proto.v1.InputSpec;
import io.tandem.proto.v1.ModelManifest;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * A loaded student: one ONNX Runtime session, reused for every frame, plus the manifest that says how
 * raw frames become its input and the temperature its logits are divided by, so that a confidence
 * threshold means the same for every version. Construction fails with {@link ModelLoadException} when the file and the
 * manifest disagree, so a bad model never replaces a good one.
 */
public final class StudentModel implements AutoCloseable {

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final ModelManifest manifest;
    private final String inputName;
    private final long[] inputShape;
    private final int classes;
    private final float a;
    private final float b;
    private final float temperature;
    private final String provider;

    private StudentModel(OrtSession session, ModelManifest manifest, String provider) throws OrtException {
        this.session = session;
        this.manifest = manifest;
        this.provider = provider;
        InputSpec spec = manifest.getInput();
        if (session.getInputInfo().size() != 1) {
            throw new ModelLoadException("model has " + session.getInputInfo().size() + " inputs, expected 1");
        }
        var in = session.getInputInfo().entrySet().iterator().next();
        inputName = in.getKey();
        if (!(in.getValue().getInfo() instanceof TensorInfo inInfo) || inInfo.type != OnnxJavaType.FLOAT) {
            throw new ModelLoadException("model input " + inputName + " is " + in.getValue().getInfo()
                    + ", expected a float tensor");
        }
        long[] declared = inInfo.getShape();
        inputShape = new long[spec.getShapeCount() + 1];
        inputShape[0] = 1;
        for (int i = 0; i < spec.getShapeCount(); i++) {
            inputShape[i + 1] = spec.getShape(i);
        }
        if (declared.length != inputShape.length) {
            throw new ModelLoadException("model input " + Arrays.toString(declared) + " does not match manifest input "
                    + spec.getShapeList());
        }
        for (int i = 1; i < declared.length; i++) {
            if (declared[i] != -1 && declared[i] != inputShape[i]) {
                throw new ModelLoadException("model input " + Arrays.toString(declared)
                        + " does not match manifest input " + spec.getShapeList());
            }
        }
        var outInfo = session.getOutputInfo().values().iterator().next().getInfo();
        if (!(outInfo instanceof TensorInfo outTensor) || outTensor.type != OnnxJavaType.FLOAT) {
            throw new ModelLoadException("model output is " + outInfo + ", expected float logits");
        }
        long[] out = outTensor.getShape();
        if (out.length != 2 || out[1] != manifest.getClassLabelsCount()) {
            throw new ModelLoadException("model output " + Arrays.toString(out) + " does not match the manifest's "
                    + manifest.getClassLabelsCount() + " classes");
        }
        classes = (int) out[1];
        if (!(spec.getStd() > 0)) {
            throw new ModelLoadException("manifest input std must be positive, got " + spec.getStd());
        }
        temperature = manifest.getTemperature() > 0 ? manifest.getTemperature() : 1f;
        a = spec.getScale() / spec.getStd();
        b = -spec.getMean() / spec.getStd();
    }

    /** Loads a model file on the CPU with {@code threads} intra-op threads. */
    public static StudentModel load(Path onnx, ModelManifest manifest, int threads) {
        return load(onnx, manifest, threads, "cpu");
    }

    /**
     * Loads a model file with {@code threads} intra-op threads on execution provider {@code provider},
     * falling back to the CPU when the runtime lacks it ({@link ExecutionProviders}).
     */
    public static StudentModel load(Path onnx, ModelManifest manifest, int threads, String provider) {
        try {
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            String used = ExecutionProviders.add(options, provider, threads);
            OrtSession session = OrtEnvironment.getEnvironment().createSession(onnx.toString(), options);
            try {
                // A model may ask for allowed runtime settings (RuntimeHints), e.g. to fold int8 weights at load.
                Map<String, String> hints = RuntimeHints.sessionConfig(session.getMetadata().getCustomMetadata());
                if (!hints.isEmpty()) {
                    session.close();
                    for (Map.Entry<String, String> hint : hints.entrySet()) {
                        options.addConfigEntry(hint.getKey(), hint.getValue());
                    }
                    session = OrtEnvironment.getEnvironment().createSession(onnx.toString(), options);
                }
                return new StudentModel(session, manifest, used);
            } catch (IllegalArgumentException e) {
                session.close();
                throw new ModelLoadException(onnx.getFileName() + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                session.close();
                throw e;
            }
        } catch (OrtException e) {
            throw new ModelLoadException("ONNX Runtime cannot load " + onnx.getFileName() + ": " + e.getMessage(), e);
        }
    }

    /** The manifest of this model. */
    public ModelManifest manifest() {
        return manifest;
    }

    /** The execution provider that runs it. */
    public String provider() {
        return provider;
    }

    /** The model's version. */
    public String version() {
        return manifest.getVersion();
    }

    /** Number of raw input elements one frame must have. */
    public int inputElements() {
        long n = 1;
        for (int i = 1; i < inputShape.length; i++) {
            n *= inputShape[i];
        }
        return (int) n;
    }

    /** Class probabilities for one raw unsigned-byte frame. */
    public float[] probabilities(byte[] raw) {
        if (raw.length != inputElements()) {
            throw new IllegalArgumentException("frame has " + raw.length + " values, model " + version() + " needs "
                    + inputElements());
        }
        float[] x = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
            x[i] = (raw[i] & 0xff) * a + b;
        }
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), inputShape);
             OrtSession.Result r = session.run(Map.of(inputName, t))) {
            float[] logits = ((float[][]) r.get(0).getValue())[0];
            if (temperature != 1f) {
                for (int i = 0; i < logits.length; i++) {
                    logits[i] /= temperature;
                }
            }
            return softmax(logits);
        } catch (OrtException | ClassCastException e) {
            throw new IllegalStateException("inference failed on model " + version() + ": " + e.getMessage(), e);
        }
    }

    /** Numerically stable softmax. */
    public static float[] softmax(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        float[] p = new float[logits.length];
        for (int i = 0; i < logits.length; i++) {
            p[i] = (float) Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= (float) sum;
        }
        return p;
    }

    /** Number of classes. */
    public int classes() {
        return classes;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
