package io.tandem.cloud.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tandem.cloud.metrics.Rejections;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.AnsweredBy;
import io.tandem.proto.v1.InferenceResult;
import io.tandem.proto.v1.ResultBatch;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Fleet accuracy and compute counted by who answered each frame. */
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
}
