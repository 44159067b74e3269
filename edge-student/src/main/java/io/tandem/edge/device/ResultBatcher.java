package io.tandem.edge.device;

import io.tandem.edge.uplink.UploadQueue;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.Topics.DeviceStream;
import io.tandem.proto.v1.InferenceResult;
import io.tandem.proto.v1.ResultBatch;

/**
 * Collects one device's inference results into batches of one model version and publishes each batch on
 * the device's results stream of the upload queue when it is full, when the version changes, when flushed, or when its first
 * result has waited longer than the device's telemetry interval (a camera that pauses still reports).
 */
final class ResultBatcher {

    private final UploadQueue queue;
    private final String deviceId;
    private final String fleet;
    private final String group;
    private final String topic;
    private final int batchSize;
    private ResultBatch.Builder batch;
    private long batchSequence;
    private long batchStartedNanos;

    ResultBatcher(UploadQueue queue, String deviceId, String fleet, String group, int batchSize) {
        this.group = group;
        this.queue = queue;
        this.deviceId = deviceId;
        this.fleet = fleet;
        this.topic = Topics.mqtt(fleet, deviceId, DeviceStream.RESULTS);
        this.batchSize = batchSize;
    }

    /** Adds one result answered by {@code modelVersion}. */
    synchronized void add(String modelVersion, InferenceResult.Builder result) {
        if (batch != null && !batch.getModelVersion().equals(modelVersion)) {
            flush();
        }
        if (batch == null) {
            batch = ResultBatch.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId(deviceId)
                    .setFleet(fleet).setGroup(group).setModelVersion(modelVersion).setBatchSequence(batchSequence++);
            batchStartedNanos = System.nanoTime();
        }
        batch.addResults(result);
        if (batch.getResultsCount() >= batchSize) {
            flush();
        }
    }

    /** Publishes the batch if its first result is older than {@code maxAgeNanos}. */
    synchronized void flushIfOlderThan(long maxAgeNanos) {
        if (batch != null && System.nanoTime() - batchStartedNanos >= maxAgeNanos) {
            flush();
        }
    }

    /** Publishes what was collected, if anything. */
    synchronized void flush() {
        if (batch != null && batch.getResultsCount() > 0) {
            queue.offer(UploadQueue.Kind.RESULTS, topic, Codecs.RESULT_BATCH.encode(batch.build()), 0);
        }
        batch = null;
    }
}
