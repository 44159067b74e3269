package io.tandem.cloud.config;

import io.quarkus.runtime.StartupEvent;
import io.tandem.distill.train.TrainConfig;
import io.tandem.proto.Topics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.spi.ObserverMethod;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;

/**
 * Refuses to start with a configuration value out of range, naming the key, rather than failing later in
 * the middle of a retrain or a rollout.
 */
@ApplicationScoped
public class ConfigCheck {

    @Inject
    TandemConfig config;

    void check(@Observes @Priority(ObserverMethod.DEFAULT_PRIORITY - 100) StartupEvent event) {
        List<String> problems = problems(config);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("bad configuration: " + String.join("; ", problems));
        }
    }

    /** Every out-of-range value, each as "key: reason". */
    static List<String> problems(TandemConfig c) {
        List<String> out = new ArrayList<>(jointProblems(c.joint()));
        try {
            io.tandem.cloud.auth.ApiAuth.parse(c.auth().tokens().orElse(List.of()));
        } catch (IllegalArgumentException e) {
            out.add(e.getMessage());
        }
        if (c.signing().validityHours() < 1 || c.signing().validityHours() > 8760) {
            out.add("tandem.signing.validity-hours must be in 1..8760, got " + c.signing().validityHours());
        }
        TandemConfig.Retrain r = c.retrain();
        if (r.threshold() < 1 || r.threshold() > 1_000_000) {
            out.add("tandem.retrain.threshold must be in 1..1000000, got " + r.threshold());
        }
        if (r.maxRounds() < 0) {
            out.add("tandem.retrain.max-rounds must be >= 0 (0 = no limit), got " + r.maxRounds());
        }
        if (r.baseLimit() < 1) {
            out.add("tandem.retrain.base-limit must be >= 1, got " + r.baseLimit());
        }
        if (r.evalLimit() < 1) {
            out.add("tandem.retrain.eval-limit must be >= 1, got " + r.evalLimit());
        }
        try {
            new TrainConfig(r.epochs(), r.batchSize(), r.learningRate(), r.seed(), r.temperature(), r.alpha());
        } catch (IllegalArgumentException e) {
            out.add("tandem.retrain.*: " + e.getMessage());
        }
        range(out, "tandem.retrain.adaptation-base-limit", r.adaptationBaseLimit(), 100, 1_000_000);
        range(out, "tandem.retrain.teacher-min-new-human-labels", r.teacherMinNewHumanLabels(), 0, 100_000);
        range(out, "tandem.retrain.teacher-epochs", r.teacherEpochs(), 1, 100);
        if (!(r.teacherLearningRate() > 0 && r.teacherLearningRate() < 1)) {
            out.add("tandem.retrain.teacher-learning-rate must be in (0, 1), got " + r.teacherLearningRate());
        }
        if (!(r.pseudoLabelConfidence() > 0 && r.pseudoLabelConfidence() <= 1)) {
            out.add("tandem.retrain.pseudo-label-confidence must be in (0, 1], got " + r.pseudoLabelConfidence());
        }
        range(out, "tandem.retrain.human-repeat", r.humanRepeat(), 1, 100);
        range(out, "tandem.retrain.site-min-samples", r.siteMinSamples(), 1, 1_000_000);
        if (!java.util.List.of("auto", "qdq", "weight-only", "off").contains(r.int8())) {
            out.add("tandem.retrain.int8 must be auto, qdq, weight-only or off, got " + r.int8());
        }
        range(out, "tandem.retrain.gate-samples", r.gateSamples(), 10, 100_000);
        range(out, "tandem.retrain.lease-seconds", r.leaseSeconds(), 10, 86_400);
        range(out, "tandem.retrain.max-attempts", r.maxAttempts(), 1, 100);
        float threshold = c.rollout().confidenceThreshold();
        if (!(threshold >= 0 && threshold <= 1)) {
            out.add("tandem.rollout.confidence-threshold must be in [0, 1], got " + threshold);
        }
        try {
            Topics.requireId("tandem.rollout.fleet", c.rollout().fleet());
        } catch (IllegalArgumentException e) {
            out.add(e.getMessage());
        }
        if (c.teacher().threads() < 1) {
            out.add("tandem.teacher.threads must be >= 1, got " + c.teacher().threads());
        }
        TandemConfig.Kafka k = c.kafka();
        range(out, "tandem.kafka.topic-partitions", k.topicPartitions(), 1, 1024);
        range(out, "tandem.kafka.topic-replication-factor", k.topicReplicationFactor(), 1, 16);
        range(out, "tandem.kafka.linger-ms", k.lingerMs(), 0, 1000);
        range(out, "tandem.kafka.delivery-timeout-ms", k.deliveryTimeoutMs(), 1000, 86_400_000);
        range(out, "tandem.kafka.max-poll-records", k.maxPollRecords(), 1, 10_000);
        for (int i = 0; i < c.triggers().size(); i++) {
            TandemConfig.Trigger t = c.triggers().get(i);
            try {
                new io.tandem.cloud.trigger.TriggerRule(t.metric(), t.operator(), t.threshold(), t.checkPeriodSeconds(),
                        t.group().orElse(""));
            } catch (IllegalArgumentException e) {
                out.add("tandem.triggers[" + i + "]." + e.getMessage());
            }
        }
        range(out, "tandem.drift.baseline-frames", c.drift().baselineFrames(), 10, 1_000_000);
        range(out, "tandem.drift.recent-frames", c.drift().recentFrames(), 10, 1_000_000);
        range(out, "tandem.fleet.max-devices", c.fleet().maxDevices(), 1, 10_000_000);
        range(out, "tandem.fleet.versions-per-device", c.fleet().versionsPerDevice(), 1, 1_000);
        range(out, "tandem.fleet.save-seconds", c.fleet().saveSeconds(), 1, 3600);
        range(out, "tandem.store.window-samples", c.store().windowSamples(), 1, 2_000_000);
        range(out, "tandem.store.dedupe-keys", c.store().dedupeKeys(), c.store().windowSamples(), 20_000_000);
        range(out, "tandem.mqtt.max-inflight", c.mqtt().maxInflight(), 10, 65_535);
        range(out, "tandem.bridge.connections", c.bridge().connections(), 1, 64);
        try {
            io.tandem.cloud.rollout.plan.Waves.parse(c.rollout().waves());
        } catch (IllegalArgumentException e) {
            out.add("tandem.rollout.waves: " + e.getMessage());
        }
        if (!(c.rollout().successThreshold() >= 0 && c.rollout().successThreshold() <= 1)) {
            out.add("tandem.rollout.success-threshold must be in 0..1, got " + c.rollout().successThreshold());
        }
        range(out, "tandem.rollout.soak-seconds", c.rollout().soakSeconds(), 0, 86_400);
        range(out, "tandem.rollout.tick-ms", c.rollout().tickMs(), 100, 60_000);
        range(out, "tandem.db.pool-size", c.db().poolSize(), 2, 64);
        TandemConfig.Dashboard d = c.dashboard();
        range(out, "tandem.dashboard.sample-seconds", d.sampleSeconds(), 1, 3600);
        range(out, "tandem.dashboard.points", d.points(), 10, 100_000);
        if (!(d.driftOnset() >= 0 && d.driftOnset() <= 1)) {
            out.add("tandem.dashboard.drift-onset must be in 0..1, got " + d.driftOnset());
        }
        range(out, "tandem.dashboard.push-seconds", d.pushSeconds(), 1, 3600);
        range(out, "tandem.dashboard.silent-seconds", d.silentSeconds(), 1, 86_400);
        range(out, "tandem.dashboard.label-rows", d.labelRows(), 0, 1000);
        range(out, "tandem.dashboard.rollout-rows", d.rolloutRows(), 1, 1000);
        c.db().url().ifPresent(u -> {
            if (!u.startsWith("jdbc:h2:") && !u.startsWith("jdbc:postgresql:")) {
                out.add("tandem.db.url must be a jdbc:h2: or jdbc:postgresql: URL, got " + u);
            }
        });
        if (!c.bridge().sharedGroup().matches("[A-Za-z0-9_-]{1,64}")) {
            out.add("tandem.bridge.shared-group must be 1 to 64 letters, digits, '_' or '-', got '"
                    + c.bridge().sharedGroup() + "'");
        }
        range(out, "tandem.mqtt.keep-alive-seconds", c.mqtt().keepAliveSeconds(), 1, 3600);
        c.mqtt().caFile().ifPresent(ca -> {
            try {
                io.tandem.proto.MqttTls.trusting(ca);
            } catch (IllegalArgumentException e) {
                out.add("tandem.mqtt.ca-file: " + e.getMessage());
            }
        });
        if (!c.publicUrl().startsWith("http://") && !c.publicUrl().startsWith("https://")) {
            out.add("tandem.public-url must be an http(s) URL devices can reach, got " + c.publicUrl());
        }
        return out;
    }

    private static List<String> jointProblems(TandemConfig.Joint j) {
        List<String> out = new ArrayList<>();
        if (j.queueCapacity() < 1 || j.queueCapacity() > 1_000_000) {
            out.add("tandem.joint.queue-capacity must be in 1..1000000, got " + j.queueCapacity());
        }
        if (j.maxBatch() < 1 || j.maxBatch() > 1024) {
            out.add("tandem.joint.max-batch must be in 1..1024, got " + j.maxBatch());
        }
        if (j.maxWaitMs() < 0 || j.maxWaitMs() > 100) {
            out.add("tandem.joint.max-wait-ms must be in 0..100, got " + j.maxWaitMs());
        }
        return out;
    }

    private static void range(List<String> out, String key, long value, long min, long max) {
        if (value < min || value > max) {
            out.add(key + " must be in " + min + ".." + max + ", got " + value);
        }
    }
}
