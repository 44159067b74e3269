package io.tandem.edge.gate;

import io.tandem.proto.v1.GateReason;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;

/**
 * Uploads a fixed share of frames, however the input drifts: a random audit share regardless of
 * confidence (the unbiased sample for monitoring), and the frames whose mining score is in the top of
 * the recent ones, up to the rest of the budget. The threshold is the running quantile of the last
 * {@link #WINDOW} scores, so the realised upload rate follows the budget rather than the model's mood; a
 * hard cap (the budget's share of the last {@link #WINDOW} frames, plus {@link #BURST}) holds it when the
 * input shifts faster than the quantile follows, and budget left unused in quiet times is not spent at
 * once when the input drifts.
 */
public final class BudgetGate implements Gate {

    /** Scores the running quantile is taken over. */
    public static final int WINDOW = 512;
    /** Uploads allowed beyond the budget's share of the frames seen, so a short burst is not cut. */
    public static final int BURST = 2;

    private final MiningStrategy strategy;
    private final double auditFraction;
    private final double minedFraction;
    private final Random random;
    private final double[] recent = new double[WINDOW];
    private final boolean[] uploadedRecent = new boolean[WINDOW];
    private int uploadsInWindow;
    private final double uploadFraction;
    private int seen;
    private double threshold = Double.POSITIVE_INFINITY;

    /**
     * A gate uploading {@code uploadFraction} of frames in (0, 1], of which {@code auditFraction} in
     * [0, uploadFraction] at random.
     */
    public BudgetGate(MiningStrategy strategy, double uploadFraction, double auditFraction, long seed) {
        if (!(uploadFraction > 0 && uploadFraction <= 1) || !(auditFraction >= 0 && auditFraction <= uploadFraction)) {
            throw new IllegalArgumentException("upload fraction must be in (0, 1] and audit fraction in [0, upload],"
                    + " got " + uploadFraction + " and " + auditFraction);
        }
        this.strategy = strategy;
        this.uploadFraction = uploadFraction;
        this.auditFraction = auditFraction;
        // The audit share is drawn from every frame, so the mined share is scaled to fill the rest of the budget.
        this.minedFraction = auditFraction >= 1 ? 0 : (uploadFraction - auditFraction) / (1 - auditFraction);
        this.random = new Random(seed);
    }

    @Override
    public synchronized Optional<GateReason> check(float[] probabilities) {
        double score = strategy.score(probabilities, random);
        boolean audit = random.nextDouble() < auditFraction;
        int slot = seen % WINDOW;
        recent[slot] = score;
        if (uploadedRecent[slot]) {
            uploadedRecent[slot] = false;
            uploadsInWindow--;
        }
        seen++;
        if (seen <= 16 || seen % 16 == 0) {
            updateThreshold();
        }
        // The quantile lags when the input shifts at once; the hard cap keeps the budget even then.
        if (uploadsInWindow >= uploadFraction * Math.min(seen, WINDOW) + BURST) {
            return Optional.empty();
        }
        Optional<GateReason> reason = audit ? Optional.of(GateReason.RANDOM_AUDIT)
                : minedFraction > 0 && score >= threshold ? Optional.of(strategy.reason()) : Optional.empty();
        if (reason.isPresent()) {
            uploadedRecent[slot] = true;
            uploadsInWindow++;
        }
        return reason;
    }

    private void updateThreshold() {
        int n = Math.min(seen, WINDOW);
        double[] sorted = Arrays.copyOf(recent, n);
        Arrays.sort(sorted);
        int above = (int) Math.floor(n * minedFraction);
        threshold = above <= 0 ? Double.POSITIVE_INFINITY : sorted[n - above];
    }

    @Override
    public synchronized float threshold() {
        return (float) Math.min(1, threshold);
    }
}
