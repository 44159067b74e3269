package io.tandem.edge.gate;

import io.tandem.proto.v1.GateReason;
import java.util.Random;

/** How hard a frame looks to the student: the higher the score, the more worth uploading. */
public enum MiningStrategy {
    /** One minus the top probability. */
    LEAST_CONFIDENCE(GateReason.LOW_CONFIDENCE),
    /** One minus the margin between the two most likely classes. */
    MARGIN(GateReason.LOW_MARGIN),
    /** Entropy of the probabilities, divided by its maximum (log of the class count). */
    ENTROPY(GateReason.HIGH_ENTROPY),
    /** No preference: a random score, the baseline every other strategy is measured against. */
    RANDOM(GateReason.RANDOM_PICK);

    private final GateReason reason;

    MiningStrategy(GateReason reason) {
        this.reason = reason;
    }

    /** The reason an upload chosen by this strategy carries. */
    public GateReason reason() {
        return reason;
    }

    /** The score of one frame's probabilities, in [0, 1]. */
    public double score(float[] p, Random random) {
        return switch (this) {
            case LEAST_CONFIDENCE -> {
                float top = 0;
                for (float v : p) {
                    top = Math.max(top, v);
                }
                yield 1 - top;
            }
            case MARGIN -> {
                float first = 0;
                float second = 0;
                for (float v : p) {
                    if (v > first) {
                        second = first;
                        first = v;
                    } else if (v > second) {
                        second = v;
                    }
                }
                yield 1 - (first - second);
            }
            case ENTROPY -> {
                double h = 0;
                for (float v : p) {
                    if (v > 0) {
                        h -= v * Math.log(v);
                    }
                }
                yield p.length < 2 ? 0 : h / Math.log(p.length);
            }
            case RANDOM -> random.nextDouble();
        };
    }
}
