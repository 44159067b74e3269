package io.tandem.fleet.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tandem.fleet.faults.BadInputInjector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A reduced drift scenario through the real brokers and processes: local stack and cloud teacher as
 * processes, four devices in two sites on the edge library, the simulated annotator, malformed input on
 * every wire. Checks that the drift is detected, the teacher retrains, a site's student reaches only that
 * site, and every uploaded sample is counted from device to store.
 */
class ScenarioIT {

    @Test
    void aDriftIsDetectedTheTeacherRetrainsAndOnlyTheDriftedSiteGetsItsStudent() throws Exception {
        Path project = Path.of("..").toAbsolutePath().normalize();
        ScenarioDemo demo = new ScenarioDemo();
        demo.projectDir = project;
        demo.workDir = Path.of("fleet-sim/target/scenario-it");
        demo.scenarioName = project.resolve("fleet-sim/src/test/resources/scenarios/small-night.json").toString();
        demo.cacheDir = project.resolve("fleet-sim/target/teacher-cache");
        demo.teacherLimit = 3000;
        demo.teacherEpochs = 1;
        demo.baseLimit = 3000;
        demo.roundBaseLimit = 1000;
        demo.studentEpochs = 2;
        demo.humanLabelTrigger = 5;
        // Only the sites' own students retrain, so the night site's recovery must come from a student of its
        // own, which must reach its devices and no others.
        demo.fleetStudent = false;
        demo.injectBadInput = true;
        // Two workers share the retrain queue: each round's site students are trained side by side.
        demo.workers = 2;
        demo.timeoutS = 600;
        assertEquals(0, demo.call());

        Path dir = project.resolve("fleet-sim/target/scenario-it");
        JsonNode report = new ObjectMapper().readTree(Files.readString(dir.resolve("report.json")));
        String html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.contains("<svg"), "the HTML report has its charts");
        assertTrue(html.contains("Training runs") && html.contains("local-worker-2"), "and who trained what");

        JsonNode summary = report.path("summary");
        for (String key : List.of("drift_loss_points", "oracle_accuracy", "recovered_fraction", "rounds_to_recover_90",
                "uploaded_fraction", "human_label_fraction", "mining_minus_random_points",
                "specialised_minus_global_points", "teacher_gain_on_drift_points", "teacher_minus_best_student_points")) {
            assertTrue(summary.has(key), "summary has " + key + ": " + summary);
        }
        assertEquals("nightside", summary.path("drifted_groups").asText());
        assertTrue(summary.path("uploaded_fraction").asDouble() <= 0.1 + 2.0 / 480, "uploads keep to the budget"
                + " (10% of each device's 480 frames plus a burst of 2): " + summary);

        JsonNode rounds = report.path("rounds");
        assertEquals(3, rounds.size());
        JsonNode driftRound = rounds.get(1).path("groups");
        double night = driftRound.get(1).path("driftScore").asDouble();
        double day = driftRound.get(0).path("driftScore").asDouble();
        assertTrue(night > 0.2 && night > day, "the cloud sees the night site drift (" + night + ") and not the"
                + " day site (" + day + ")");
        assertTrue(report.path("teacher_rounds").asInt() >= 1, "the teacher retrained on the fleet's data: " + report);
        Set<String> workers = new java.util.TreeSet<>();
        for (JsonNode run : report.path("training_runs")) {
            assertEquals("SUCCEEDED", run.path("state").asText(), "every training run ended well: " + run);
            workers.add(run.path("worker").asText());
        }
        assertTrue(report.path("training_runs").size() >= 3, "v1 and the rounds' runs: " + report.path("training_runs"));
        assertEquals(Set.of("local-worker-1", "local-worker-2"), workers, "both workers took runs from the one queue");
        for (JsonNode t : report.path("teachers")) {
            if (!t.path("version").asText().equals("t1")) {
                assertFalse(t.path("parent_version").asText().isEmpty(), "a promoted teacher names its parent");
                assertTrue(t.path("data_by_source").path("human").asLong() > 0, "and learnt from human labels");
            }
        }

        Set<String> nightDevices = Set.of("nightside-1", "nightside-2");
        boolean siteStudent = false;
        for (JsonNode v : report.path("versions")) {
            String group = v.path("device_group").asText();
            if (group.isEmpty()) {
                continue;
            }
            Set<String> acked = new HashSet<>();
            v.path("acked_by").forEach(d -> acked.add(d.asText()));
            for (String d : acked) {
                assertTrue(d.startsWith(group + "-"), v.path("version").asText() + " reached " + d + " outside " + group);
            }
            siteStudent |= group.equals("nightside") && acked.equals(nightDevices);
        }
        assertTrue(siteStudent, "the night site runs a student of its own: " + report.path("versions"));

        long sent = report.path("samples_sent").asLong();
        assertTrue(sent > 0);
        assertEquals(sent, report.path("samples_in_kafka").asLong(), "every acknowledged sample is in Kafka");
        assertEquals(sent, report.path("samples_labelled").asLong(), "and labelled in the store");
        assertEquals(0, report.path("results_with_unknown_frames").asLong(), "every result is a frame the scenario showed");
        assertTrue(report.path("human_labels").asLong() > 0 && report.path("human_labels").asLong() <= 30,
                "the annotator kept to its budget");
        JsonNode rejected = report.path("cloud_rejections");
        for (String key : BadInputInjector.CLOUD_REJECTION_KEYS) {
            assertEquals(1, rejected.path(key).asLong(), key + " counted once: " + rejected);
        }
        assertEquals(1, report.path("edge_rejections").path("dayside-1").asLong(), "the bad deploy command was refused");
    }
}
