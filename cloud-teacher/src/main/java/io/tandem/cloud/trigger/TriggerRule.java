package io.tandem.cloud.trigger;

import java.util.List;

/**
 * When to retrain, in KubeEdge Sedna's shape: {@code metric operator threshold}, checked every
 * {@code checkPeriodSeconds}. Group metrics are checked per device group, or for one group when
 * {@code group} is set.
 *
 * @param metric one of {@link #METRICS}
 * @param operator one of {@code > >= < <= ==}
 * @param threshold the value compared with
 * @param checkPeriodSeconds how often the rule is checked, 1..86400
 * @param group the group a group metric is restricted to; empty for every group
 */
public record TriggerRule(String metric, String operator, double threshold, int checkPeriodSeconds, String group) {

    /** Drift score of a group (DriftScore.score), in [0, 1]. */
    public static final String DRIFT_SCORE = "drift_score";
    /** Escalated share of a group's recent frames. */
    public static final String ESCALATION_RATE = "escalation_rate";
    /** Labelled samples stored since the last training. */
    public static final String NEW_LABELLED_SAMPLES = "new_labelled_samples";
    /** Human labels received since the last training. */
    public static final String NEW_HUMAN_LABELS = "new_human_labels";
    /** Seconds since the last training ended: a schedule. */
    public static final String SECONDS_SINCE_TRAINING = "seconds_since_training";

    /** Every metric a rule may name. */
    public static final List<String> METRICS = List.of(DRIFT_SCORE, ESCALATION_RATE, NEW_LABELLED_SAMPLES,
            NEW_HUMAN_LABELS, SECONDS_SINCE_TRAINING);
    /** Every operator a rule may use. */
    public static final List<String> OPERATORS = List.of(">", ">=", "<", "<=", "==");

    /** Checks every field, naming the one that is wrong. */
    public TriggerRule {
        if (metric == null || !METRICS.contains(metric)) {
            throw new IllegalArgumentException("metric: unknown metric '" + metric + "'; known: " + METRICS);
        }
        if (operator == null || !OPERATORS.contains(operator)) {
            throw new IllegalArgumentException("operator: unknown operator '" + operator + "'; known: " + OPERATORS);
        }
        if (!Double.isFinite(threshold)) {
            throw new IllegalArgumentException("threshold: must be a finite number, got " + threshold);
        }
        if (checkPeriodSeconds < 1 || checkPeriodSeconds > 86_400) {
            throw new IllegalArgumentException("checkPeriod: must be in 1..86400 seconds, got " + checkPeriodSeconds);
        }
        group = group == null ? "" : group;
    }

    /** Whether the metric is measured per device group. */
    public boolean perGroup() {
        return metric.equals(DRIFT_SCORE) || metric.equals(ESCALATION_RATE);
    }

    /** Whether {@code value} satisfies the rule. */
    public boolean holds(double value) {
        return switch (operator) {
            case ">" -> value > threshold;
            case ">=" -> value >= threshold;
            case "<" -> value < threshold;
            case "<=" -> value <= threshold;
            default -> value == threshold;
        };
    }

    @Override
    public String toString() {
        return metric + " " + operator + " " + threshold + (group.isEmpty() ? "" : " in " + group) + " (every "
                + checkPeriodSeconds + " s)";
    }
}
