package io.tandem.cloud.api.v1;

import io.tandem.cloud.api.Problems;
import io.tandem.cloud.rollout.plan.PlanSpec;
import io.tandem.cloud.rollout.plan.RolloutPlans;
import io.tandem.cloud.rollout.plan.RolloutPlans.Plan;
import io.tandem.cloud.rollout.plan.WaveRollouts;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Rollout plans in waves: submit one, read them, pause, resume or abort one. Writes need the operator role,
 * reads the reader role ({@code ApiAuth}); a refused plan answers problem+json naming the field.
 */
@Path("/api/v1/rollouts")
@Produces(MediaType.APPLICATION_JSON)
public class RolloutPlansResource {

    @Inject
    WaveRollouts rollouts;

    @Inject
    RolloutPlans plans;

    /** Submits a plan; it starts its first wave within one tick. */
    @POST
    public Response submit(@Valid @NotNull PlanSpec plan) {
        try {
            return Response.status(201).entity(rollouts.submit(plan)).build();
        } catch (PlanSpec.Invalid e) {
            return Problems.invalid(e.field(), e.getMessage());
        }
    }

    /** The newest plans first. */
    @GET
    public List<Plan> list(@QueryParam("limit") Integer limit) {
        return plans.list(limit == null ? 50 : Math.max(1, Math.min(limit, 1000)));
    }

    /** One plan with its waves and devices. */
    @GET
    @Path("/{id}")
    public Response get(@PathParam("id") String id) {
        return plans.find(id).map(p -> Response.ok(p).build())
                .orElseGet(() -> Problems.response(404, "no rollout plan " + id));
    }

    /** Pauses a running plan. */
    @POST
    @Path("/{id}/pause")
    public Response pause(@PathParam("id") String id) {
        return act(id, "pause");
    }

    /** Resumes a paused plan. */
    @POST
    @Path("/{id}/resume")
    public Response resume(@PathParam("id") String id) {
        return act(id, "resume");
    }

    /** Aborts a plan and sends the devices it updated back to their previous version. */
    @POST
    @Path("/{id}/abort")
    public Response abort(@PathParam("id") String id) {
        return act(id, "abort");
    }

    private Response act(String id, String action) {
        try {
            Plan p = switch (action) {
                case "pause" -> rollouts.pause(id);
                case "resume" -> rollouts.resume(id);
                default -> rollouts.abort(id);
            };
            return Response.ok(p).build();
        } catch (NoSuchElementException e) {
            return Problems.response(404, e.getMessage());
        } catch (IllegalStateException e) {
            return Problems.response(409, e.getMessage());
        }
    }
}
