package io.tandem.cloud.rollout.plan;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

/**
 * When a wave stops the rollout, read from what its devices report and compared with what the target's
 * devices reported on the previous version. Any field left out takes its default ({@link #DEFAULTS}).
 *
 * @param maxFailedFraction share of a wave's devices that may fail (a failed, refused or undone update, or
 *     no acknowledgement within the plan's ack timeout) before the rollout stops, 0..1
 * @param maxEscalationRise how much the share of frames the devices escalate may rise on the new version,
 *     in absolute terms (0.10 = ten points), 0..1
 * @param maxAccuracyDrop how much accuracy on frames with a known label (the audit sample) may fall, 0..1
 * @param maxLatencyRise how much the devices' p95 latency (the median over the devices) may rise, as a fraction
 *     of the previous (1.0 = may double), 0..100
 * @param minFrames frames (for escalation and latency) and labelled frames (for accuracy) the new version must
 *     have answered in a wave before those conditions are judged, 1..1000000
 * @param maxRestartRise how much the share of devices that restarted may rise on the new version (0.10: one
 *     device in ten more than on the previous version), 0..1
 */
public record StopConditions(
        @DecimalMin("0") @DecimalMax("1") Double maxFailedFraction,
        @DecimalMin("0") @DecimalMax("1") Double maxEscalationRise,
        @DecimalMin("0") @DecimalMax("1") Double maxAccuracyDrop,
        @DecimalMin("0") @DecimalMax("100") Double maxLatencyRise,
        @Min(1) @Max(1_000_000) Integer minFrames,
        @DecimalMin("0") @DecimalMax("1") Double maxRestartRise) {

    /**
     * hawkBit-like defaults: a tenth of a wave may fail; 10 points more escalations, 5 points less accuracy, twice
     * the latency or a tenth more devices restarting stop it.
     */
    public static final StopConditions DEFAULTS = new StopConditions(0.1, 0.10, 0.05, 1.0, 100, 0.10);

    /** These conditions with every field left out taken from {@link #DEFAULTS}. */
    public StopConditions complete() {
        return new StopConditions(or(maxFailedFraction, DEFAULTS.maxFailedFraction),
                or(maxEscalationRise, DEFAULTS.maxEscalationRise), or(maxAccuracyDrop, DEFAULTS.maxAccuracyDrop),
                or(maxLatencyRise, DEFAULTS.maxLatencyRise), or(minFrames, DEFAULTS.minFrames),
                or(maxRestartRise, DEFAULTS.maxRestartRise));
    }

    static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
