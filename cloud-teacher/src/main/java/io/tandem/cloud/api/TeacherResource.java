package io.tandem.cloud.api;

import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.joint.SiteMixes;
import io.tandem.cloud.joint.TeacherService;
import io.tandem.cloud.metrics.Rejections;
import io.tandem.proto.Codecs;
import io.tandem.proto.PayloadException;
import io.tandem.proto.v1.TeacherRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Joint inference over HTTP: {@code POST /api/teacher/infer} takes a {@code TeacherRequest} and answers a
 * {@code TeacherAnswer} (both {@code application/x-protobuf}) within the request's budget, or
 * 504 when the budget runs out (the request is never held longer), 429 with {@code Retry-After} when the
 * teacher's queue is full, 400 naming what is wrong with the request, 503 when joint inference is off.
 * Every refusal is counted under {@code api/teacher}.
 */
@Path("/api/teacher")
public class TeacherResource {

    /** Media type of protobuf bodies. */
    public static final String PROTOBUF = "application/x-protobuf";

    @Inject
    TeacherService service;

    @Inject
    TandemConfig config;

    @Inject
    Rejections rejections;

    @Inject
    SiteMixes siteMixes;

    /** Answers one escalated frame. */
    @POST
    @Path("/infer")
    @Consumes(PROTOBUF)
    @Produces({PROTOBUF, Problems.PROBLEM_JSON})
    public CompletionStage<Response> infer(byte[] body) {
        if (!config.joint().enabled()) {
            return done(problem(503, "DISABLED", "joint inference is off (tandem.joint.enabled=false)"));
        }
        TeacherRequest request;
        try {
            request = Codecs.TEACHER_REQUEST.decode(body);
        } catch (PayloadException e) {
            return done(problem(400, "MALFORMED", e.getMessage()));
        }
        byte[] pixels = request.getInput().getData().toByteArray();
        if (pixels.length != service.inputElements()) {
            return done(problem(400, "WRONG_SHAPE", "frame has " + pixels.length + " values, the teacher needs "
                    + service.inputElements()));
        }
        CompletableFuture<Response> answer;
        try {
            answer = service.submit(request.getSequence(), pixels, siteMixes.forDevice(request.getDeviceId()),
                    request.getBudgetMs())
                    .thenApply(a -> Response.ok(Codecs.TEACHER_ANSWER.encode(a), PROTOBUF).build());
        } catch (TeacherService.Overloaded e) {
            Response r = problem(429, "QUEUE_FULL", e.getMessage());
            return done(Response.fromResponse(r).header("Retry-After", Math.max(1, (e.retryAfterMs() + 999) / 1000))
                    .header("X-Retry-After-Ms", e.retryAfterMs()).build());
        }
        return answer.orTimeout(request.getBudgetMs(), TimeUnit.MILLISECONDS).exceptionally(e -> {
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                    ? e.getCause() : e;
            if (cause instanceof TimeoutException || cause instanceof TeacherService.Expired) {
                return problem(504, "DEADLINE", "no answer within the budget of " + request.getBudgetMs() + " ms"
                        + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
            }
            return problem(500, "TEACHER_FAILED", String.valueOf(cause.getMessage()));
        });
    }

    /** Queue and batch counters. */
    @GET
    @Path("/stats")
    @Produces(MediaType.APPLICATION_JSON)
    public TeacherService.Stats stats() {
        return service.stats();
    }

    private Response problem(int status, String reason, String detail) {
        rejections.reject("api/teacher", reason, detail);
        return Problems.response(status, detail);
    }

    private static CompletionStage<Response> done(Response r) {
        return CompletableFuture.completedFuture(r);
    }
}
