package io.tandem.cloud.dashboard;

import io.tandem.cloud.lineage.ModelFamily;
import io.tandem.cloud.rollout.plan.RolloutPlans;
import java.util.List;
import java.util.Map;

/**
 * Everything the dashboard shows at one moment: the fleet, the model families, the rollout plans, the loop per
 * site over time, and the label queue. Sent whole at first paint and again on every live update.
 */
public record DashboardSnapshot(long generatedAtMs, FleetSummary summary, List<DeviceRow> devices,
        List<ModelFamily> models, List<RolloutPlans.Plan> rollouts, Map<String, List<LoopHistory.Point>> loop,
        List<LoopHistory.Onset> driftOnsets, List<LabelRow> labelQueue) {

    /** Counts over the whole fleet. */
    public record FleetSummary(int devices, int healthy, int degraded, int silent, Map<String, Integer> bySite,
            Map<String, Integer> byVersion) {
    }

    /**
     * One device.
     *
     * @param health {@code ok}, {@code degraded} (it rolled an update back, a model threw, or its queue dropped
     *     messages) or {@code silent} (nothing heard for {@code tandem.dashboard.silent-seconds})
     * @param queueDepth messages waiting in its upload queue, as its latest telemetry said
     */
    public record DeviceRow(String id, String fleet, String site, String version, String health, long lastSeenMs,
            long queueDepth, long inferences, long uploads, long rollbacks) {
    }

    /** A sample waiting for a person, most useful first (previewed: looking does not lease it). */
    public record LabelRow(String key, String site, String device, int teacherLabel, double uncertainty,
            double priority) {
    }
}
