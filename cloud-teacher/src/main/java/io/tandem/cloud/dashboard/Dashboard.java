package io.tandem.cloud.dashboard;

import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.labels.LabelQueue;
import io.tandem.cloud.lineage.Lineage;
import io.tandem.cloud.rollout.FleetState;
import io.tandem.cloud.rollout.plan.RolloutPlans;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Puts together what the dashboard shows, from the fleet state, the registry, the plans and the label queue. */
@ApplicationScoped
public class Dashboard {

    @Inject
    TandemConfig config;

    @Inject
    FleetState fleet;

    @Inject
    Lineage lineage;

    @Inject
    RolloutPlans plans;

    @Inject
    LoopHistory history;

    @Inject
    LabelQueue labels;

    /** The dashboard now. */
    public DashboardSnapshot snapshot() {
        long now = System.currentTimeMillis();
        long silentAfter = config.dashboard().silentSeconds() * 1000L;
        List<DashboardSnapshot.DeviceRow> rows = new ArrayList<>();
        int healthy = 0;
        int degraded = 0;
        int silent = 0;
        Map<String, Integer> bySite = new TreeMap<>();
        Map<String, Integer> byVersion = new TreeMap<>();
        for (FleetState.DeviceSummary d : fleet.summaries()) {
            String health = now - d.lastSeenMs() > silentAfter ? "silent"
                    : d.rollbacks() > 0 || d.inferenceErrors() > 0 || d.dropped() > 0 ? "degraded" : "ok";
            switch (health) {
                case "ok" -> healthy++;
                case "degraded" -> degraded++;
                default -> silent++;
            }
            bySite.merge(d.group().isEmpty() ? "(none)" : d.group(), 1, Integer::sum);
            byVersion.merge(d.activeVersion().isEmpty() ? "(none)" : d.activeVersion(), 1, Integer::sum);
            rows.add(new DashboardSnapshot.DeviceRow(d.deviceId(), d.fleet(), d.group(), d.activeVersion(), health,
                    d.lastSeenMs(), d.queuedMessages(), d.inferences(), d.hardExamplesAcked(), d.rollbacks()));
        }
        List<DashboardSnapshot.LabelRow> queue = labels.preview(config.dashboard().labelRows(), "").stream()
                .map(c -> new DashboardSnapshot.LabelRow(c.key(), c.sample().getExample().getGroup(),
                        c.sample().getExample().getDeviceId(), c.sample().getTeacherLabel(), c.uncertainty(),
                        c.priority())).toList();
        return new DashboardSnapshot(now, new DashboardSnapshot.FleetSummary(rows.size(), healthy, degraded, silent,
                bySite, byVersion), rows, lineage.families(), plans.list(config.dashboard().rolloutRows()),
                history.series(), history.onsets(), queue);
    }
}
