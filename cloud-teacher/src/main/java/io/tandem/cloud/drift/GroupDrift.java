package io.tandem.cloud.drift;

import io.tandem.proto.v1.TelemetryWindow;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The telemetry windows of one device group. Confidence and class histograms depend on the model, so each
 * version gets its own baseline: the first {@code baselineFrames} frames it answered in the group. The
 * input's statistics do not, so the group keeps one input baseline across versions, replaced only when a
 * version that names its own reference (the input statistics of the group data it learnt from) starts
 * answering: a model deployed just before a drift must not make the drifted input its reference. The latest
 * {@code recentFrames} frames are compared with both. Memory stays bounded: aggregates and the windows of the
 * recent span.
 */
final class GroupDrift {

    private final String group;
    private final long baselineFrames;
    private final long recentFrames;
    /** Versions a group keeps windows and references of: the newest; a site runs one or two at a time. */
    static final int VERSIONS_KEPT = 16;
    private final Map<String, VersionWindows> versions = new LinkedHashMap<>();
    private final Map<String, double[]> references = new LinkedHashMap<>();
    private WindowAggregate inputBaseline = new WindowAggregate();
    /** The group's latest frames whatever version answered them: the input does not depend on the model. */
    private final WindowAggregate recentInput = new WindowAggregate();
    private final Deque<TelemetryWindow> recentInputWindows = new ArrayDeque<>();
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

    /** Drops the entries first added beyond {@link #VERSIONS_KEPT}, never the version answering now. */
    private <V> void forgetOldest(Map<String, V> byVersion) {
        var it = byVersion.keySet().iterator();
        while (byVersion.size() > VERSIONS_KEPT && it.hasNext()) {
            if (!it.next().equals(latestVersion)) {
                it.remove();
            }
        }
    }

    void add(TelemetryWindow w) {
        if (w.getFrames() == 0 || w.getModelVersion().isEmpty() || w.getModelVersion().equals("none")) {
            return;
        }
        if (!w.getModelVersion().equals(latestVersion) && references.containsKey(w.getModelVersion())) {
            double[] ref = references.get(w.getModelVersion());
            inputBaseline = WindowAggregate.ofInput(baselineFrames, ref[0], ref[1]);
        }
        latestVersion = w.getModelVersion();
        if (inputBaseline.frames() < baselineFrames) {
            inputBaseline.add(w);
        } else {
            recentInputWindows.addLast(w);
            recentInput.add(w);
            trim(recentInput, recentInputWindows);
        }
        VersionWindows v = versions.computeIfAbsent(w.getModelVersion(), k -> new VersionWindows());
        forgetOldest(versions);
        if (v.baseline.frames() < baselineFrames) {
            v.baseline.add(w);
            return;
        }
        v.recentWindows.addLast(w);
        v.recent.add(w);
        trim(v.recent, v.recentWindows);
    }

    private void trim(WindowAggregate aggregate, Deque<TelemetryWindow> windows) {
        while (windows.size() > 1 && aggregate.frames() - windows.peekFirst().getFrames() >= recentFrames) {
            aggregate.subtract(windows.removeFirst());
        }
    }

    /** The input statistics a version learnt this group from; they become the input baseline when it answers. */
    void reference(String version, double mean, double std) {
        references.put(version, new double[] {mean, std});
        forgetOldest(references);
    }

    /** Mean and spread of the input the group's devices saw most recently: {@code [mean, std]}, in [0, 1]. */
    Optional<double[]> recentInput() {
        if (latestVersion == null) {
            return Optional.empty();
        }
        WindowAggregate a = recentInput.frames() >= 50 ? recentInput : inputBaseline;
        return a.frames() == 0 ? Optional.empty() : Optional.of(new double[] {a.inputMean(), a.inputStd()});
    }

    /**
     * The score of the group, once its input baseline is complete and half a recent span has followed. The
     * histogram shifts of the version it ran last count once that version has its own baseline and half a
     * recent span; until then only the input shift speaks, so a version deployed at a drift does not hide it.
     */
    Optional<DriftScore> score() {
        if (latestVersion == null || inputBaseline.frames() < baselineFrames || recentInput.frames() < recentFrames / 2) {
            return Optional.empty();
        }
        VersionWindows v = versions.get(latestVersion);
        boolean histograms = v.baseline.frames() >= baselineFrames && v.recent.frames() >= recentFrames / 2;
        return Optional.of(DriftScore.between(group, latestVersion, histograms ? v.baseline : new WindowAggregate(),
                inputBaseline, histograms ? v.recent : new WindowAggregate(), recentInput));
    }
}
