package io.tandem.cloud.lineage;

import java.util.List;
import java.util.Map;

/**
 * One registered model version as an operator reads it: where it comes from, what it learnt from, how it
 * scores on each site, and which devices run it now.
 *
 * @param modelId the model family, {@code teacher}, {@code student} or {@code student.<group>}
 * @param version the version, unique across families ({@code t2}, {@code v3}, {@code harbour-v2})
 * @param role {@code teacher} or {@code student}
 * @param group the device group a student is made for; empty for the whole fleet
 * @param parentTeacher the teacher version that taught it (for a teacher: the one it was adapted from)
 * @param parentVersion the previous version of the same family; empty for the first
 * @param dataBySource training examples by source (base, edge, human, pseudo)
 * @param metrics every metric its manifest records, such as accuracy per site's held-out frames
 * @param runningOn the devices whose latest report names this version, sorted
 */
public record ModelVersionView(String modelId, String version, String role, String group, String architecture,
        String parentTeacher, String parentVersion, String quantization, String quantizationReason,
        long createdAtMs, long parameters, long baseTrainingSamples, long edgeSamples, Map<String, Long> dataBySource,
        Map<String, Double> metrics, List<String> runningOn) {
}
