package io.tandem.cloud.store;

/**
 * Fired (as a CDI event) after labelled samples were appended to the store and synced.
 *
 * @param added samples appended by this batch
 * @param storedSamples samples in the store now
 */
public record SamplesStored(int added, long storedSamples) {
}
