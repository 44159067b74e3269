package io.tandem.cloud.dashboard;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.drift.DriftMonitor;
import io.tandem.cloud.drift.DriftScore;
import io.tandem.cloud.rollout.FleetState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The loop over time, per site: every {@code tandem.dashboard.sample-seconds} it takes what the fleet reported
 * since the last sample (accuracy on frames with ground truth, escalation and upload rates) and the site's drift
 * score, keeps the newest {@code tandem.dashboard.points} of them, and marks a drift onset where the score
 * crosses {@code tandem.dashboard.drift-onset} from below.
 */
@ApplicationScoped
public class LoopHistory {

    private static final Logger LOG = Logger.getLogger(LoopHistory.class);

    @Inject
    TandemConfig config;

    @Inject
    FleetState fleet;

    @Inject
    DriftMonitor drift;

    /**
     * One sample of a site. A rate is null when nothing it divides by happened in the interval.
     *
     * @param frames frames the site's devices answered in the interval
     */
    public record Point(long timeMs, Double accuracy, Double driftScore, Double escalationRate, Double uploadRate,
            long frames) {
    }

    /** A site's drift score crossed the onset threshold from below at this time. */
    public record Onset(String site, long timeMs, double score) {
    }

    private final Map<String, ArrayDeque<Point>> points = new TreeMap<>();
    private final Map<String, FleetState.SiteTotals> last = new HashMap<>();
    private final Map<String, Double> lastScore = new HashMap<>();
    private final ArrayDeque<Onset> onsets = new ArrayDeque<>();
    private ScheduledExecutorService timer;

    void start(@Observes StartupEvent event) {
        long every = config.dashboard().sampleSeconds();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "loop-history");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(() -> {
            try {
                sample(System.currentTimeMillis());
            } catch (RuntimeException e) {
                LOG.warnf("loop history: cannot take a sample (%s); next try in %d s", e.getMessage(), every);
            }
        }, every, every, TimeUnit.SECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    /** Takes one sample of every site now. */
    public synchronized void sample(long now) {
        Map<String, FleetState.SiteTotals> totals = fleet.siteTotals();
        int keep = config.dashboard().points();
        for (Map.Entry<String, FleetState.SiteTotals> e : totals.entrySet()) {
            String site = e.getKey();
            FleetState.SiteTotals t = e.getValue();
            FleetState.SiteTotals before = last.getOrDefault(site, FleetState.SiteTotals.NONE);
            long frames = Math.max(0, t.frames() - before.frames());
            long escalated = Math.max(0, t.escalated() - before.escalated());
            long uploads = Math.max(0, t.uploads() - before.uploads());
            long answered = Math.max(0, t.answered() - before.answered());
            long labelled = Math.max(0, t.withTruth() - before.withTruth());
            long correct = Math.max(0, t.correct() - before.correct());
            Double score = drift.score(site).map(DriftScore::score).orElse(null);
            Point p = new Point(now, labelled == 0 ? null : correct / (double) labelled, score,
                    frames == 0 ? null : escalated / (double) frames, answered == 0 ? null
                            : Math.min(1.0, uploads / (double) answered), Math.max(frames, answered));
            ArrayDeque<Point> series = points.computeIfAbsent(site, s -> new ArrayDeque<>());
            series.addLast(p);
            while (series.size() > keep) {
                series.removeFirst();
            }
            double threshold = config.dashboard().driftOnset();
            Double previous = lastScore.get(site);
            if (score != null && score > threshold && (previous == null || previous <= threshold)) {
                onsets.addLast(new Onset(site, now, score));
                while (onsets.size() > keep) {
                    onsets.removeFirst();
                }
            }
            if (score != null) {
                lastScore.put(site, score);
            }
            last.put(site, t);
        }
    }

    /** Each site's samples, oldest first. */
    public synchronized Map<String, List<Point>> series() {
        Map<String, List<Point>> out = new TreeMap<>();
        points.forEach((site, s) -> out.put(site, List.copyOf(s)));
        return out;
    }

    /** Drift onsets, oldest first. */
    public synchronized List<Onset> onsets() {
        return new ArrayList<>(onsets);
    }
}
