package io.tandem.cloud.drift;

/**
 * How far what a group's devices see now has moved from what they saw when the deployed version was new.
 *
 * <p>{@code score} is the largest of three shifts, each in [0, 1]: the Jensen-Shannon divergence (base 2)
 * of the confidence histograms, that of the predicted-class histograms, and the input shift
 * {@code min(1, (|mean - mean0| + |std - std0|) / (2 std0))}, where mean0 and std0 are those of the group's
 * input baseline.
 * Unlike accuracy, none of them needs a label.
 *
 * @param group the device group
 * @param version the deployed version the baseline belongs to
 * @param baselineFrames frames in the baseline
 * @param recentFrames frames in the recent window
 * @param confidenceShift JS divergence of the confidence histograms
 * @param classShift JS divergence of the predicted-class histograms
 * @param inputShift the input shift
 * @param escalationRate escalated share of the recent frames
 * @param baselineEscalationRate escalated share of the baseline frames
 * @param score the largest shift
 */
public record DriftScore(String group, String version, long baselineFrames, long recentFrames, double confidenceShift,
        double classShift, double inputShift, double escalationRate, double baselineEscalationRate, double score) {

    static DriftScore between(String group, String version, WindowAggregate baseline, WindowAggregate inputBaseline,
            WindowAggregate recent, WindowAggregate recentInput) {
        double conf = jensenShannon(baseline.confidence(), recent.confidence());
        double cls = jensenShannon(baseline.classes(), recent.classes());
        double std0 = Math.max(1e-3, inputBaseline.inputStd());
        double input = Math.min(1, (Math.abs(recentInput.inputMean() - inputBaseline.inputMean())
                + Math.abs(recentInput.inputStd() - inputBaseline.inputStd())) / (2 * std0));
        return new DriftScore(group, version, baseline.frames(), recentInput.frames(), conf, cls, input,
                recentInput.escalationRate(), baseline.escalationRate(), Math.max(conf, Math.max(cls, input)));
    }

    /** Jensen-Shannon divergence, base 2, of two count histograms; 0 when either is empty. */
    static double jensenShannon(long[] p, long[] q) {
        int n = Math.max(p.length, q.length);
        double sp = 0;
        double sq = 0;
        for (long v : p) {
            sp += v;
        }
        for (long v : q) {
            sq += v;
        }
        if (sp <= 0 || sq <= 0) {
            return 0;
        }
        double js = 0;
        for (int i = 0; i < n; i++) {
            double a = i < p.length ? p[i] / sp : 0;
            double b = i < q.length ? q[i] / sq : 0;
            double m = (a + b) / 2;
            if (a > 0) {
                js += a * Math.log(a / m) / 2;
            }
            if (b > 0) {
                js += b * Math.log(b / m) / 2;
            }
        }
        return Math.min(1, js / Math.log(2));
    }
}
