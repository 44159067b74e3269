package io.tandem.cloud.retrain;

import io.tandem.proto.v1.ModelManifest;

/**
 * Fired (as a CDI event) when a student passed its gate and should reach its devices: the whole fleet for a
 * global student, its group's devices for a site student ({@code manifest.device_group}).
 *
 * @param manifest the promoted student's manifest
 */
public record StudentPromoted(ModelManifest manifest) {
}
