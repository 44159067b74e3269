package io.tandem.distill.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Runs the official ONNX checker (Debian's python3-onnx) on a file, as a test assertion. */
public final class OfficialOnnxChecker {

    private static final Path PYTHON = Path.of("/usr/bin/python3");

    private OfficialOnnxChecker() {
    }

    public static void assertValid(Path model) throws IOException, InterruptedException {
        assertTrue(Files.isExecutable(PYTHON), "/usr/bin/python3 is missing (.ci/run installs python3-onnx)");
        Process p = new ProcessBuilder(PYTHON.toString(), "-c",
                "import onnx, sys\n"
                        + "m = onnx.load(sys.argv[1])\n"
                        + "onnx.checker.check_model(m, full_check=True)\n"
                        + "print('ok', m.ir_version, [o.version for o in m.opset_import])\n",
                model.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "onnx checker timed out");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "onnx.checker refused " + model.getFileName() + ":\n" + out);
    }
}
