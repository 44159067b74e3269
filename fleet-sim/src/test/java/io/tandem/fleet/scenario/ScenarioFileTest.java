package io.tandem.fleet.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ScenarioFileTest {

    private static final String VALID = """
            {"name": "t", "rounds": 4, "frames_per_device_per_round": 10, "eval_frames_per_group": 100,
             "distributions": {"day": [], "night": [{"type": "darken", "factor": 0.5}, {"type": "noise", "sigma": 5}],
                               "mix": [{"type": "class_mix", "classes": [1, 2], "share": 0.9}]},
             "groups": [{"name": "a", "devices": 2, "distribution": "day"}, {"name": "b", "devices": 1, "distribution": "day"}],
             "timeline": [{"round": 2, "group": "b", "distribution": "night"}, {"round": 3, "group": "b", "distribution": "mix"}],
             "budgets": {"upload_fraction": 0.1, "audit_fraction": 0.01, "human_labels_per_round": 5}}
            """;

    private static String refusal(String json) {
        return assertThrows(ScenarioException.class, () -> ScenarioFile.parse(json, "test.json")).getMessage();
    }

    @Test
    void readsGroupsTimelineAndBudgets() {
        Scenario s = ScenarioFile.parse(VALID, "test.json");
        assertEquals(3, s.devices());
        assertEquals("day", s.distributionOf("b", 1).name());
        assertEquals("night", s.distributionOf("b", 2).name());
        assertEquals("mix", s.distributionOf("b", 3).name());
        assertEquals("day", s.distributionOf("a", 3).name());
        assertEquals(2, s.driftRound("b"));
        assertEquals(-1, s.driftRound("a"));
        assertEquals(0.1, s.budgets().uploadFraction());
    }

    @Test
    void everyBuiltInScenarioLoads() {
        for (String name : ScenarioFile.BUILT_IN) {
            Scenario s = ScenarioFile.load(name);
            assertEquals(name, s.name());
            assertTrue(s.devices() >= 10, "tens of devices, not two: " + name);
            assertTrue(!s.timeline().isEmpty(), name + " drifts");
        }
    }

    @Test
    void badScenariosAreRefusedWithThePathOfTheProblem() {
        assertTrue(refusal("{").contains("not valid JSON"));
        assertTrue(refusal(VALID.replace("\"devices\": 2", "\"devices\": \"two\"")).contains("groups[0].devices"));
        assertTrue(refusal(VALID.replace("\"type\": \"darken\"", "\"type\": \"sepia\"")).contains("unknown transform 'sepia'"));
        assertTrue(refusal(VALID.replace("\"group\": \"b\", \"distribution\": \"night\"",
                "\"group\": \"c\", \"distribution\": \"night\"")).contains("unknown group c"));
        assertTrue(refusal(VALID.replace("\"round\": 3", "\"round\": 4")).contains("round 4 is outside 0..3"));
        assertTrue(refusal(VALID.replace("\"rounds\": 4", "\"rounds\": 4, \"colour\": 1")).contains("colour"));
        assertTrue(refusal(VALID.replace("\"factor\": 0.5", "\"factor\": 1.5")).contains("darken.factor"));
        assertTrue(refusal(VALID.replace("\"audit_fraction\": 0.01", "\"audit_fraction\": 0.5")).contains("audit_fraction"));
        assertTrue(refusal(VALID.replace("\"name\": \"a\"", "\"name\": \"../a\"")).contains("group name"));
        assertTrue(refusal(VALID.replace("{\"type\": \"darken\", \"factor\": 0.5}", "{\"type\": \"some_frames\", \"share\": 0.5,"
                + " \"transforms\": [{\"type\": \"class_mix\", \"classes\": [1], \"share\": 1}]}")).contains("pixel transforms only"));
        assertTrue(refusal(VALID.replace("{\"type\": \"darken\", \"factor\": 0.5}", "{\"type\": \"some_frames\", \"share\": 0,"
                + " \"transforms\": [{\"type\": \"darken\", \"factor\": 0.5}]}")).contains("some_frames.share"));
        assertTrue(assertThrows(ScenarioException.class, () -> ScenarioFile.load("no-such-scenario")).getMessage()
                .contains("unknown scenario 'no-such-scenario'"));
    }

    @Test
    void transformsDoWhatTheirNamesSay() {
        byte[] img = new byte[16];
        for (int i = 0; i < img.length; i++) {
            img[i] = (byte) (i * 16);
        }
        byte[] dark = new Transform.Darken(0.5).apply(img, 4, 4, new Random(1));
        assertEquals(120, dark[15] & 0xff, "240 * 0.5");
        byte[] flat = new Transform.Contrast(0.5).apply(img, 4, 4, new Random(1));
        assertEquals(180, flat[15] & 0xff, "mean 120 + (240 - 120) * 0.5");
        byte[] blurred = new Transform.Blur(1).apply(img, 4, 4, new Random(1));
        assertTrue((blurred[15] & 0xff) < 240 && (blurred[0] & 0xff) > 0, "edges pulled towards their neighbours");
        byte[] noisy = new Transform.Noise(20).apply(img, 4, 4, new Random(1));
        assertTrue(!java.util.Arrays.equals(img, noisy));
        assertEquals(java.util.Arrays.toString(noisy),
                java.util.Arrays.toString(new Transform.Noise(20).apply(img, 4, 4, new Random(1))), "seeded");
    }

    @Test
    void someFramesChangesOnlyItsShareOfFrames() {
        Scenario s = ScenarioFile.parse(VALID.replace("{\"type\": \"darken\", \"factor\": 0.5}",
                "{\"type\": \"some_frames\", \"share\": 0.3, \"transforms\": [{\"type\": \"darken\", \"factor\": 0.5}]}"),
                "test.json");
        Distribution night = s.distributionOf("b", 2);
        assertTrue(night.transforms().get(0) instanceof Transform.SomeFrames);
        byte[] img = new byte[16];
        java.util.Arrays.fill(img, (byte) 200);
        Random random = new Random(3);
        int darkened = 0;
        int frames = 4000;
        for (int i = 0; i < frames; i++) {
            byte[] out = new Transform.SomeFrames(0.3, java.util.List.of(new Transform.Darken(0.5))).apply(img, 4, 4, random);
            darkened += (out[0] & 0xff) == 100 ? 1 : 0;
            assertTrue((out[0] & 0xff) == 100 || (out[0] & 0xff) == 200, "a frame is either changed whole or left alone");
        }
        assertEquals(0.3, darkened / (double) frames, 0.03);
    }
}
