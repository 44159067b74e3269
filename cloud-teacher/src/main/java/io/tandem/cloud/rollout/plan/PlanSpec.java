package io.tandem.cloud.rollout.plan;

import io.tandem.proto.Topics;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * A rollout plan as an operator writes it ({@code POST /api/v1/rollouts}): which model goes where, in which
 * waves, what counts as success, and what stops it. The target is a device list, a site group, or (neither)
 * the whole fleet. Fields left out take the service's defaults ({@code tandem.rollout.*},
 * {@link StopConditions#DEFAULTS}); the stored plan holds them resolved.
 *
 * @param successThreshold share of a wave's devices that must run the new version before the next wave, 0..1
 * @param soakSeconds how long a wave is watched after reaching the threshold before the next starts
 * @param ackTimeoutSeconds how long a device of a started wave may stay silent before it counts as failed
 */
public record PlanSpec(
        @NotBlank @Pattern(regexp = Topics.ID_REGEX) String modelId,
        @NotBlank @Pattern(regexp = Topics.ID_REGEX) String version,
        @NotBlank @Pattern(regexp = Topics.ID_REGEX) String fleet,
        @Pattern(regexp = Topics.ID_REGEX) String group,
        @Size(min = 1, max = 100_000) List<@NotBlank @Pattern(regexp = Topics.ID_REGEX) String> devices,
        @Size(min = 1, max = 100) List<@NotBlank String> waves,
        @DecimalMin("0") @DecimalMax("1") Double successThreshold,
        @Min(0) @Max(86_400) Integer soakSeconds,
        @Min(1) @Max(86_400) Integer ackTimeoutSeconds,
        @Valid StopConditions stop) {

    /** The default ack timeout: two minutes, enough for a download over a slow link. */
    public static final int DEFAULT_ACK_TIMEOUT_S = 120;

    /** Says in a few words what the plan targets. */
    public String targetText() {
        if (devices != null) {
            return devices.size() + " listed device" + (devices.size() == 1 ? "" : "s") + " of fleet " + fleet;
        }
        return group != null ? "group " + group + " of fleet " + fleet : "fleet " + fleet;
    }

    /**
     * This plan with what was left out filled in from the service's defaults, and its waves checked.
     *
     * @throws IllegalArgumentException naming the field, for a target with both a group and a device list, or
     *     waves that {@link Waves#parse} refuses
     */
    public PlanSpec complete(List<String> defaultWaves, double defaultThreshold, int defaultSoakSeconds) {
        if (group != null && devices != null) {
            throw new Invalid("devices", "name a group or a device list, not both");
        }
        List<String> w = waves != null ? waves : defaultWaves;
        try {
            Waves.parse(w);
        } catch (IllegalArgumentException e) {
            throw new Invalid("waves", e.getMessage());
        }
        return new PlanSpec(modelId, version, fleet, group, devices == null ? null : List.copyOf(devices), List.copyOf(w),
                StopConditions.or(successThreshold, defaultThreshold), StopConditions.or(soakSeconds, defaultSoakSeconds),
                StopConditions.or(ackTimeoutSeconds, DEFAULT_ACK_TIMEOUT_S),
                (stop == null ? StopConditions.DEFAULTS : stop).complete());
    }

    /** A plan refused for one field, named as in the request body. */
    public static final class Invalid extends IllegalArgumentException {
        private final String field;

        public Invalid(String field, String message) {
            super(field + ": " + message);
            this.field = field;
        }

        /** The field, as in the request body ({@code waves}, {@code stop.maxFailedFraction}). */
        public String field() {
            return field;
        }
    }
}
