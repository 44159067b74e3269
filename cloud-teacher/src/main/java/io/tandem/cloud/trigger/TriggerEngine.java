package io.tandem.cloud.trigger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.drift.DriftMonitor;
import io.tandem.cloud.drift.DriftScore;
import io.tandem.cloud.retrain.RetrainPipeline;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Checks the trigger rules, each at its own period, and asks for a retrain ({@link RetrainRequested}) when
 * one holds. Built in: {@code new_labelled_samples >= tandem.retrain.threshold}; more come from
 * {@code tandem.triggers} and from the REST API. A rule does not fire while a retrain runs, and a group rule
 * fires once per group and deployed version.
 */
@ApplicationScoped
public class TriggerEngine {

    private static final Logger LOG = Logger.getLogger(TriggerEngine.class);

    @Inject
    TandemConfig config;

    @Inject
    DriftMonitor drift;

    @Inject
    RetrainPipeline pipeline;

    @Inject
    Event<RetrainRequested> requests;

    @Inject
    TriggerRecords records;

    private final Map<Long, TriggerRule> rules = new LinkedHashMap<>();
    private final Map<Long, Long> lastChecked = new LinkedHashMap<>();
    /** Per rule, the group/version pairs a group rule already fired for. */
    private final Map<Long, java.util.Set<String>> firedFor = new LinkedHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong fired = new AtomicLong();
    private Thread ticker;
    private volatile boolean running = true;

    void start(@Observes StartupEvent event) {
        try {
            Map<Long, TriggerRule> kept = records.all();
            synchronized (this) {
                kept.forEach((id, rule) -> {
                    rules.put(id, rule);
                    lastChecked.put(id, 0L);
                    ids.accumulateAndGet(id, Math::max);
                });
            }
            if (!kept.isEmpty()) {
                LOG.infof("%d trigger%s added through the API taken up from the database: %s", kept.size(),
                        kept.size() == 1 ? "" : "s", kept);
            }
        } catch (RuntimeException e) {
            LOG.errorf("cannot read the triggers added through the API (%s); only the configured ones run", e.getMessage());
        }
        add(new TriggerRule(TriggerRule.NEW_LABELLED_SAMPLES, ">=", config.retrain().threshold(), 1, ""));
        for (TandemConfig.Trigger t : config.triggers()) {
            add(new TriggerRule(t.metric(), t.operator(), t.threshold(), t.checkPeriodSeconds(), t.group().orElse("")));
        }
        if (!config.retrain().enabled()) {
            return;
        }
        ticker = new Thread(() -> {
            while (running) {
                try {
                    Thread.sleep(500);
                    check(System.currentTimeMillis());
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.errorf(e, "checking triggers failed: %s", e.getMessage());
                }
            }
        }, "triggers");
        ticker.setDaemon(true);
        ticker.start();
    }

    /**
     * Adds a rule an operator asked for and stores it, so it outlives a restart; returns its id.
     *
     * @throws IllegalStateException when the database cannot store it (the rule is then not added)
     */
    public synchronized long addKept(TriggerRule rule) {
        long id = ids.get() + 1;
        records.add(id, rule);
        ids.set(id);
        rules.put(id, rule);
        lastChecked.put(id, 0L);
        LOG.infof("trigger %d (stored): %s", id, rule);
        return id;
    }

    /** Adds a rule for this run only (the configuration's); returns its id. */
    public synchronized long add(TriggerRule rule) {
        long id = ids.incrementAndGet();
        rules.put(id, rule);
        lastChecked.put(id, 0L);
        LOG.infof("trigger %d: %s", id, rule);
        return id;
    }

    /** Removes a rule; false when there is none with this id. */
    public synchronized boolean remove(long id) {
        if (rules.containsKey(id)) {
            records.remove(id);
        }
        lastChecked.remove(id);
        firedFor.remove(id);
        return rules.remove(id) != null;
    }

    /** Every rule by id. */
    public synchronized Map<Long, TriggerRule> rules() {
        return Map.copyOf(rules);
    }

    /** Retrains asked for by rules so far. */
    public long fired() {
        return fired.get();
    }

    /** Checks every rule whose period has passed at {@code nowMs}; fires at most one request. */
    synchronized void check(long nowMs) {
        if (pipeline.running()) {
            return;
        }
        List<String> reasons = new ArrayList<>();
        List<String> groups = new ArrayList<>();
        for (Map.Entry<Long, TriggerRule> e : rules.entrySet()) {
            TriggerRule rule = e.getValue();
            if (nowMs - lastChecked.get(e.getKey()) < rule.checkPeriodSeconds() * 1000L) {
                continue;
            }
            lastChecked.put(e.getKey(), nowMs);
            if (rule.perGroup()) {
                for (DriftScore s : drift.scores()) {
                    if (!rule.group().isEmpty() && !rule.group().equals(s.group())) {
                        continue;
                    }
                    double value = rule.metric().equals(TriggerRule.DRIFT_SCORE) ? s.score() : s.escalationRate();
                    // A group's drift against one version's baseline asks once: retraining on the same evidence
                    // again cannot help; new data has triggers of its own, and a new version a new baseline.
                    if (rule.holds(value) && firedFor.computeIfAbsent(e.getKey(), k -> new java.util.HashSet<>())
                            .add(s.group() + "@" + s.version())) {
                        reasons.add(String.format("%s %.3f %s %s in group %s", rule.metric(), value, rule.operator(),
                                rule.threshold(), s.group()));
                        groups.add(s.group());
                    }
                }
            } else {
                double value = switch (rule.metric()) {
                    case TriggerRule.NEW_LABELLED_SAMPLES -> pipeline.samplesSinceTraining();
                    case TriggerRule.NEW_HUMAN_LABELS -> pipeline.humanLabelsSinceTraining();
                    default -> pipeline.secondsSinceTraining(nowMs);
                };
                if (rule.holds(value)) {
                    reasons.add(String.format("%s %.0f %s %s", rule.metric(), value, rule.operator(), rule.threshold()));
                }
            }
        }
        if (!reasons.isEmpty()) {
            fired.incrementAndGet();
            requests.fire(new RetrainRequested(String.join("; ", reasons), groups.stream().distinct().toList()));
        }
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        if (ticker != null) {
            ticker.interrupt();
        }
    }
}
