package io.tandem.cloud.drift;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.kafka.ConsumerLoop;
import io.tandem.cloud.kafka.KafkaClients;
import io.tandem.cloud.metrics.Rejections;
import io.tandem.cloud.retrain.StudentPromoted;
import io.tandem.proto.Codecs;
import io.tandem.proto.PayloadException;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.Telemetry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;

/**
 * Watches each device group for drift: reads the telemetry windows on {@code tandem.telemetry} (its own
 * consumer group) and scores, per group, what its devices see now against what they saw when the deployed
 * version was new ({@link DriftScore}). Devices without a group are scored as group {@code ""}.
 */
@ApplicationScoped
public class DriftMonitor {

    @Inject
    TandemConfig config;

    @Inject
    KafkaClients kafka;

    @Inject
    Rejections rejections;

    /** Manifest metric: mean raw input, in [0, 1], of the group data a site student learnt from. */
    public static final String REFERENCE_MEAN = io.tandem.proto.ManifestMetrics.REFERENCE_MEAN;
    /** Manifest metric: its spread. */
    public static final String REFERENCE_STD = io.tandem.proto.ManifestMetrics.REFERENCE_STD;

    private final Map<String, GroupDrift> groups = new TreeMap<>();
    private ConsumerLoop loop;

    void start(@Observes StartupEvent event) {
        if (config.fleet().enabled()) {
            loop = new ConsumerLoop("drift-monitor", kafka.consumer("tandem-drift"), List.of(Topics.KAFKA_TELEMETRY),
                    this::apply, kafka.producer());
        }
    }

    synchronized void apply(ConsumerRecords<String, byte[]> records) {
        for (ConsumerRecord<String, byte[]> r : records) {
            try {
                Telemetry t = Codecs.TELEMETRY.decode(r.value());
                if (t.hasWindow()) {
                    add(t.getGroup(), t);
                }
            } catch (PayloadException e) {
                // FleetState reads the same records and counts each refusal once; nothing to add here.
            }
        }
    }

    /** Adds one device's window to its group. */
    public synchronized void add(String group, Telemetry telemetry) {
        groups.computeIfAbsent(group, g -> new GroupDrift(g, config.drift().baselineFrames(),
                config.drift().recentFrames())).add(telemetry.getWindow());
    }

    /** The score of one group, once it has enough frames. */
    public synchronized Optional<DriftScore> score(String group) {
        GroupDrift g = groups.get(group);
        return g == null ? Optional.empty() : g.score();
    }

    void onPromoted(@Observes StudentPromoted event) {
        var m = event.manifest();
        if (!m.getDeviceGroup().isEmpty() && m.containsMetrics(REFERENCE_MEAN) && m.containsMetrics(REFERENCE_STD)) {
            synchronized (this) {
                groups.computeIfAbsent(m.getDeviceGroup(), g -> new GroupDrift(g, config.drift().baselineFrames(),
                        config.drift().recentFrames())).reference(m.getVersion(), m.getMetricsOrThrow(REFERENCE_MEAN),
                        m.getMetricsOrThrow(REFERENCE_STD));
            }
        }
    }

    /** The mean and spread of what a group's devices saw most recently, {@code [mean, std]} in [0, 1]. */
    public synchronized Optional<double[]> recentInput(String group) {
        GroupDrift g = groups.get(group);
        return g == null ? Optional.empty() : g.recentInput();
    }

    /** The scores of every group that has enough frames. */
    public synchronized List<DriftScore> scores() {
        List<DriftScore> out = new ArrayList<>();
        groups.values().forEach(g -> g.score().ifPresent(out::add));
        return out;
    }

    /** The groups heard from. */
    public synchronized List<String> groups() {
        return List.copyOf(groups.keySet());
    }

    void stop(@Observes ShutdownEvent event) {
        if (loop != null) {
            loop.close();
        }
    }
}
