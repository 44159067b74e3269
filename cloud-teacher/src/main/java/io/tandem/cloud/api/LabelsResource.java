package io.tandem.cloud.api;

import io.tandem.cloud.labels.LabelQueue;
import io.tandem.cloud.metrics.Rejections;
import io.tandem.cloud.store.SampleStore;
import io.tandem.proto.Codecs;
import io.tandem.proto.PayloadException;
import io.tandem.proto.v1.HardExample;
import io.tandem.proto.v1.HumanLabel;
import jakarta.inject.Inject;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.Base64;
import java.util.List;

/**
 * The annotator's side of the loop, as a labelling tool would use it: fetch the samples the cloud wants a
 * person to label, post the labels back. Every refused label is counted under {@code api/labels}.
 */
@Path("/api/labels")
@Produces(MediaType.APPLICATION_JSON)
public class LabelsResource {

    @Inject
    LabelQueue queue;

    @Inject
    SampleStore store;

    @Inject
    Rejections rejections;

    /**
     * One sample to label: its key, the device's own id of the frame (so a tool can find the original
     * capture), group, the raw image (base64) with its shape, and the teacher's guess.
     */
    public record QueueItem(String key, String deviceId, long sequence, long sourceFrame, String group, List<Long> shape,
            String pixels, int teacherLabel, double uncertainty) {
    }

    /** A person's label. */
    public record LabelRequest(String key, Integer label, String annotator) {
    }

    /** What the store holds after a label. */
    public record LabelResponse(String key, int label, long humanLabels) {
    }

    /** Up to {@code limit} samples (1..1000) to label, most useful first, optionally from one group. */
    @GET
    @Path("/queue")
    public List<QueueItem> queue(@QueryParam("limit") @DefaultValue("10") int limit,
            @QueryParam("group") @DefaultValue("") String group) {
        if (limit < 1 || limit > 1000) {
            throw refuse("BAD_REQUEST", new BadRequestException("limit must be in 1..1000, got " + limit));
        }
        return queue.next(limit, group).stream().map(c -> {
            HardExample e = c.sample().getExample();
            return new QueueItem(c.key(), e.getDeviceId(), e.getSequence(), e.getSourceFrame(), e.getGroup(),
                    e.getInput().getShapeList(),
                    Base64.getEncoder().encodeToString(e.getInput().getData().toByteArray()), c.sample().getTeacherLabel(),
                    c.uncertainty());
        }).toList();
    }

    /** Stores a label: 404 for a sample the store does not hold, 400 for a label outside its classes. */
    @POST
    public LabelResponse label(LabelRequest request) {
        if (request == null || request.key() == null || request.label() == null) {
            throw refuse("MALFORMED", new BadRequestException("body must name key and label"));
        }
        int hash = request.key().lastIndexOf('#');
        int at = request.key().indexOf('@', Math.max(hash, 0));
        long sequence;
        try {
            sequence = Long.parseLong(request.key().substring(hash + 1, at < 0 ? request.key().length() : at));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            throw refuse("MALFORMED", new BadRequestException("key must be DEVICE#SEQUENCE[@INCARNATION], got "
                    + request.key()));
        }
        HumanLabel label;
        try {
            label = HumanLabel.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                    .setDeviceId(hash < 0 ? "" : request.key().substring(0, hash)).setSequence(sequence)
                    .setIncarnation(at < 0 ? "" : request.key().substring(at + 1))
                    .setLabel(request.label()).setAnnotator(request.annotator() == null ? "" : request.annotator())
                    .setLabelledAtMs(System.currentTimeMillis()).build();
            Codecs.HUMAN_LABEL.validate(label);
        } catch (PayloadException e) {
            throw refuse("MALFORMED", new BadRequestException(e.getMessage()));
        }
        return switch (store.addHumanLabel(label)) {
            case STORED -> new LabelResponse(request.key(), request.label(), store.humanLabels());
            case UNKNOWN_SAMPLE -> throw refuse("UNKNOWN_SAMPLE", new NotFoundException("no stored sample " + request.key()));
            case OUTSIDE_WINDOW -> throw refuse("OUTSIDE_WINDOW", new WebApplicationException("sample " + request.key()
                    + " is older than the training window of " + store.windowSamples()
                    + " samples (tandem.store.window-samples): its label would not be used", Response.Status.GONE));
            case OUT_OF_RANGE -> throw refuse("OUT_OF_RANGE", new BadRequestException("label " + request.label()
                    + " is outside the classes of sample " + request.key()));
        };
    }

    private RuntimeException refuse(String reason, RuntimeException e) {
        rejections.reject("api/labels", reason, e.getMessage());
        return e;
    }
}
