package io.tandem.cloud.device;

import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.manifest.SmokeInputs;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.ModelManifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * The tiny student the device tests ship ({@code fixtures/student-tiny.*}), copied into a folder.
 *
 * @param onnx the model file
 * @param manifest its manifest as stored
 */
record StudentFixture(Path onnx, ModelManifest manifest) {

    /** Copies the fixture's model to {@code dir/good.onnx} and reads its manifest. */
    static StudentFixture copyTo(Path dir) {
        Path onnx = dir.resolve("good.onnx");
        ClassLoader loader = StudentFixture.class.getClassLoader();
        try (InputStream a = loader.getResourceAsStream("fixtures/student-tiny.onnx");
             InputStream b = loader.getResourceAsStream("fixtures/student-tiny.manifest.pb")) {
            Files.write(onnx, a.readAllBytes());
            return new StudentFixture(onnx, Codecs.MANIFEST.decode(b.readAllBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The manifest with smoke inputs the model answers as measured: 8 dark frames, as the test camera makes. */
    ModelManifest withDarkSmokeInputs() {
        return withDarkSmokeInputs(onnx);
    }

    /** The manifest with the smoke inputs {@code model} (another file) answers on the same 8 dark frames. */
    ModelManifest withDarkSmokeInputs(Path model) {
        var spec = manifest.getInput();
        byte[] dark = new byte[784 * 8];
        new Random(5).nextBytes(dark);
        for (int i = 0; i < dark.length; i++) {
            dark[i] = (byte) ((dark[i] & 0xff) % 90);
        }
        return SmokeInputs.attach(model, manifest, new ImageSet(dark, new int[0], 28, 28),
                new Normalization(spec.getScale(), spec.getMean(), spec.getStd()));
    }
}
