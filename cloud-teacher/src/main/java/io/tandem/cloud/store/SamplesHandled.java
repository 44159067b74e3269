package io.tandem.cloud.store;

import java.util.List;

/**
 * Fired (as a CDI event) after the labeler has taken responsibility for samples: stored and synced, found
 * already stored, or refused and counted. Each sample's device gets a receipt for it.
 *
 * @param samples the samples of one batch
 */
public record SamplesHandled(List<SampleId> samples) {

    /** One sample: where it came from and its sequence under that device incarnation. */
    public record SampleId(String fleet, String deviceId, String incarnation, long sequence) {
    }
}
