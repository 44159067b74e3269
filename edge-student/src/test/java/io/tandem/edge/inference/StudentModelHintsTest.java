package io.tandem.edge.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.ModelManifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model file's runtime settings (RuntimeHints) are applied when allowed and refused by name when not. */
class StudentModelHintsTest {

    @TempDir
    Path dir;

    @Test
    void appliesAllowedSettingsAndRefusesOthers() throws IOException {
        byte[] onnx = resource("models/student-tiny.onnx");
        ModelManifest manifest = Codecs.MANIFEST.decode(resource("models/student-tiny.manifest.pb"));
        byte[] frame = new byte[28 * 28];
        for (int i = 0; i < frame.length; i++) {
            frame[i] = (byte) (i * 7);
        }
        float[] expected;
        Path plain = Files.write(dir.resolve("plain.onnx"), onnx);
        try (StudentModel model = StudentModel.load(plain, manifest, 1)) {
            expected = model.probabilities(frame);
        }

        Path hinted = Files.write(dir.resolve("hinted.onnx"),
                withMetadata(onnx, "tandem.ort.config.session.disable_quant_qdq", "1"));
        try (StudentModel model = StudentModel.load(hinted, manifest, 1)) {
            assertArrayEquals(expected, model.probabilities(frame), 1e-6f);
        }

        Path refused = Files.write(dir.resolve("refused.onnx"),
                withMetadata(onnx, "tandem.ort.config.session.use_env_allocators", "1"));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> StudentModel.load(refused, manifest, 1));
        assertTrue(e.getMessage().contains("session.use_env_allocators"), e.getMessage());
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
