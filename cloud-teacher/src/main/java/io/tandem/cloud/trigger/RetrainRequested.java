package io.tandem.cloud.trigger;

import java.util.List;

/**
 * Fired (as a CDI event) when a trigger rule holds or an operator asks for a retrain.
 *
 * @param reason what fired, for logs and manifests
 * @param groups the device groups the reason concerns; empty when it concerns the whole fleet
 */
public record RetrainRequested(String reason, List<String> groups) {

    /** Copies the groups. */
    public RetrainRequested {
        groups = List.copyOf(groups);
    }
}
