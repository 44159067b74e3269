package io.tandem.cloud.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tandem.cloud.metrics.Rejections;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.AnsweredBy;
import io.tandem.proto.v1.InferenceResult;
import io.tandem.proto.v1.ResultBatch;
import io.tandem.proto.v1.Telemetry;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Fleet accuracy and compute counted by who answered each frame; restarts, p95 latency and the running version
 * read from telemetry.
 */
class FleetStateTest {

    private static InferenceResult.Builder result(int predicted, int truth, AnsweredBy who, long macs) {
        return InferenceResult.newBuilder().setPredictedClass(predicted).setGroundTruth(truth).setAnsweredBy(who)
                .setMacs(macs).setConfidence(0.9f);
    }

    @Test
    @SuppressWarnings("unchecked")
    void resultsAreCountedByWhoAnsweredThem() {
        FleetState state = new FleetState();
        state.rejections = Rejections.standalone();
        ResultBatch batch = ResultBatch.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId("cam-1")
                .setFleet("f").setModelVersion("v1")
                .addResults(result(1, 1, AnsweredBy.STUDENT, 100)).addResults(result(2, 1, AnsweredBy.STUDENT, 100))
                .addResults(result(3, 3, AnsweredBy.TEACHER, 1100)).addResults(result(4, 5, AnsweredBy.STUDENT_FALLBACK, 100))
                .build();
        TopicPartition tp = new TopicPartition(Topics.KAFKA_RESULTS, 0);
        state.apply(new ConsumerRecords<>(Map.of(tp, List.of(new ConsumerRecord<>(Topics.KAFKA_RESULTS, 0, 0L, "cam-1",
                Codecs.RESULT_BATCH.encode(batch)))), Map.of()));
        Map<String, Object> answers = (Map<String, Object>) state.view().get(0).get("answered_by");
        Map<String, Object> student = (Map<String, Object>) answers.get("STUDENT");
        assertEquals(2L, student.get("results"));
        assertEquals(0.5, (double) student.get("accuracy"), 1e-9);
        Map<String, Object> teacher = (Map<String, Object>) answers.get("TEACHER");
        assertEquals(1.0, (double) teacher.get("accuracy"), 1e-9);
        assertEquals(1100L, teacher.get("macs_per_frame"));
        assertEquals(0.0, (double) ((Map<String, Object>) answers.get("STUDENT_FALLBACK")).get("accuracy"), 1e-9);
    }

    private static void telemetry(FleetState state, String version, long starts, float p95, long offset) {
        Telemetry t = Telemetry.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId("cam-1").setFleet("f")
                .setModelVersion(version).setStarts(starts).setLatencyP95Ms(p95).setLatencyP99Ms(p95 * 2).build();
        TopicPartition tp = new TopicPartition(Topics.KAFKA_TELEMETRY, 0);
        state.apply(new ConsumerRecords<>(Map.of(tp, List.of(new ConsumerRecord<>(Topics.KAFKA_TELEMETRY, 0, offset,
                "cam-1", Codecs.TELEMETRY.encode(t)))), Map.of()));
    }

    @Test
    void telemetryCountsRestartsOnTheVersionTheDeviceCameBackOn() {
        FleetState state = new FleetState();
        state.rejections = Rejections.standalone();
        telemetry(state, "v1", 3, 2f, 0);
        telemetry(state, "v2", 3, 2.5f, 1);
        FleetState.VersionReport v2 = state.reports("f", List.of("cam-1"), "v2").get("cam-1");
        assertEquals(0, v2.restarts(), "the first start count heard is the baseline, not a restart");
        assertEquals("ACTIVE", v2.deployStatus(), "a device reporting v2 runs it, acknowledged or not");
        assertEquals(2.5f, v2.latencyP95Ms());
        telemetry(state, "v2", 5, 9f, 2);
        v2 = state.reports("f", List.of("cam-1"), "v2").get("cam-1");
        assertEquals(2, v2.restarts(), "two more starts, both on v2");
        assertEquals(9f, v2.latencyP95Ms());
        assertEquals(0, state.reports("f", List.of("cam-1"), "v1").get("cam-1").restarts());
    }
}
