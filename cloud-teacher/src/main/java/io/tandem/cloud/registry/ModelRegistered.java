package io.tandem.cloud.registry;

import io.tandem.proto.v1.ModelManifest;

/**
 * Fired (as a CDI event) once a model version is completely registered and can be served.
 *
 * @param manifest the registered version's manifest
 */
public record ModelRegistered(ModelManifest manifest) {
}
