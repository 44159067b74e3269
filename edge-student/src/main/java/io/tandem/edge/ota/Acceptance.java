package io.tandem.edge.ota;

import io.tandem.edge.inference.StudentModel;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.SmokeInput;
import java.util.List;

/**
 * What a loaded model must get right before it is swapped in: the manifest's smoke inputs, each within the
 * manifest's tolerance of the probabilities the cloud got from the same file, and a few of the frames the
 * device saw last, each giving finite probabilities that sum to one.
 */
final class Acceptance {

    /** Tolerance when the manifest names none. */
    static final float DEFAULT_TOLERANCE = 0.05f;

    private Acceptance() {
    }

    /** A model that failed its acceptance, with why. */
    static final class Failed extends Exception {
        Failed(String message) {
            super(message);
        }
    }

    /**
     * Runs the checks.
     *
     * @return what was checked, for the acknowledgement
     */
    static String check(StudentModel model, List<byte[]> recentFrames) throws Failed {
        ModelManifest m = model.manifest();
        float tolerance = m.getSmokeTolerance() > 0 ? m.getSmokeTolerance() : DEFAULT_TOLERANCE;
        for (int i = 0; i < m.getSmokeInputsCount(); i++) {
            SmokeInput smoke = m.getSmokeInputs(i);
            float[] p = answer(model, smoke.getPixels().toByteArray(), "smoke input " + i);
            if (p.length != smoke.getExpectedProbabilitiesCount()) {
                throw new Failed("smoke input " + i + ": " + p.length + " probabilities, the manifest expects "
                        + smoke.getExpectedProbabilitiesCount());
            }
            float worst = 0;
            for (int c = 0; c < p.length; c++) {
                worst = Math.max(worst, Math.abs(p[c] - smoke.getExpectedProbabilities(c)));
            }
            if (!(worst <= tolerance)) {
                throw new Failed(String.format("smoke input %d: probabilities differ by up to %.3f from the manifest's"
                        + " (tolerance %.3f)", i, worst, tolerance));
            }
        }
        int frames = 0;
        for (byte[] frame : recentFrames) {
            if (frame.length == model.inputElements()) {
                finite(answer(model, frame, "recent frame " + frames), "recent frame " + frames);
                frames++;
            }
        }
        return m.getSmokeInputsCount() + " smoke inputs within " + tolerance + ", " + frames + " recent frames";
    }

    private static float[] answer(StudentModel model, byte[] pixels, String what) throws Failed {
        try {
            return finite(model.probabilities(pixels), what);
        } catch (RuntimeException e) {
            throw new Failed(what + ": " + e.getMessage());
        }
    }

    private static float[] finite(float[] p, String what) throws Failed {
        double sum = 0;
        for (float v : p) {
            if (!Float.isFinite(v) || v < 0) {
                throw new Failed(what + ": probability " + v);
            }
            sum += v;
        }
        if (Math.abs(sum - 1) > 1e-3) {
            throw new Failed(what + ": probabilities sum to " + sum);
        }
        return p;
    }
}
