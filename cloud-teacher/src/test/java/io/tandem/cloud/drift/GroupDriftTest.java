package io.tandem.cloud.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.proto.v1.TelemetryWindow;
import org.junit.jupiter.api.Test;

class GroupDriftTest {

    /** A window of 100 frames: most confident, classes spread evenly, input of the given mean and spread. */
    private static TelemetryWindow window(String version, double confidentShare, float mean, float std) {
        long confident = Math.round(100 * confidentShare);
        TelemetryWindow.Builder w = TelemetryWindow.newBuilder().setFrames(100).setEscalated(100 - confident)
                .setInputMean(mean).setInputStd(std).setModelVersion(version);
        for (int b = 0; b < 10; b++) {
            w.addConfidenceHistogram(b == 9 ? confident : b == 4 ? 100 - confident : 0);
            w.addPredictedClassHistogram(10);
        }
        return w.build();
    }

    @Test
    void theSameDistributionScoresNearZeroAndADarkerNoisierOneHigh() {
        GroupDrift g = new GroupDrift("harbour", 400, 400);
        for (int i = 0; i < 4; i++) {
            g.add(window("v1", 0.9, 0.29f, 0.35f));
        }
        assertTrue(g.score().isEmpty(), "no recent frames yet");
        for (int i = 0; i < 4; i++) {
            g.add(window("v1", 0.9, 0.29f, 0.35f));
        }
        DriftScore same = g.score().orElseThrow();
        assertEquals(0, same.score(), 1e-9);
        assertEquals(0.1, same.escalationRate(), 1e-9);

        for (int i = 0; i < 4; i++) {
            g.add(window("v1", 0.5, 0.13f, 0.11f));
        }
        DriftScore night = g.score().orElseThrow();
        assertEquals(400, night.recentFrames(), "only the recent span is compared");
        assertTrue(night.inputShift() > 0.5, "darker and flatter input: " + night);
        assertTrue(night.confidenceShift() > 0.1, "less confident: " + night);
        assertEquals(0.5, night.escalationRate(), 1e-9);
        assertEquals(Math.max(night.confidenceShift(), Math.max(night.classShift(), night.inputShift())), night.score());
    }

    @Test
    void onlyAVersionThatLearntTheGroupsInputRenewsTheInputBaseline() {
        GroupDrift g = new GroupDrift("harbour", 200, 200);
        for (int i = 0; i < 4; i++) {
            g.add(window("v1", 0.9, 0.29f, 0.35f));
        }
        // A fleet version arrives just before night falls: night must still count as drift.
        for (int i = 0; i < 4; i++) {
            g.add(window("v2", 0.5, 0.13f, 0.11f));
        }
        DriftScore fleet = g.score().orElseThrow();
        assertEquals("v2", fleet.version());
        assertTrue(fleet.inputShift() > 0.5, "the group's input reference is still daylight: " + fleet);
        g.reference("harbour-v1", 0.29, 0.35);
        for (int i = 0; i < 4; i++) {
            g.add(window("harbour-v1", 0.85, 0.13f, 0.11f));
        }
        assertTrue(g.score().orElseThrow().inputShift() > 0.5, "a site student that learnt the daylight input still"
                + " sees the night as drift");
        g.reference("harbour-v2", 0.13, 0.11);
        for (int i = 0; i < 4; i++) {
            g.add(window("harbour-v2", 0.85, 0.13f, 0.11f));
        }
        DriftScore adapted = g.score().orElseThrow();
        assertEquals("harbour-v2", adapted.version());
        assertEquals(0, adapted.inputShift(), 1e-6, "one that learnt the night input takes it as its reference");
    }

    @Test
    void aVersionDeployedAtTheDriftDoesNotHideItWhileItsOwnBaselineFills() {
        GroupDrift g = new GroupDrift("harbour", 200, 200);
        for (int i = 0; i < 4; i++) {
            g.add(window("v1", 0.9, 0.29f, 0.35f));
        }
        g.add(window("v2", 0.5, 0.13f, 0.11f));
        g.add(window("v2", 0.5, 0.13f, 0.11f));
        DriftScore s = g.score().orElseThrow();
        assertEquals("v2", s.version());
        assertEquals(0, s.confidenceShift(), 0, "v2's own frames so far are its baseline, none are recent yet");
        assertTrue(s.inputShift() > 0.5 && s.score() == s.inputShift(), "the input shift alone shows the night: " + s);
    }

    @Test
    void jensenShannonIsZeroForEqualAndOneForDisjointHistograms() {
        assertEquals(0, DriftScore.jensenShannon(new long[] {1, 2, 3}, new long[] {2, 4, 6}), 1e-12);
        assertEquals(1, DriftScore.jensenShannon(new long[] {5, 0}, new long[] {0, 7}), 1e-12);
        assertEquals(0, DriftScore.jensenShannon(new long[0], new long[] {1}), 0, "empty means unknown, not drift");
    }
}
