package io.tandem.cloud.api.v1;

import io.tandem.cloud.api.Problems;
import io.tandem.cloud.metrics.Rejections;
import io.tandem.cloud.trigger.TriggerEngine;
import io.tandem.cloud.trigger.TriggerRule;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Comparator;
import java.util.List;

/**
 * Retrain triggers in Sedna's shape: read them, add one (kept in the database), remove one. A refused rule answers
 * problem+json naming the field and is counted under {@code api/triggers}.
 */
@Path("/api/v1/triggers")
@Produces(MediaType.APPLICATION_JSON)
public class TriggersResource {

    @Inject
    TriggerEngine triggers;

    @Inject
    Rejections rejections;

    /**
     * A rule to add.
     *
     * @param operator one of {@code > >= < <= ==}; {@code >} when left out
     * @param checkPeriodSeconds how often it is checked; 10 when left out
     * @param site the device group a group metric is restricted to; every group when left out
     */
    public record NewTrigger(@NotBlank @Size(max = 64) String metric,
            @Pattern(regexp = ">|>=|<|<=|==", message = "must be one of > >= < <= ==") String operator,
            @NotNull Double threshold, @Min(1) @Max(86_400) Integer checkPeriodSeconds, @Size(max = 64) String site) {
    }

    /** A rule with its id. */
    public record Trigger(long id, String metric, String operator, double threshold, int checkPeriodSeconds,
            String site) {

        static Trigger of(long id, TriggerRule r) {
            return new Trigger(id, r.metric(), r.operator(), r.threshold(), r.checkPeriodSeconds(), r.group());
        }
    }

    /** Every rule, the configured ones and those added here, by id. */
    @GET
    public List<Trigger> list() {
        return triggers.rules().entrySet().stream().map(e -> Trigger.of(e.getKey(), e.getValue()))
                .sorted(Comparator.comparingLong(Trigger::id)).toList();
    }

    /** Adds a rule; 201 with its id. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response add(@Valid @NotNull NewTrigger request) {
        TriggerRule rule;
        try {
            rule = new TriggerRule(request.metric(), request.operator() == null ? ">" : request.operator(),
                    request.threshold(), request.checkPeriodSeconds() == null ? 10 : request.checkPeriodSeconds(),
                    request.site() == null ? "" : request.site());
        } catch (IllegalArgumentException e) {
            rejections.reject("api/triggers", "INVALID", e.getMessage());
            String message = e.getMessage();
            int colon = message.indexOf(':');
            return Problems.invalid(colon > 0 ? message.substring(0, colon) : "body", message);
        }
        return Response.status(201).entity(Trigger.of(triggers.addKept(rule), rule)).build();
    }

    /** Removes a rule; 404 when none has this id. */
    @DELETE
    @Path("/{id}")
    public Response remove(@PathParam("id") long id) {
        return triggers.remove(id) ? Response.noContent().build() : Problems.response(404, "no trigger " + id);
    }
}
