package io.tandem.edge.device;

import com.google.protobuf.ByteString;
import io.tandem.edge.feed.Frame;
import io.tandem.edge.inference.StudentModel;
import io.tandem.edge.link.MqttLink;
import io.tandem.edge.stats.DeviceStats;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.Topics.DeviceStream;
import io.tandem.proto.v1.DType;
import io.tandem.proto.v1.GateReason;
import io.tandem.proto.v1.HardExample;
import io.tandem.proto.v1.Tensor;

/**
 * Uploads the frames the gate flags as hard examples (QoS 1) and counts each one where it happens: handed
 * to the client, acknowledged by the broker, or failed.
 */
final class HardExampleUploader {

    private final MqttLink link;
    private final DeviceStats stats;
    private final String deviceId;
    private final String fleet;
    private final String group;
    private final String topic;

    HardExampleUploader(MqttLink link, DeviceStats stats, String deviceId, String fleet, String group) {
        this.group = group;
        this.link = link;
        this.stats = stats;
        this.deviceId = deviceId;
        this.fleet = fleet;
        this.topic = Topics.mqtt(fleet, deviceId, DeviceStream.SAMPLES);
    }

    /** Publishes one hard example; the broker's PUBACK is counted when it arrives. */
    void upload(StudentModel model, Frame frame, float[] probabilities, GateReason reason, float threshold,
            long sequence, long captureTimeMs) {
        HardExample.Builder example = HardExample.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                .setDeviceId(deviceId).setFleet(fleet).setGroup(group).setModelVersion(model.version()).setSequence(sequence)
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
        link.publish(topic, Codecs.HARD_EXAMPLE.encode(example.build()), false, ok -> {
            if (ok) {
                stats.hardExampleAcked();
            } else {
                stats.hardExampleFailed();
            }
        });
    }
}
