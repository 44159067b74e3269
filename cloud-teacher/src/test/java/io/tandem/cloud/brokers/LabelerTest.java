package io.tandem.cloud.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.tandem.cloud.store.SampleStore;
import io.tandem.distill.eval.Metrics;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.HardExample;
import io.tandem.proto.v1.LabelledSample;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The teacher labeler on a real Kafka broker with a real ONNX Runtime teacher. */
@QuarkusTest
@TestProfile(WithBrokers.class)
class LabelerTest {

    @Inject
    SampleStore store;

    @Inject
    EventProbe events;

    private LabelledSample stored(String device, long sequence) {
        return store.trainingSet().stream().filter(s -> s.getExample().getDeviceId().equals(device)
                && s.getExample().getSequence() == sequence).findFirst().orElse(null);
    }

    @Test
    void labelsStoresAndAnnouncesEachSampleOnce() throws Exception {
        int eventsBefore = events.stored().size();
        HardExample e = Wire.hardExample("f-label", "lab-1", 77);
        Wire.produceKafka(Topics.KAFKA_SAMPLES, "lab-1", Codecs.HARD_EXAMPLE.encode(e));
        assertTrue(Wire.eventually(Duration.ofSeconds(30), () -> stored("lab-1", 77) != null), "stored");
        LabelledSample s = stored("lab-1", 77);
        assertEquals(e, s.getExample());
        assertEquals("t1", s.getTeacherVersion());
        assertEquals(10, s.getTeacherLogitsCount());
        float[] logits = new float[10];
        for (int c = 0; c < 10; c++) {
            logits[c] = s.getTeacherLogits(c);
        }
        assertEquals(Metrics.argmax(logits, 0, 10), s.getTeacherLabel(), "the label is the teacher's top class");
        assertTrue(Wire.eventually(Duration.ofSeconds(10), () -> events.stored().size() > eventsBefore),
                "the store's growth is announced to the next stage");
        assertEquals(store.size(), events.stored().get(events.stored().size() - 1).storedSamples());

        long duplicates = Wire.stat("duplicates_ignored");
        long size = store.size();
        Wire.produceKafka(Topics.KAFKA_SAMPLES, "lab-1", Codecs.HARD_EXAMPLE.encode(e));
        assertTrue(Wire.eventually(Duration.ofSeconds(30), () -> Wire.stat("duplicates_ignored") == duplicates + 1),
                "a redelivered sample is recognised");
        assertEquals(size, store.size(), "and not stored twice");
    }

    @Test
    void aSampleThatDoesNotFitTheTeacherIsRefusedAndCounted() throws Exception {
        long before = Wire.rejected("kafka/tandem.samples/INVALID");
        HardExample good = Wire.hardExample("f-label", "lab-2", 5);
        HardExample wrongShape = good.toBuilder().setInput(good.getInput().toBuilder().clearShape().addShape(1)
                .addShape(27).addShape(28).setData(ByteString.copyFrom(new byte[27 * 28]))).build();
        Wire.produceKafka(Topics.KAFKA_SAMPLES, "lab-2", Codecs.HARD_EXAMPLE.encode(wrongShape));
        HardExample after = Wire.hardExample("f-label", "lab-2", 6);
        Wire.produceKafka(Topics.KAFKA_SAMPLES, "lab-2", Codecs.HARD_EXAMPLE.encode(after));
        assertTrue(Wire.eventually(Duration.ofSeconds(30), () -> stored("lab-2", 6) != null),
                "the good sample behind it is stored");
        assertEquals(before + 1, Wire.rejected("kafka/tandem.samples/INVALID"), "counted once");
        assertEquals(null, stored("lab-2", 5), "the misfit is not stored");
    }
}
