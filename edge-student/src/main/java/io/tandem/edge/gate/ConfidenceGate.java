package io.tandem.edge.gate;

import io.tandem.proto.v1.GateReason;
import java.util.Optional;

/**
 * Decides which inputs the device escalates: those whose top probability is under the threshold.
 * The threshold comes with each deploy command, so it can change with the model.
 */
public final class ConfidenceGate implements Gate {

    private final float threshold;

    /** Creates a gate; the threshold must be in [0, 1]. */
    public ConfidenceGate(float threshold) {
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new IllegalArgumentException("confidence threshold must be in [0, 1], got " + threshold);
        }
        this.threshold = threshold;
    }

    @Override
    public float threshold() {
        return threshold;
    }

    @Override
    public Optional<GateReason> check(float[] probabilities) {
        float top = 0;
        for (float p : probabilities) {
            top = Math.max(top, p);
        }
        return top < threshold ? Optional.of(GateReason.LOW_CONFIDENCE) : Optional.empty();
    }
}
