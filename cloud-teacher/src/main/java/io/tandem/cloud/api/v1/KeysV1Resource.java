package io.tandem.cloud.api.v1;

import io.tandem.cloud.api.KeysResource;
import jakarta.ws.rs.Path;

/** The model-signing keys under {@code /api/v1/keys}: list, the current one as text, rotate, as {@link KeysResource}. */
@Path("/api/v1/keys")
public class KeysV1Resource extends KeysResource {
}
