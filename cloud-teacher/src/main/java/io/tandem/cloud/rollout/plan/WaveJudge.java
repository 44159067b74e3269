package io.tandem.cloud.rollout.plan;

import io.tandem.cloud.rollout.FleetState.VersionReport;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Decides what one started wave of a rollout does next, from what its devices report on the new version and
 * what the target's devices reported on the version they ran before: stop (a condition tripped), advance
 * (enough devices run the new version and the soak time is over), or wait.
 */
public final class WaveJudge {

    private WaveJudge() {
    }

    /** What the wave does next. */
    public enum Action { WAIT, ADVANCE, STOP }

    /**
     * A verdict.
     *
     * @param succeeded whether the success threshold is reached (the soak time counts from the first tick that says so)
     * @param reason why it stops, or what it waits for
     */
    public record Verdict(Action action, boolean succeeded, String reason) {
    }

    /** Acknowledgements that mean the device does not run the new version and will not by itself. */
    static final List<String> FAILED = List.of("FAILED_DOWNLOAD", "FAILED_VERIFICATION", "FAILED_LOAD", "FAILED_SMOKE",
            "ROLLED_BACK", "SUPERSEDED", "STALE");

    /**
     * Judges one wave.
     *
     * @param wave the wave's devices, each with what it reported on the new version (absent: never heard from)
     * @param before the target's devices on the version each ran before (the comparison)
     * @param startedMs since when its devices could be heard: the later of the deploy commands going out and this
     *     service starting to read reports
     * @param succeededMs when the wave first reached the success threshold, 0 if not yet
     */
    public static Verdict judge(PlanSpec plan, Collection<String> wave, Map<String, VersionReport> onNew,
            Collection<VersionReport> before, long startedMs, long succeededMs, long nowMs) {
        StopConditions stop = plan.stop();
        int n = wave.size();
        Map<String, Integer> failed = new TreeMap<>();
        int active = 0;
        int missing = 0;
        boolean late = nowMs - startedMs >= plan.ackTimeoutSeconds() * 1000L;
        for (String device : wave) {
            VersionReport r = onNew.get(device);
            String status = r == null ? "" : r.deployStatus();
            if (FAILED.contains(status)) {
                failed.merge(status, 1, Integer::sum);
            } else if (status.equals("ACTIVE") && r.activeVersion().equals(plan.version())) {
                active++;
            } else if (late) {
                missing++;
            }
        }
        int bad = failed.values().stream().mapToInt(Integer::intValue).sum() + missing;
        if (n > 0 && bad > stop.maxFailedFraction() * n) {
            return new Verdict(Action.STOP, false, String.format("%d of %d devices failed%s%s, more than %.0f%%", bad, n,
                    failed.isEmpty() ? "" : " " + failed, missing == 0 ? "" : " (" + missing + " without an"
                    + " acknowledgement after " + plan.ackTimeoutSeconds() + " s)", 100 * stop.maxFailedFraction()));
        }
        String quality = quality(stop, onNew.values(), before);
        if (quality != null) {
            return new Verdict(Action.STOP, false, quality);
        }
        boolean succeeded = n > 0 && active >= Math.ceil(plan.successThreshold() * n);
        if (!succeeded) {
            return new Verdict(Action.WAIT, false, active + " of " + n + " devices run " + plan.version());
        }
        long soakedMs = succeededMs == 0 ? 0 : nowMs - succeededMs;
        if (soakedMs < plan.soakSeconds() * 1000L) {
            return new Verdict(Action.WAIT, true, active + " of " + n + " devices run " + plan.version() + "; soaking "
                    + soakedMs / 1000 + " of " + plan.soakSeconds() + " s");
        }
        return new Verdict(Action.ADVANCE, true, active + " of " + n + " devices run " + plan.version());
    }

    /** The first quality condition that tripped (restarts, escalation rate, audit accuracy, p95 latency), or null. */
    static String quality(StopConditions stop, Collection<VersionReport> onNew, Collection<VersionReport> before) {
        Totals now = Totals.of(onNew);
        Totals was = Totals.of(before);
        // Restarts are judged at once: a device that restarts on the new version needs no frames to show it.
        double restartedNow = restartedShare(onNew);
        double restartedBefore = restartedShare(before);
        if (!onNew.isEmpty() && restartedNow - (Double.isNaN(restartedBefore) ? 0 : restartedBefore)
                > stop.maxRestartRise()) {
            return String.format("%.0f%% of the wave's devices restarted on the new version against %.0f%% on the"
                    + " previous one, more than %.0f points more", 100 * restartedNow,
                    Double.isNaN(restartedBefore) ? 0 : 100 * restartedBefore, 100 * stop.maxRestartRise());
        }
        if (now.frames() >= stop.minFrames() && was.frames() >= stop.minFrames()
                && now.escalationRate() - was.escalationRate() > stop.maxEscalationRise()) {
            return String.format("escalation rate rose from %.3f to %.3f (over %d frames), more than %.3f",
                    was.escalationRate(), now.escalationRate(), now.frames(), stop.maxEscalationRise());
        }
        if (now.labelled() >= stop.minFrames() && was.labelled() >= stop.minFrames()
                && was.accuracy() - now.accuracy() > stop.maxAccuracyDrop()) {
            return String.format("audit accuracy fell from %.3f to %.3f (over %d labelled frames), more than %.3f",
                    was.accuracy(), now.accuracy(), now.labelled(), stop.maxAccuracyDrop());
        }
        // Latency right after a swap includes the new model's warm-up: judged, like escalations, on enough frames.
        double p95 = median(onNew);
        double p95Before = median(before);
        if (now.frames() >= stop.minFrames() && !Double.isNaN(p95) && !Double.isNaN(p95Before) && p95Before > 0
                && p95 > p95Before * (1 + stop.maxLatencyRise())) {
            return String.format("median p95 latency rose from %.2f ms to %.2f ms, more than %.0f%%", p95Before, p95,
                    100 * stop.maxLatencyRise());
        }
        return null;
    }

    /** What a set of devices reported on one version, summed. */
    private record Totals(long frames, long escalated, long labelled, long correct) {

        static Totals of(Collection<VersionReport> reports) {
            long frames = 0;
            long escalated = 0;
            long labelled = 0;
            long correct = 0;
            for (VersionReport r : reports) {
                frames += r.frames();
                escalated += r.escalated();
                labelled += r.labelled();
                correct += r.correct();
            }
            return new Totals(frames, escalated, labelled, correct);
        }

        double escalationRate() {
            return escalated / (double) frames;
        }

        double accuracy() {
            return correct / (double) labelled;
        }
    }

    /** The share of devices that restarted on their version, NaN for none. */
    static double restartedShare(Collection<VersionReport> reports) {
        return reports.isEmpty() ? Double.NaN
                : reports.stream().filter(r -> r.restarts() > 0).count() / (double) reports.size();
    }

    /** The median of the devices' p95 latencies, NaN when none reported one. */
    static double median(Collection<VersionReport> reports) {
        double[] v = reports.stream().mapToDouble(VersionReport::latencyP95Ms).filter(x -> !Double.isNaN(x)).sorted()
                .toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
