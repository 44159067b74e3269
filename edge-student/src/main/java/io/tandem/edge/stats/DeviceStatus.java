package io.tandem.edge.stats;

import java.util.List;
import java.util.Locale;

/**
 * A copy of one device's counters at one moment: what an operator, the agent's status file or a fleet
 * simulator reads.
 *
 * @param deviceId device id
 * @param fleet fleet id
 * @param activeVersion the model version in service, or {@code none}
 * @param stopped whether the device has stopped
 * @param inferences frames answered by all versions
 * @param hardExamplesSent hard examples the upload queue took
 * @param hardExamplesAcked hard examples the broker acknowledged (PUBACK)
 * @param hardExamplesFailed hard examples dropped (the upload queue was full, or could not store them)
 * @param rejectedMessages messages from the cloud the device refused
 * @param inferenceErrors frames a model threw on that no other model answered
 * @param rollbacks updates undone after the swap
 * @param teacherAnswers escalated frames the teacher answered in time (joint inference)
 * @param teacherFallbacks escalated frames the student answered because the teacher did not
 * @param answeredLabelled frames with ground truth, whoever answered them
 * @param answeredCorrect of those, frames whose final answer was right
 * @param latencyP50Ms median of the recent inference latencies
 * @param latencyP99Ms 99th percentile of the recent inference latencies
 * @param versions counters per model version, in the order the versions were first served
 */
public record DeviceStatus(String deviceId, String fleet, String activeVersion, boolean stopped, long inferences,
        long hardExamplesSent, long hardExamplesAcked, long hardExamplesFailed, long rejectedMessages,
        long inferenceErrors, long rollbacks, long teacherAnswers, long teacherFallbacks, long answeredLabelled,
        long answeredCorrect, float latencyP50Ms, float latencyP99Ms, List<Version> versions) {

    /**
     * Counters of one model version.
     *
     * @param version model version
     * @param frames frames it answered
     * @param labelled frames that carried ground truth
     * @param correct of those, frames it answered right
     * @param escalated frames its gate flagged
     */
    public record Version(String version, long frames, long labelled, long correct, long escalated) {

        /** Share of frames with ground truth answered right; NaN when none had any. */
        public double accuracy() {
            return labelled == 0 ? Double.NaN : correct / (double) labelled;
        }
    }

    /** Share of labelled frames whose final answer (teacher's or student's) was right; NaN when none. */
    public double answeredAccuracy() {
        return answeredLabelled == 0 ? Double.NaN : answeredCorrect / (double) answeredLabelled;
    }

    /** The counters of one version, if it served any frame. */
    public java.util.Optional<Version> version(String version) {
        return versions.stream().filter(v -> v.version().equals(version)).findFirst();
    }

    /** This status as a JSON object. */
    public String toJson() {
        StringBuilder rows = new StringBuilder();
        for (Version v : versions) {
            if (rows.length() > 0) {
                rows.append(",\n");
            }
            double acc = v.accuracy();
            rows.append(String.format(Locale.ROOT,
                    "    {\"version\": \"%s\", \"frames\": %d, \"labelled\": %d, \"correct\": %d, \"escalated\": %d,"
                            + " \"accuracy\": %s}", v.version(), v.frames(), v.labelled(), v.correct(), v.escalated(),
                    Double.isNaN(acc) ? "null" : String.format(Locale.ROOT, "%.6f", acc)));
        }
        return String.format(Locale.ROOT, "{%n  \"device\": \"%s\",%n  \"fleet\": \"%s\",%n"
                        + "  \"active_version\": \"%s\",%n  \"stopped\": %s,%n  \"inferences\": %d,%n"
                        + "  \"hard_examples_sent\": %d,%n  \"hard_examples_acked\": %d,%n  \"hard_examples_failed\": %d,%n"
                        + "  \"rejected_messages\": %d,%n  \"inference_errors\": %d,%n  \"rollbacks\": %d,%n"
                        + "  \"teacher_answers\": %d,%n  \"teacher_fallbacks\": %d,%n"
                        + "  \"latency_p50_ms\": %.3f,%n  \"latency_p99_ms\": %.3f,%n"
                        + "  \"versions\": [%n%s%n  ]%n}%n",
                deviceId, fleet, activeVersion, stopped, inferences, hardExamplesSent, hardExamplesAcked,
                hardExamplesFailed, rejectedMessages, inferenceErrors, rollbacks, teacherAnswers, teacherFallbacks, latencyP50Ms, latencyP99Ms, rows);
    }
}
