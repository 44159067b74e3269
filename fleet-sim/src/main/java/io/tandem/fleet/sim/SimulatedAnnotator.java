package io.tandem.fleet.sim;

import com.fasterxml.jackson.databind.JsonNode;
import io.tandem.fleet.cloud.CloudApi;
import io.tandem.fleet.scenario.GroundTruth;

/**
 * The person with a labelling tool, simulated: asks the cloud which samples it wants labelled, looks each
 * one up in the scenario's ground truth (where a person would look at the image) and posts the true class.
 * It is the only way the loop ever learns a true class, and it spends at most its budget per call.
 */
public final class SimulatedAnnotator {

    private final CloudApi api;
    private final GroundTruth truth;
    private long labelled;
    private final java.util.Set<Long> labelledFrames = new java.util.HashSet<>();
    private long unrecognised;

    /** An annotator working through {@code api}, answering from {@code truth}. */
    public SimulatedAnnotator(CloudApi api, GroundTruth truth) {
        this.api = api;
        this.truth = truth;
    }

    /** Labels up to {@code budget} samples the cloud asks for; returns how many it labelled. */
    public int work(int budget) {
        if (budget <= 0) {
            return 0;
        }
        int done = 0;
        for (JsonNode item : api.labelQueue(budget)) {
            var shown = truth.frame(item.path("sourceFrame").asLong(-1));
            if (shown.isEmpty()) {
                unrecognised++;
                continue;
            }
            api.postLabel(item.path("key").asText(), shown.get().label(), "simulated-annotator");
            labelledFrames.add(shown.get().frameId());
            done++;
        }
        labelled += done;
        return done;
    }

    /** Labels given so far. */
    public long labelled() {
        return labelled;
    }

    /** The frames labelled so far. */
    public java.util.Set<Long> labelledFrames() {
        return java.util.Set.copyOf(labelledFrames);
    }

    /** Queue items whose frame the scenario never showed (must stay 0). */
    public long unrecognised() {
        return unrecognised;
    }
}
