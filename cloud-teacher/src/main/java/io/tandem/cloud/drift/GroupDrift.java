package io.tandem.cloud.drift;

import io.tandem.proto.v1.TelemetryWindow;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The telemetry windows of one device group, per model version: the first {@code baselineFrames} frames a
 * version answered in the group are its baseline, the latest {@code recentFrames} frames are compared with
 * it. Memory stays bounded: one aggregate and the windows of the recent span per version.
 */
final class GroupDrift {

    private final String group;
    private final long baselineFrames;
    private final long recentFrames;
    private final Map<String, VersionWindows> versions = new HashMap<>();
    private String latestVersion;

    private static final class VersionWindows {
        final WindowAggregate baseline = new WindowAggregate();
        final WindowAggregate recent = new WindowAggregate();
        final Deque<TelemetryWindow> recentWindows = new ArrayDeque<>();
    }

    GroupDrift(String group, long baselineFrames, long recentFrames) {
        this.group = group;
        this.baselineFrames = baselineFrames;
        this.recentFrames = recentFrames;
    }

    void add(TelemetryWindow w) {
        if (w.getFrames() == 0 || w.getModelVersion().isEmpty() || w.getModelVersion().equals("none")) {
            return;
        }
        latestVersion = w.getModelVersion();
        VersionWindows v = versions.computeIfAbsent(w.getModelVersion(), k -> new VersionWindows());
        if (v.baseline.frames() < baselineFrames) {
            v.baseline.add(w);
            return;
        }
        v.recentWindows.addLast(w);
        v.recent.add(w);
        while (v.recentWindows.size() > 1
                && v.recent.frames() - v.recentWindows.peekFirst().getFrames() >= recentFrames) {
            v.recent.subtract(v.recentWindows.removeFirst());
        }
    }

    /** The score of the version the group ran last, once it has a baseline and half a recent span. */
    Optional<DriftScore> score() {
        if (latestVersion == null) {
            return Optional.empty();
        }
        VersionWindows v = versions.get(latestVersion);
        if (v.baseline.frames() < baselineFrames || v.recent.frames() < recentFrames / 2) {
            return Optional.empty();
        }
        return Optional.of(DriftScore.between(group, latestVersion, v.baseline, v.recent));
    }
}
