package io.tandem.fleet.scenario;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.distill.data.FashionMnist;
import io.tandem.distill.data.ImageSet;
import io.tandem.edge.inference.StudentModel;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.ModelManifest;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in scenarios' drifts hurt a student trained on daylight images, as the product's story needs. */
class ScenarioDriftTest {

    @TempDir
    Path dir;

    private static double accuracy(StudentModel model, ImageSet frames) {
        int pixels = frames.rows() * frames.cols();
        int correct = 0;
        for (int i = 0; i < frames.size(); i++) {
            float[] p = model.probabilities(java.util.Arrays.copyOfRange(frames.pixels(), i * pixels, (i + 1) * pixels));
            int top = 0;
            for (int c = 1; c < p.length; c++) {
                top = p[c] > p[top] ? c : top;
            }
            correct += top == frames.labels()[i] ? 1 : 0;
        }
        return correct / (double) frames.size();
    }

    @Test
    void everyBuiltInDriftCostsTheDaylightStudent() throws Exception {
        Path onnx;
        ModelManifest manifest;
        try (InputStream a = getClass().getResourceAsStream("/models/student-tiny.onnx");
             InputStream b = getClass().getResourceAsStream("/models/student-tiny.manifest.pb")) {
            onnx = Files.write(dir.resolve("student.onnx"), a.readAllBytes());
            manifest = Codecs.MANIFEST.decode(b.readAllBytes());
        }
        FramePools pools = new FramePools(FashionMnist.test(FashionMnist.DEBIAN_DIR), 1000);
        try (StudentModel model = StudentModel.load(onnx, manifest, 1)) {
            for (String name : ScenarioFile.BUILT_IN) {
                Scenario s = ScenarioFile.load(name);
                for (Scenario.DriftEvent e : s.timeline()) {
                    Distribution before = s.distributionOf(e.group(), e.round() - 1);
                    Distribution after = s.distributionOf(e.group(), e.round());
                    double a0 = accuracy(model, pools.heldOut(before, 1));
                    double a1 = accuracy(model, pools.heldOut(after, 1));
                    System.out.printf("%s %s: %s %.4f -> %s %.4f (%.1f points)%n", name, e.group(), before.name(), a0,
                            after.name(), a1, (a0 - a1) * 100);
                    assertTrue(a0 - a1 >= 0.10, name + " " + e.group() + ": "
                            + before.name() + " " + a0 + " -> " + after.name() + " " + a1);
                }
            }
        }
    }
}
