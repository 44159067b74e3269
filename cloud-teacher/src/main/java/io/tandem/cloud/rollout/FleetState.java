package io.tandem.cloud.rollout;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.kafka.ConsumerLoop;
import io.tandem.cloud.kafka.KafkaClients;
import io.tandem.cloud.metrics.Rejections;
import io.tandem.proto.Codecs;
import io.tandem.proto.PayloadException;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.DeployAck;
import io.tandem.proto.v1.AnsweredBy;
import io.tandem.proto.v1.ResultBatch;
import io.tandem.proto.v1.Telemetry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;

/**
 * What the cloud knows of each device, read from Kafka: deploy acknowledgements, the latest telemetry and
 * per-version accuracy from result batches that carry ground truth, and accuracy and compute by who answered
 * (the student, the teacher under joint inference, or the student after the teacher did not answer in time).
 */
@ApplicationScoped
public class FleetState {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(FleetState.class);

    @Inject
    TandemConfig config;

    @Inject
    KafkaClients kafka;

    @Inject
    Rejections rejections;

    @Inject
    FleetRecords records;

    /** Devices changed since the last save, and devices forgotten since; guarded by this. */
    private final java.util.Set<String> dirty = new java.util.HashSet<>();
    private final java.util.Set<String> forgotten = new java.util.HashSet<>();
    private java.util.concurrent.ScheduledExecutorService saver;


    /** Devices in the order they were last seen, the one silent longest first; bounded at start. */
    private Map<String, Device> devices = new LinkedHashMap<>();
    /** The same devices by id, for look-ups that must not count as the device being heard from. */
    private final Map<String, Device> byId = new java.util.HashMap<>();
    /** Versions kept per device: {@code tandem.fleet.versions-per-device}, read at start. */
    private int versionsPerDevice = 32;
    private ConsumerLoop loop;

    /** A map that keeps its newest {@code max} entries by insertion. */
    static <K, V> Map<K, V> newest(int max) {
        return new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > max;
            }
        };
    }

    /** One device as the cloud sees it. */
    public static final class Device {
        /** Device id. */
        public String deviceId;
        /** Fleet id. */
        public String fleet;
        /** Device group (site), as the device last reported it. */
        public String group = "";
        /** The version the device last reported active. */
        public String activeVersion = "";
        /** Deploy status per model version, the newest versions. */
        public final Map<String, String> deployStatus;
        /** Results seen per version, the newest versions. */
        public final Map<String, long[]> results;
        /** Results by who answered them (joint inference): results, with ground truth, correct, MACs spent. */
        public final Map<String, long[]> answers = new TreeMap<>();
        /** Updates the device undid after the swap. */
        public long rollbacks;
        /** Frames a model threw on that no other model answered. */
        public long inferenceErrors;
        /** Messages the device's upload queue dropped, per stream. */
        public final Map<String, Long> dropped = newest(16);
        /** Latest telemetry counters. */
        public long inferences;
        /** Hard examples the device counted as acknowledged. */
        public long hardExamplesAcked;
        /** Latency p50 in ms. */
        public float latencyP50Ms;
        /** Messages the device refused. */
        public long rejectedMessages;
        /** Time of the last message. */
        public long lastSeenMs;
        /** Messages waiting in the device's upload queue, all streams, as its latest telemetry said. */
        public long queuedMessages;
        /** Telemetry windows per version that answered them: frames, escalated; the newest versions. */
        final Map<String, long[]> windows;
        /** The latest p99 latency each version reported, in ms; the newest versions. */
        final Map<String, Float> latencyP99Ms;
        /** The latest p95 latency each version reported, in ms; the newest versions. */
        final Map<String, Float> latencyP95Ms;
        /** Restarts of the device while it ran each version (as its telemetry after the restart names it). */
        final Map<String, Long> restarts;
        /** The device's start count in its latest telemetry; 0 before this service heard one. */
        long starts;

        Device(int versions) {
            deployStatus = newest(versions);
            results = newest(versions);
            windows = newest(versions);
            latencyP99Ms = newest(versions);
            latencyP95Ms = newest(versions);
            restarts = newest(versions);
        }
    }

    void start(@Observes StartupEvent event) {
        int max = config.fleet().maxDevices();
        versionsPerDevice = config.fleet().versionsPerDevice();
        devices = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Device> eldest) {
                if (size() <= max) {
                    return false;
                }
                rejections.reject("fleet-state", "DEVICE_FORGOTTEN", "more than " + max + " devices"
                        + " (tandem.fleet.max-devices): forgot " + eldest.getKey() + ", silent since "
                        + eldest.getValue().lastSeenMs);
                forgotten.add(eldest.getKey());
                dirty.remove(eldest.getKey());
                byId.remove(eldest.getKey());
                return true;
            }
        };
        restore(max);
        long every = config.fleet().saveSeconds();
        saver = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fleet-state-saver");
            t.setDaemon(true);
            return t;
        });
        saver.scheduleWithFixedDelay(this::save, every, every, java.util.concurrent.TimeUnit.SECONDS);
        if (config.fleet().enabled()) {
            loop = new ConsumerLoop("fleet-state", kafka.consumer("tandem-fleet-state"),
                    List.of(Topics.KAFKA_ACKS, Topics.KAFKA_TELEMETRY, Topics.KAFKA_RESULTS), this::apply,
                    kafka.producer());
        }
    }

    synchronized void apply(ConsumerRecords<String, byte[]> records) {
        for (ConsumerRecord<String, byte[]> r : records) {
            try {
                switch (r.topic()) {
                    case Topics.KAFKA_ACKS -> {
                        DeployAck ack = Codecs.DEPLOY_ACK.decode(r.value());
                        Device d = device(ack.getDeviceId(), ack.getFleet());
                        d.deployStatus.put(ack.getModelVersion(), ack.getStatus().name());
                        if (ack.getStatus() == DeployAck.Status.ACTIVE) {
                            d.activeVersion = ack.getModelVersion();
                        }
                    }
                    case Topics.KAFKA_TELEMETRY -> {
                        Telemetry t = Codecs.TELEMETRY.decode(r.value());
                        Device d = device(t.getDeviceId(), t.getFleet());
                        d.group = t.getGroup();
                        d.inferences = t.getInferencesTotal();
                        d.hardExamplesAcked = t.getHardExamplesSent();
                        d.latencyP50Ms = t.getLatencyP50Ms();
                        if (!t.getModelVersion().isEmpty()) {
                            d.latencyP99Ms.put(t.getModelVersion(), t.getLatencyP99Ms());
                            if (t.getLatencyP95Ms() > 0) {
                                d.latencyP95Ms.put(t.getModelVersion(), t.getLatencyP95Ms());
                            }
                            // A higher start count than last heard: the device restarted, and came back on this
                            // version (the one it loads first after a start is the one it ran).
                            if (d.starts > 0 && t.getStarts() > d.starts) {
                                d.restarts.merge(t.getModelVersion(), t.getStarts() - d.starts, Long::sum);
                            }
                            reportedRunning(d, t.getModelVersion());
                        }
                        if (t.hasWindow() && !t.getWindow().getModelVersion().isEmpty()) {
                            long[] w = d.windows.computeIfAbsent(t.getWindow().getModelVersion(), v -> new long[2]);
                            w[0] += t.getWindow().getFrames();
                            w[1] += t.getWindow().getEscalated();
                        }
                        d.rejectedMessages = t.getRejectedMessages();
                        if (t.getStarts() > 0) {
                            d.starts = t.getStarts();
                        }
                        d.rollbacks = t.getRollbacks();
                        d.inferenceErrors = t.getInferenceErrors();
                        t.getUploadQueue().getStreamsList().forEach(q -> d.dropped.put(q.getStream(), q.getDropped()));
                        d.queuedMessages = t.getUploadQueue().getStreamsList().stream()
                                .mapToLong(io.tandem.proto.v1.StreamStats::getQueuedMessages).sum();
                    }
                    case Topics.KAFKA_RESULTS -> {
                        ResultBatch b = Codecs.RESULT_BATCH.decode(r.value());
                        Device d = device(b.getDeviceId(), b.getFleet());
                        d.group = b.getGroup();
                        if (!b.getModelVersion().isEmpty()) {
                            reportedRunning(d, b.getModelVersion());
                        }
                        long[] counts = d.results
                                .computeIfAbsent(b.getModelVersion(), v -> new long[3]);
                        b.getResultsList().forEach(x -> {
                            long[] by = d.answers.computeIfAbsent(x.getAnsweredBy() == AnsweredBy.ANSWERED_BY_UNSPECIFIED
                                    ? AnsweredBy.STUDENT.name() : x.getAnsweredBy().name(), k -> new long[4]);
                            counts[0]++;
                            by[0]++;
                            by[3] += x.getMacs();
                            if (x.hasGroundTruth()) {
                                counts[1]++;
                                by[1]++;
                                if (x.getGroundTruth() == x.getPredictedClass()) {
                                    counts[2]++;
                                    by[2]++;
                                }
                            }
                        });
                    }
                    default -> { }
                }
            } catch (PayloadException e) {
                rejections.reject("kafka/" + r.topic(), e.reason().name(),
                        "partition " + r.partition() + " offset " + r.offset() + ": " + e.getMessage());
            }
        }
    }

    /**
     * A device's results or telemetry name the version it runs: that version is active there, known again after a
     * restart of the cloud and healing an acknowledgement lost while it was down (an ack that says otherwise, such as
     * ROLLED_BACK, is not overwritten).
     */
    private static void reportedRunning(Device d, String version) {
        d.activeVersion = version;
        d.deployStatus.putIfAbsent(version, DeployAck.Status.ACTIVE.name());
    }

    private Device device(String id, String fleet) {
        Device d = devices.computeIfAbsent(id, k -> new Device(versionsPerDevice));
        byId.put(id, d);
        d.deviceId = id;
        d.fleet = fleet;
        d.lastSeenMs = System.currentTimeMillis();
        dirty.add(id);
        forgotten.remove(id);
        return d;
    }

    /** Takes up the devices the database kept (the most recently heard from first), before any new report. */
    private void restore(int max) {
        try {
            List<DeviceSummary> kept = records.load(max);
            synchronized (this) {
                for (int i = kept.size() - 1; i >= 0; i--) {
                    DeviceSummary k = kept.get(i);
                    Device d = devices.computeIfAbsent(k.deviceId(), x -> new Device(versionsPerDevice));
                    byId.put(k.deviceId(), d);
                    d.deviceId = k.deviceId();
                    d.fleet = k.fleet();
                    d.group = k.group();
                    d.activeVersion = k.activeVersion();
                    if (!k.activeVersion().isEmpty()) {
                        d.deployStatus.put(k.activeVersion(), DeployAck.Status.ACTIVE.name());
                    }
                    d.lastSeenMs = k.lastSeenMs();
                    d.queuedMessages = k.queuedMessages();
                    d.inferences = k.inferences();
                    d.hardExamplesAcked = k.hardExamplesAcked();
                    d.rollbacks = k.rollbacks();
                    d.inferenceErrors = k.inferenceErrors();
                }
            }
            if (!kept.isEmpty()) {
                LOG.infof("fleet state: %d devices taken up from the database", kept.size());
            }
        } catch (RuntimeException e) {
            LOG.errorf("fleet state: cannot read the devices the database kept (%s); starting from what devices report",
                    e.getMessage());
        }
    }

    /** Writes the devices that changed since the last save; on a database error they stay to be written next time. */
    void save() {
        List<DeviceSummary> changed;
        List<String> gone;
        synchronized (this) {
            // Through values(), not get(): a look-up in the access-ordered map would reorder which device is forgotten.
            changed = devices.values().stream().filter(d -> dirty.contains(d.deviceId)).map(FleetState::summary)
                    .toList();
            gone = List.copyOf(forgotten);
            dirty.clear();
            forgotten.clear();
        }
        try {
            records.save(changed);
            gone.forEach(records::forget);
        } catch (RuntimeException e) {
            synchronized (this) {
                changed.forEach(d -> {
                    if (devices.containsKey(d.deviceId())) {
                        dirty.add(d.deviceId());
                    }
                });
                gone.forEach(id -> {
                    if (!devices.containsKey(id)) {
                        forgotten.add(id);
                    }
                });
            }
            LOG.warnf("fleet state: cannot save %d devices (%s); will try again", changed.size(), e.getMessage());
        }
    }

    /**
     * What a site's devices reported so far, summed over its devices and the versions each keeps: telemetry
     * frames and escalations, frames answered, uploads acknowledged, results with ground truth and correct ones.
     */
    public record SiteTotals(long frames, long escalated, long answered, long uploads, long withTruth, long correct) {
        /** Nothing reported. */
        public static final SiteTotals NONE = new SiteTotals(0, 0, 0, 0, 0, 0);
    }

    /** One device's latest state, for views. */
    public record DeviceSummary(String deviceId, String fleet, String group, String activeVersion, long lastSeenMs,
            long queuedMessages, long inferences, long hardExamplesAcked, long rollbacks, long inferenceErrors,
            long dropped) {
    }

    /** The totals of each site (a device without a group counts under the empty name). */
    public synchronized Map<String, SiteTotals> siteTotals() {
        Map<String, long[]> sums = new TreeMap<>();
        for (Device d : devices.values()) {
            long[] s = sums.computeIfAbsent(d.group, g -> new long[6]);
            d.windows.values().forEach(w -> {
                s[0] += w[0];
                s[1] += w[1];
            });
            s[2] += d.inferences;
            s[3] += d.hardExamplesAcked;
            d.results.values().forEach(r -> {
                s[4] += r[1];
                s[5] += r[2];
            });
        }
        Map<String, SiteTotals> out = new TreeMap<>();
        sums.forEach((g, s) -> out.put(g, new SiteTotals(s[0], s[1], s[2], s[3], s[4], s[5])));
        return out;
    }

    /** Every device's latest state, sorted by id. */
    public synchronized List<DeviceSummary> summaries() {
        return devices.values().stream().sorted(java.util.Comparator.comparing(d -> d.deviceId))
                .map(FleetState::summary).toList();
    }

    /**
     * One device's latest state; empty when the cloud has not heard of it (or forgot it). Looked up in the map by id,
     * not the access-ordered one, where a look-up would count as the device being heard from.
     */
    public synchronized java.util.Optional<DeviceSummary> summary(String deviceId) {
        return java.util.Optional.ofNullable(byId.get(deviceId)).map(FleetState::summary);
    }

    private static DeviceSummary summary(Device d) {
        return new DeviceSummary(d.deviceId, d.fleet, d.group, d.activeVersion, d.lastSeenMs, d.queuedMessages,
                d.inferences, d.hardExamplesAcked, d.rollbacks, d.inferenceErrors,
                d.dropped.values().stream().mapToLong(Long::longValue).sum());
    }

    /** Devices the cloud has heard from and still remembers. */
    public synchronized int devicesKnown() {
        return devices.size();
    }

    /** The devices that run each model version now (their latest ack or results name it), ids sorted. */
    public synchronized Map<String, List<String>> devicesByActiveVersion() {
        Map<String, List<String>> out = new TreeMap<>();
        devices.values().stream().filter(d -> !d.activeVersion.isEmpty())
                .sorted(java.util.Comparator.comparing(d -> d.deviceId))
                .forEach(d -> out.computeIfAbsent(d.activeVersion, v -> new java.util.ArrayList<>()).add(d.deviceId));
        return out;
    }

    /** A JSON-friendly view of every device, sorted by id. */
    public synchronized List<Map<String, Object>> view() {
        return devices.values().stream().sorted(java.util.Comparator.comparing(d -> d.deviceId)).map(d -> {
            Map<String, Object> accuracy = new TreeMap<>();
            d.results.forEach((v, c) -> accuracy.put(v, Map.of("results", c[0], "with_ground_truth", c[1],
                    "accuracy", c[1] == 0 ? -1.0 : c[2] / (double) c[1])));
            Map<String, Object> m = new TreeMap<>();
            m.put("device", d.deviceId);
            m.put("fleet", d.fleet);
            m.put("group", d.group);
            m.put("active_version", d.activeVersion);
            m.put("deploy_status", new TreeMap<>(d.deployStatus));
            m.put("results", accuracy);
            Map<String, Object> answers = new TreeMap<>();
            d.answers.forEach((who, c) -> answers.put(who, Map.of("results", c[0], "with_ground_truth", c[1],
                    "accuracy", c[1] == 0 ? -1.0 : c[2] / (double) c[1], "macs_per_frame", c[0] == 0 ? 0 : c[3] / c[0])));
            m.put("answered_by", answers);
            m.put("rollbacks", d.rollbacks);
            m.put("inference_errors", d.inferenceErrors);
            m.put("upload_queue_dropped", Map.copyOf(d.dropped));
            m.put("inferences", d.inferences);
            m.put("hard_examples_acked", d.hardExamplesAcked);
            m.put("latency_p50_ms", d.latencyP50Ms);
            m.put("rejected_messages", d.rejectedMessages);
            m.put("last_seen_ms", d.lastSeenMs);
            return m;
        }).toList();
    }

    /**
     * What the given devices of a fleet reported about two versions, for a rollout's stop conditions; a
     * device the cloud has not heard from is absent.
     */
    public synchronized Map<String, VersionReport> reports(String fleet, java.util.Collection<String> deviceIds,
            String version) {
        Map<String, VersionReport> out = new java.util.HashMap<>();
        for (String id : deviceIds) {
            Device d = devices.get(id);
            if (d == null || !fleet.equals(d.fleet)) {
                continue;
            }
            out.put(id, report(d, version));
        }
        return out;
    }

    /**
     * Since when this service reads what devices report (its consumer's first partitions), 0 before that. What
     * devices said while no service read it (a restart) is gone; what they report again counts from here.
     */
    public long listeningSinceMs() {
        return loop == null ? 0 : loop.assignedSinceMs();
    }

    /** What the given devices of a fleet reported about the version each runs now; unheard-of devices are absent. */
    public synchronized Map<String, VersionReport> reportsOnActive(String fleet, java.util.Collection<String> deviceIds) {
        Map<String, VersionReport> out = new java.util.HashMap<>();
        for (String id : deviceIds) {
            Device d = devices.get(id);
            if (d != null && fleet.equals(d.fleet)) {
                out.put(id, report(d, d.activeVersion));
            }
        }
        return out;
    }

    private static VersionReport report(Device d, String version) {
        long[] w = d.windows.getOrDefault(version, new long[2]);
        long[] r = d.results.getOrDefault(version, new long[3]);
        return new VersionReport(d.activeVersion, d.deployStatus.getOrDefault(version, ""), w[0], w[1], r[1], r[2],
                d.latencyP95Ms.getOrDefault(version, Float.NaN), d.latencyP99Ms.getOrDefault(version, Float.NaN),
                d.restarts.getOrDefault(version, 0L), d.lastSeenMs);
    }

    /**
     * One device on one version.
     *
     * @param activeVersion the version the device last reported active
     * @param deployStatus its acknowledgement of that version ({@code ACTIVE}, {@code FAILED_SMOKE}, ...), empty if none
     * @param frames frames the version answered in the telemetry windows received
     * @param escalated of those, frames the gate escalated
     * @param labelled results of the version whose true label was known (the audit sample)
     * @param correct of those, the correct ones
     * @param latencyP95Ms the latest p95 latency the device reported on the version, NaN if none
     * @param latencyP99Ms the latest p99 latency the device reported on the version, NaN if none
     * @param restarts times the device restarted while it ran the version, as far as this service heard
     */
    public record VersionReport(String activeVersion, String deployStatus, long frames, long escalated, long labelled,
            long correct, float latencyP95Ms, float latencyP99Ms, long restarts, long lastSeenMs) {
    }

    /** The devices of one fleet that last reported {@code group} (null: every device of the fleet), sorted. */
    public synchronized List<String> devicesOf(String fleet, String group) {
        if (group == null) {
            return devices.values().stream().filter(d -> fleet.equals(d.fleet)).map(d -> d.deviceId).sorted().toList();
        }
        return devices.values().stream().filter(d -> fleet.equals(d.fleet) && group.equals(d.group))
                .map(d -> d.deviceId).sorted().toList();
    }

    void stop(@Observes ShutdownEvent event) {
        if (loop != null) {
            loop.close();
        }
        if (saver != null) {
            saver.shutdownNow();
            save();
        }
    }
}
