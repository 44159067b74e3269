package io.tandem.edge.device;

import com.google.protobuf.ByteString;
import io.tandem.edge.feed.Frame;
import io.tandem.edge.inference.StudentModel;
import io.tandem.edge.uplink.UploadQueue;
import io.tandem.edge.stats.DeviceStats;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.Topics.DeviceStream;
import io.tandem.proto.v1.DType;
import io.tandem.proto.v1.GateReason;
import io.tandem.proto.v1.HardExample;
import io.tandem.proto.v1.Tensor;

/**
 * Queues the frames the gate flags as hard examples for upload, with how useful each one is to the cloud,
 * so that a full queue drops the least useful first: random audits are the unbiased sample drift and gates
 * rely on and are kept longest; other examples rank by the student's uncertainty (one minus its top
 * probability). Counts each one where it happens: taken by the queue, acknowledged by the broker, dropped.
 */
final class HardExampleUploader {

    private final UploadQueue queue;
    private final DeviceStats stats;
    private final String deviceId;
    private final String fleet;
    private final String group;
    private final String topic;
    /** A random id drawn at each start: with the sequence it tells a wiped device from a redelivery. */
    private final String incarnation = java.util.UUID.randomUUID().toString().substring(0, 13);

    HardExampleUploader(UploadQueue queue, DeviceStats stats, String deviceId, String fleet, String group) {
        this.group = group;
        this.queue = queue;
        this.stats = stats;
        this.deviceId = deviceId;
        this.fleet = fleet;
        this.topic = Topics.mqtt(fleet, deviceId, DeviceStream.SAMPLES);
    }

    /** How useful an uploaded frame is, in [0, 1]. */
    static double usefulness(GateReason reason, float[] probabilities) {
        if (reason == GateReason.RANDOM_AUDIT) {
            return 1;
        }
        float top = 0;
        for (float p : probabilities) {
            top = Math.max(top, p);
        }
        return 0.999 * (1 - top);
    }

    /** Queues one hard example; the broker's PUBACK is counted when it arrives. */
    void upload(StudentModel model, Frame frame, float[] probabilities, GateReason reason, float threshold,
            long sequence, long captureTimeMs) {
        HardExample.Builder example = HardExample.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                .setDeviceId(deviceId).setFleet(fleet).setGroup(group).setModelVersion(model.version()).setSequence(sequence)
                .setIncarnation(incarnation)
                .setSourceFrame(frame.index())
                .setCaptureTimeMs(captureTimeMs).setGateReason(reason).setThreshold(threshold)
                .setInput(Tensor.newBuilder().addAllShape(model.manifest().getInput().getShapeList())
                        .setDtype(DType.UINT8).setData(ByteString.copyFrom(frame.pixels())));
        for (float p : probabilities) {
            example.addProbabilities(p);
        }
        if (frame.hasGroundTruth()) {
            example.setGroundTruth(frame.groundTruth());
        }
        stats.hardExampleSent();
        queue.offer(UploadQueue.Kind.SAMPLES, topic, Codecs.HARD_EXAMPLE.encode(example.build()),
                usefulness(reason, probabilities));
    }
}
