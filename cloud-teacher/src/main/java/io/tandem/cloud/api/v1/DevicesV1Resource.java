package io.tandem.cloud.api.v1;

import io.tandem.cloud.api.DevicesResource;
import jakarta.ws.rs.Path;

/** Device identities under {@code /api/v1/devices}: issue, revoke and list MQTT credentials, as {@link DevicesResource}. */
@Path("/api/v1/devices")
public class DevicesV1Resource extends DevicesResource {
}
