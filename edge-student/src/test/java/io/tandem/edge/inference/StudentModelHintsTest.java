package io.tandem.edge.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.tandem.proto.Codecs;
import io.tandem.proto.RuntimeHints;
import io.tandem.proto.v1.ModelManifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model file's runtime settings (RuntimeHints) are applied when allowed, observably, on a QDQ model where
 * the setting changes the kernels ONNX Runtime runs, and refused by name when not allowed.
 */
class StudentModelHintsTest {

    @TempDir
    Path dir;

    @Test
    void anAllowedHintChangesHowTheModelRuns() throws Exception {
        byte[] onnx = resource("models/student-tiny-int8-qdq.onnx");
        ModelManifest manifest = Codecs.MANIFEST.decode(resource("models/student-tiny.manifest.pb"));
        List<byte[]> frames = frames(32);
        Path plain = Files.write(dir.resolve("plain.onnx"), onnx);
        Path hinted = Files.write(dir.resolve("hinted.onnx"),
                withMetadata(onnx, RuntimeHints.SESSION_CONFIG_PREFIX + RuntimeHints.DISABLE_QUANT_QDQ, "1"));
        float[][] integer = run(plain, manifest, frames);
        float[][] folded = run(hinted, manifest, frames);
        float[][] explicit = runWithSessionOption(plain, manifest, frames, RuntimeHints.DISABLE_QUANT_QDQ, "1");

        double hintEffect = 0;
        for (int i = 0; i < frames.size(); i++) {
            assertArrayEquals(explicit[i], folded[i], 1e-6f, "the hinted model runs as with the option set by hand");
            for (int c = 0; c < integer[i].length; c++) {
                hintEffect = Math.max(hintEffect, Math.abs(integer[i][c] - folded[i][c]));
            }
        }
        assertTrue(hintEffect > 1e-5, "without the hint ORT runs integer kernels, with it float ones: the outputs"
                + " must differ somewhere, largest difference " + hintEffect);
    }

    @Test
    void aHintThatIsNotAllowedIsRefusedByName() throws Exception {
        byte[] onnx = resource("models/student-tiny.onnx");
        ModelManifest manifest = Codecs.MANIFEST.decode(resource("models/student-tiny.manifest.pb"));
        Path refused = Files.write(dir.resolve("refused.onnx"),
                withMetadata(onnx, "tandem.ort.config.session.use_env_allocators", "1"));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> StudentModel.load(refused, manifest, 1));
        assertTrue(e.getMessage().contains("session.use_env_allocators"), e.getMessage());
    }

    @Test
    void anExecutionProviderTheRuntimeLacksFallsBackToTheCpuAndAnUnknownOneIsRefused() throws Exception {
        Path file = Files.write(dir.resolve("student.onnx"), resource("models/student-tiny.onnx"));
        ModelManifest manifest = Codecs.MANIFEST.decode(resource("models/student-tiny.manifest.pb"));
        try (StudentModel cpu = StudentModel.load(file, manifest, 1);
             StudentModel xnnpack = StudentModel.load(file, manifest, 1, "xnnpack")) {
            String expected = ExecutionProviders.available().contains(ai.onnxruntime.OrtProvider.XNNPACK) ? "xnnpack"
                    : "cpu";
            assertTrue(xnnpack.provider().equals(expected), xnnpack.provider());
            for (byte[] frame : frames(4)) {
                assertArrayEquals(cpu.probabilities(frame), xnnpack.probabilities(frame), 1e-4f);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StudentModel.load(file, manifest, 1, "tpu9000"));
        assertTrue(e.getMessage().contains("tpu9000") && e.getMessage().contains("xnnpack"), e.getMessage());
    }

    private static List<byte[]> frames(int n) {
        List<byte[]> frames = new ArrayList<>();
        Random random = new Random(3);
        for (int f = 0; f < n; f++) {
            byte[] frame = new byte[28 * 28];
            for (int i = 0; i < frame.length; i++) {
                // A bright blob on a noisy background, placed differently in each frame.
                int dx = i % 28 - (8 + f % 12);
                int dy = i / 28 - (8 + f * 5 % 12);
                int v = dx * dx + dy * dy < 40 ? 200 + random.nextInt(55) : random.nextInt(60);
                frame[i] = (byte) v;
            }
            frames.add(frame);
        }
        return frames;
    }

    private static float[][] run(Path model, ModelManifest manifest, List<byte[]> frames) {
        try (StudentModel m = StudentModel.load(model, manifest, 1)) {
            float[][] out = new float[frames.size()][];
            for (int i = 0; i < out.length; i++) {
                out[i] = m.probabilities(frames.get(i));
            }
            return out;
        }
    }

    /** The same computation as StudentModel, with a session option set directly on ONNX Runtime. */
    private static float[][] runWithSessionOption(Path model, ModelManifest manifest, List<byte[]> frames, String key,
            String value) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        var spec = manifest.getInput();
        float t = manifest.getTemperature() > 0 ? manifest.getTemperature() : 1f;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.addConfigEntry(key, value);
            try (OrtSession session = env.createSession(model.toString(), options)) {
                String input = session.getInputNames().iterator().next();
                float[][] out = new float[frames.size()][];
                for (int f = 0; f < out.length; f++) {
                    float[] x = new float[28 * 28];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = ((frames.get(f)[i] & 0xff) * spec.getScale() - spec.getMean()) / spec.getStd();
                    }
                    try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {1, 1, 28, 28});
                         OrtSession.Result r = session.run(Map.of(input, tensor))) {
                        float[] logits = ((float[][]) r.get(0).getValue())[0];
                        for (int c = 0; c < logits.length; c++) {
                            logits[c] /= t;
                        }
                        out[f] = StudentModel.softmax(logits);
                    }
                }
                return out;
            }
        }
    }

    /** Appends one metadata_props entry (ModelProto field 14): protobuf merges concatenated messages. */
    private static byte[] withMetadata(byte[] onnx, String key, String value) throws IOException {
        ByteArrayOutputStream entry = new ByteArrayOutputStream();
        CodedOutputStream e = CodedOutputStream.newInstance(entry);
        e.writeString(1, key);
        e.writeString(2, value);
        e.flush();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(onnx);
        CodedOutputStream o = CodedOutputStream.newInstance(out);
        o.writeByteArray(14, entry.toByteArray());
        o.flush();
        return out.toByteArray();
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = StudentModelHintsTest.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing test resource " + name);
            }
            return in.readAllBytes();
        }
    }
}
