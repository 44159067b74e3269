package io.tandem.fleet.report;

import java.util.List;
import java.util.Map;

/**
 * What one round of a scenario measured, per device group.
 *
 * @param round the round, 0-based
 * @param groups per group, in scenario order
 * @param teacherVersion the teacher in service at the end of the round
 * @param humanLabels labels the annotator gave this round
 * @param seconds wall-clock seconds the round took, retraining included
 */
public record RoundRecord(int round, List<Group> groups, String teacherVersion, int humanLabels, double seconds) {

    /**
     * One group in one round.
     *
     * @param group the group
     * @param distribution what its cameras saw
     * @param drifted whether its distribution changed at this round
     * @param answeredBy the model version that answered the round's frames
     * @param streamAccuracy accuracy on the frames the devices answered
     * @param heldOutAccuracy accuracy of {@code answeredBy} on the group's held-out frames of this distribution
     * @param frames frames answered
     * @param uploads samples the group's devices uploaded this round
     * @param driftScore the cloud's drift score at the end of the round, NaN when it had none
     * @param inForceAfter the version the group runs after the round's retraining
     * @param heldOutAccuracyAfter accuracy of {@code inForceAfter} on the same held-out frames
     * @param baselines accuracy on the same held-out frames of each baseline, by name
     */
    public record Group(String group, String distribution, boolean drifted, String answeredBy, double streamAccuracy,
            double heldOutAccuracy, long frames, long uploads, double driftScore, String inForceAfter,
            double heldOutAccuracyAfter, Map<String, Double> baselines) {
    }
}
