package io.tandem.cloud.api.v1;

import io.tandem.cloud.api.Problems;
import io.tandem.cloud.drift.DriftMonitor;
import io.tandem.cloud.drift.DriftScore;
import io.tandem.cloud.rollout.FleetState;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;

/** The fleet as typed reads: every device's latest state, one device, and the drift score of each site. */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
public class FleetResource {

    @Inject
    FleetState fleet;

    @Inject
    DriftMonitor drift;

    /** Every device the cloud remembers, sorted by id; only one site's with {@code ?site=}. */
    @GET
    @Path("/fleet")
    public List<FleetState.DeviceSummary> devices(@QueryParam("site") String site) {
        List<FleetState.DeviceSummary> all = fleet.summaries();
        return site == null ? all : all.stream().filter(d -> d.group().equals(site)).toList();
    }

    /** One device; 404 problem+json when the cloud has not heard of it. */
    @GET
    @Path("/fleet/{device}")
    public Response device(@PathParam("device") String device) {
        return fleet.summary(device).map(d -> Response.ok(d).build())
                .orElseGet(() -> Problems.response(404, "no device " + device + " has reported to this cloud"));
    }

    /** The drift score of every site against the baseline of the version it runs. */
    @GET
    @Path("/drift")
    public List<DriftScore> drift() {
        return drift.scores();
    }
}
