package io.tandem.cloud.api;

import io.tandem.cloud.bridge.MqttKafkaBridge;
import io.tandem.cloud.labeler.TeacherLabeler;
import io.tandem.cloud.metrics.Rejections;
import io.tandem.cloud.retrain.RetrainPipeline;
import io.tandem.cloud.rollout.FleetState;
import io.tandem.cloud.rollout.RolloutController;
import io.tandem.cloud.store.SampleStore;
import jakarta.inject.Inject;
import io.tandem.cloud.drift.DriftMonitor;
import io.tandem.cloud.drift.DriftScore;
import io.tandem.cloud.trigger.TriggerEngine;
import io.tandem.cloud.trigger.TriggerRule;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Operator endpoints: counters, fleet state, rollouts and retraining. */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
public class OperationsResource {

    @Inject
    MqttKafkaBridge bridge;

    @Inject
    TeacherLabeler labeler;

    @Inject
    SampleStore store;

    @Inject
    Rejections rejections;

    @Inject
    FleetState fleet;

    @Inject
    RolloutController rollouts;

    @Inject
    RetrainPipeline retrain;

    @Inject
    DriftMonitor drift;

    @Inject
    TriggerEngine triggers;

    @Inject
    io.tandem.cloud.bridge.ReceiptSender receipts;

    /** A rollout request. */
    public record RolloutRequest(String modelId, String version, String fleet) {
    }

    /** Counters of every stage. */
    @GET
    @Path("/stats")
    public Map<String, Object> stats() {
        Map<String, Object> m = new TreeMap<>();
        m.put("bridge_forwarded", bridge.forwarded());
        m.put("bridge_kafka_refusals", bridge.kafkaRefusals());
        m.put("labelled_by_this_process", labeler.labelled());
        m.put("duplicates_ignored", labeler.duplicates());
        m.put("samples_stored", store.size());
        m.put("samples_left_training_window", store.leftWindow());
        m.put("receipts_sent", receipts.sent());
        m.put("receipts_skipped", receipts.skipped());
        m.put("human_labels", store.humanLabels());
        m.put("retrains_triggered", triggers.fired());
        m.put("rejected_total", rejections.total());
        m.put("rejected", rejections.snapshot());
        return m;
    }

    /** Every device the cloud has heard from. */
    /**
     * Liveness of the cloud's workers (the consumer loops): 200 when each has polled within a minute, 503
     * naming the ones that have not.
     */
    @GET
    @Path("/health")
    public jakarta.ws.rs.core.Response health() {
        Map<String, Object> workers = new java.util.TreeMap<>();
        boolean up = true;
        for (var e : io.tandem.cloud.kafka.ConsumerLoop.all().entrySet()) {
            Map<String, Object> h = e.getValue().health();
            workers.put(e.getKey(), h);
            up &= Boolean.TRUE.equals(h.get("up"));
        }
        return jakarta.ws.rs.core.Response.status(up ? 200 : 503).type(jakarta.ws.rs.core.MediaType.APPLICATION_JSON)
                .entity(Map.of("status", up ? "UP" : "DOWN", "workers", workers)).build();
    }

    @GET
    @Path("/fleet")
    public List<Map<String, Object>> fleet() {
        return fleet.view();
    }

    /** Rollouts issued. */
    @GET
    @Path("/rollouts")
    public List<RolloutController.Rollout> rollouts() {
        return rollouts.rollouts();
    }

    /** Rolls a registered student out to a fleet. */
    @POST
    @Path("/rollouts")
    public RolloutController.Rollout rollout(RolloutRequest request) {
        if (request == null || request.modelId() == null || request.version() == null || request.fleet() == null) {
            throw new BadRequestException("body must name modelId, version and fleet");
        }
        try {
            return rollouts.deploy(request.modelId(), request.version(), request.fleet());
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(e.getMessage());
        }
    }

    /** A trigger rule as posted: Sedna's shape. */
    public record TriggerRequest(String metric, String operator, Double threshold, Integer checkPeriod, String group) {
    }

    /** A trigger rule with its id. */
    public record TriggerView(long id, TriggerRule rule) {
    }

    /** The drift score of every group with enough frames. */
    @GET
    @Path("/drift")
    public List<DriftScore> drift() {
        return drift.scores();
    }

    /** Every trigger rule. */
    @GET
    @Path("/triggers")
    public List<TriggerView> triggers() {
        return triggers.rules().entrySet().stream().map(e -> new TriggerView(e.getKey(), e.getValue()))
                .sorted(java.util.Comparator.comparingLong(TriggerView::id)).toList();
    }

    /** Adds a trigger rule; a bad one is refused with the field named and counted. */
    @POST
    @Path("/triggers")
    public TriggerView addTrigger(TriggerRequest request) {
        try {
            if (request == null || request.threshold() == null) {
                throw new IllegalArgumentException("threshold: required (body: metric, operator, threshold, checkPeriod)");
            }
            TriggerRule rule = new TriggerRule(request.metric(), request.operator() == null ? ">" : request.operator(),
                    request.threshold(), request.checkPeriod() == null ? 10 : request.checkPeriod(), request.group());
            return new TriggerView(triggers.addKept(rule), rule);
        } catch (IllegalArgumentException e) {
            rejections.reject("api/triggers", "INVALID", e.getMessage());
            throw new BadRequestException(e.getMessage());
        }
    }

    /** Removes a trigger rule. */
    @DELETE
    @Path("/triggers/{id}")
    public Map<String, Object> removeTrigger(@PathParam("id") long id) {
        if (!triggers.remove(id)) {
            throw new NotFoundException("no trigger " + id);
        }
        return Map.of("removed", id);
    }

    /** Retraining status. */
    @GET
    @Path("/retrain")
    public Map<String, Object> retrainStatus() {
        return retrain.status();
    }

    /** Starts a retrain now. */
    @POST
    @Path("/retrain")
    public Map<String, Object> retrainNow() {
        boolean started = retrain.trigger("requested over HTTP");
        Map<String, Object> m = new TreeMap<>(retrain.status());
        m.put("started", started);
        return m;
    }
}
