package io.tandem.edge.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tandem.proto.Codecs;
import io.tandem.proto.v1.Telemetry;
import io.tandem.proto.v1.TelemetryWindow;
import java.util.List;
import org.junit.jupiter.api.Test;

class WindowCounterTest {

    @Test
    void countsOneWindowAndStartsTheNext() {
        WindowCounter w = new WindowCounter(3);
        byte[] dark = new byte[4];
        byte[] bright = {(byte) 255, (byte) 255, (byte) 255, (byte) 255};
        w.record(dark, 0, 0.95f, false);
        w.record(bright, 2, 0.41f, true);
        w.record(bright, 2, 1.0f, false);
        TelemetryWindow t = w.drain("v3");
        assertEquals(3, t.getFrames());
        assertEquals(1, t.getEscalated());
        assertEquals(List.of(1L, 0L, 2L), t.getPredictedClassHistogramList());
        assertEquals(1, t.getConfidenceHistogram(4), "0.41 falls in [0.4, 0.5)");
        assertEquals(2, t.getConfidenceHistogram(9), "0.95 and 1.0 fall in the last bin");
        assertEquals(2 / 3.0, t.getInputMean(), 1e-6);
        assertEquals(Math.sqrt(2 / 3.0 - 4 / 9.0), t.getInputStd(), 1e-6);
        assertEquals("v3", t.getModelVersion());
        Codecs.TELEMETRY.encode(Telemetry.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId("d")
                .setFleet("f").setGroup("harbour").setWindow(t).build());

        TelemetryWindow next = w.drain("v3");
        assertEquals(0, next.getFrames());
        assertEquals(0, next.getInputMean(), 0);
        assertEquals(t.getEndMs(), next.getStartMs(), "windows follow each other without a gap");
    }
}
