package io.tandem.cloud.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.tandem.proto.v1.HardExample;
import io.tandem.proto.v1.HumanLabel;
import io.tandem.proto.v1.LabelledSample;
import io.tandem.proto.v1.Tensor;
import org.junit.jupiter.api.Test;

class SampleWindowTest {

    private static LabelledSample sample(long seq, String incarnation, int pixel) {
        return LabelledSample.newBuilder().setExample(HardExample.newBuilder().setDeviceId("cam").setSequence(seq)
                .setIncarnation(incarnation).setInput(Tensor.newBuilder().setData(ByteString.copyFrom(new byte[] {
                    (byte) pixel, 1, 2})))).build();
    }

    @Test
    void keepsTheNewestSamplesAndPinsTheOnesAPersonLabelled() {
        SampleWindow w = new SampleWindow(3, 10);
        w.label("cam#1", HumanLabel.newBuilder().setLabel(4).build());
        for (long seq = 0; seq < 6; seq++) {
            w.add("cam#" + seq, sample(seq, "a", (int) seq));
        }
        assertEquals(6, w.stored());
        assertEquals(3, w.leftWindow());
        assertEquals(java.util.List.of(1L, 3L, 4L, 5L), w.trainingSet().stream()
                .map(s -> s.getExample().getSequence()).toList(), "labelled #1 first, then the window");
        assertTrue(w.sample("cam#0").isEmpty(), "an unlabelled sample that left the window is only on disk");
        assertTrue(w.known("cam#0"), "but its key still recognises a redelivery");
        assertEquals(SampleWindow.Arrival.REDELIVERY, w.classify("cam#0", sample(0, "a", 0)));
    }

    @Test
    void tellsARedeliveryFromAReusedSequenceByContentAndIncarnation() {
        SampleWindow w = new SampleWindow(2, 4);
        w.add("cam#7", sample(7, "a", 9));
        assertEquals(SampleWindow.Arrival.REDELIVERY, w.classify("cam#7", sample(7, "a", 9)));
        assertEquals(SampleWindow.Arrival.CONFLICT, w.classify("cam#7", sample(7, "a", 8)), "other pixels");
        assertEquals(SampleWindow.Arrival.CONFLICT, w.classify("cam#7", sample(7, "b", 9)), "other boot");
        assertEquals(SampleWindow.Arrival.NEW, w.classify("cam#8", sample(8, "a", 9)));
    }

    @Test
    void theDedupeIndexForgetsItsOldestKeysBeyondItsBound() {
        SampleWindow w = new SampleWindow(1, 3);
        for (long seq = 0; seq < 5; seq++) {
            w.add("cam#" + seq, sample(seq, "a", 0));
        }
        assertEquals(SampleWindow.Arrival.NEW, w.classify("cam#1", sample(1, "a", 0)));
        assertEquals(SampleWindow.Arrival.REDELIVERY, w.classify("cam#2", sample(2, "a", 0)));
        assertEquals(1, w.trainingSet().size());
    }

    @Test
    void refusesBoundsThatCannotWork() {
        assertThrows(IllegalArgumentException.class, () -> new SampleWindow(0, 10));
        assertThrows(IllegalArgumentException.class, () -> new SampleWindow(10, 5));
    }
}
