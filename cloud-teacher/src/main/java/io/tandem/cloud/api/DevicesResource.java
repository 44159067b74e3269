package io.tandem.cloud.api;

import io.tandem.cloud.devices.DeviceCredentials;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Set;

/**
 * Device MQTT credentials: {@code POST /api/devices/{id}/credentials} issues (or replaces) a device's password
 * and shows it once; {@code DELETE} revokes it; {@code GET /api/devices/credentials} lists who holds one.
 * 409 when the cloud manages no credentials ({@code tandem.mqtt.auth-dir} unset).
 */
@Path("/api/devices")
@Produces(MediaType.APPLICATION_JSON)
public class DevicesResource {

    @Inject
    DeviceCredentials credentials;

    private void requireEnabled() {
        if (!credentials.enabled()) {
            throw new WebApplicationException("the cloud issues no MQTT credentials: set tandem.mqtt.auth-dir",
                    Response.Status.CONFLICT);
        }
    }

    /** Issues credentials to a device. */
    @POST
    @Path("/{id}/credentials")
    public DeviceCredentials.Issued issue(@PathParam("id") String id) {
        requireEnabled();
        try {
            return credentials.issue(id);
        } catch (IllegalArgumentException e) {
            throw new WebApplicationException(e.getMessage(), Response.Status.BAD_REQUEST);
        }
    }

    /** Issues credentials to a device and answers with the password alone, for provisioning scripts. */
    @POST
    @Path("/{id}/credentials")
    @Produces(MediaType.TEXT_PLAIN)
    public String issuePassword(@PathParam("id") String id) {
        return issue(id).password() + "\n";
    }

    /** Revokes a device's credentials. */
    @DELETE
    @Path("/{id}/credentials")
    public Response revoke(@PathParam("id") String id) {
        requireEnabled();
        if (!credentials.revoke(id)) {
            throw new NotFoundException("device " + id + " holds no credentials");
        }
        return Response.noContent().build();
    }

    /** Who holds credentials: every user of the broker the cloud issued, its own among them. */
    public record Holders(Set<String> users) {
    }

    /** Who holds credentials. */
    @GET
    @Path("/credentials")
    public Holders holders() {
        requireEnabled();
        return new Holders(credentials.users());
    }
}
