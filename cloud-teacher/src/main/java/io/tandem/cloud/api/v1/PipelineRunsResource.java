package io.tandem.cloud.api.v1;

import io.tandem.cloud.api.Problems;
import io.tandem.cloud.metrics.Rejections;
import io.tandem.cloud.retrain.PipelineRuns;
import io.tandem.cloud.retrain.PipelineRuns.Run;
import io.tandem.cloud.retrain.RetrainPipeline;
import io.tandem.proto.Codecs;
import io.tandem.proto.PayloadException;
import io.tandem.proto.v1.TrainingResult;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
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
 * The retrain pipeline's runs: operators and readers see the queue and each run's progress, an operator queues
 * a round; retrain workers (role {@code worker}) claim runs, report progress and deliver results. A result that
 * is not valid protobuf, too large, or does not fit its run answers problem+json and is counted.
 */
@Path("/api/v1/pipeline-runs")
@Produces(MediaType.APPLICATION_JSON)
public class PipelineRunsResource {

    /** Media type of training jobs and results. */
    public static final String PROTOBUF = "application/x-protobuf";

    @Inject
    RetrainPipeline pipeline;

    @Inject
    PipelineRuns runs;

    @Inject
    Rejections rejections;

    /** A request to queue a round. */
    public record RoundRequest(@NotBlank @Size(max = 200) String reason) {
    }

    /**
     * A run as the API shows it.
     *
     * @param progress the tail of the worker's log (in the single-run view only)
     */
    public record RunView(String id, int round, String kind, String modelId, String version, String site, String reason,
            String state, String worker, int attempts, long createdMs, long claimedMs, long heartbeatMs, long finishedMs,
            boolean promoted, String outcome, String progress) {

        static RunView of(Run r, boolean withProgress) {
            return new RunView(r.id(), r.round(), r.kind().name(), r.modelId(), r.version(), r.site(), r.reason(),
                    r.state().name(), r.worker(), r.attempts(), r.createdMs(), r.claimedMs(), r.heartbeatMs(),
                    r.finishedMs(), r.promoted(), r.outcome(), withProgress ? r.progress() : null);
        }
    }

    /** The newest runs first. */
    @GET
    public List<RunView> list(@QueryParam("limit") Integer limit) {
        return runs.recent(limit == null ? 50 : Math.max(1, Math.min(limit, 1000))).stream()
                .map(r -> RunView.of(r, false)).toList();
    }

    /** One run with its progress. */
    @GET
    @Path("/{id}")
    public Response get(@PathParam("id") String id) {
        return runs.find(id).map(r -> Response.ok(RunView.of(r, true)).build())
                .orElseGet(() -> Problems.response(404, "no pipeline run " + id));
    }

    /** Queues a round now; 409 while one is queued or running. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response queue(@Valid RoundRequest request) {
        String reason = request == null ? "requested over HTTP" : request.reason();
        if (!pipeline.trigger(reason)) {
            return Problems.response(409, "a retrain round is queued or running already (or retraining is off)");
        }
        int round = runs.lastRound();
        return Response.status(202).entity(runs.round(round).stream().map(r -> RunView.of(r, false)).toList()).build();
    }

    /** A worker takes the next run: 200 with its job (protobuf), 204 when none waits. */
    @POST
    @Path("/claim")
    @Produces(PROTOBUF)
    public Response claim(@QueryParam("worker") @NotBlank @Size(max = 128) String worker) {
        return pipeline.claim(worker).map(job -> Response.ok(Codecs.TRAINING_JOB.encode(job), PROTOBUF).build())
                .orElseGet(() -> Response.noContent().build());
    }

    /** A worker's log lines; also its heartbeat. */
    @POST
    @Path("/{id}/progress")
    @Consumes(MediaType.TEXT_PLAIN)
    public Response progress(@PathParam("id") String id, @QueryParam("worker") @NotBlank String worker, String lines) {
        return act(() -> pipeline.progress(id, worker, lines == null ? "" : lines));
    }

    /** A worker's result (protobuf {@code TrainingResult}). */
    @POST
    @Path("/{id}/result")
    @Consumes(PROTOBUF)
    public Response result(@PathParam("id") String id, @QueryParam("worker") @NotBlank String worker, byte[] body) {
        TrainingResult result;
        try {
            result = Codecs.TRAINING_RESULT.decode(body);
        } catch (PayloadException e) {
            rejections.reject("api/pipeline-runs", e.reason().name(), "run " + id + " from " + worker + ": "
                    + e.getMessage());
            return Problems.invalid("body", e.getMessage());
        }
        return act(() -> pipeline.accept(id, worker, result));
    }

    /** A worker says its run failed. */
    @POST
    @Path("/{id}/failure")
    @Consumes(MediaType.TEXT_PLAIN)
    public Response failure(@PathParam("id") String id, @QueryParam("worker") @NotBlank String worker, String why) {
        return act(() -> pipeline.fail(id, worker, why == null || why.isBlank() ? "no reason given" : why));
    }

    private Response act(Runnable action) {
        try {
            action.run();
            return Response.noContent().build();
        } catch (NoSuchElementException e) {
            return Problems.response(404, e.getMessage());
        } catch (RetrainPipeline.NotYours e) {
            return Problems.response(409, e.getMessage());
        } catch (IllegalArgumentException e) {
            rejections.reject("api/pipeline-runs", "INVALID", e.getMessage());
            return Problems.invalid("body", e.getMessage());
        }
    }
}
