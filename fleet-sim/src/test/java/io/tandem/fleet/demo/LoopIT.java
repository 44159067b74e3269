package io.tandem.fleet.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tandem.fleet.faults.BadInputInjector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The whole loop on a reduced budget: local stack, teacher training and cloud teacher as separate
 * processes, two edge devices on the edge library in the test's JVM, all talking over real Kafka and MQTT
 * brokers on loopback, with malformed and oversized messages injected on every wire.
 */
class LoopIT {

    @Test
    void edgesLearnFromTheirHardExamples() throws Exception {
        Path project = Path.of("..").toAbsolutePath().normalize();
        LoopDemo demo = new LoopDemo();
        demo.projectDir = project;
        demo.workDir = Path.of("fleet-sim/target/loop-it");
        demo.teacherLimit = 3000;
        demo.baseLimit = 3000;
        demo.studentEpochs = 2;
        demo.evalLimit = 1000;
        demo.framesPerVersion = 400;
        demo.retrainThreshold = 80;
        demo.injectBadInput = true;
        demo.timeoutS = 480;
        assertEquals(0, demo.call());

        JsonNode report = new ObjectMapper().readTree(
                Files.readString(project.resolve("fleet-sim/target/loop-it/report.json")));
        Set<String> devices = new HashSet<>();
        report.path("devices").forEach(d -> devices.add(d.asText()));
        assertEquals(Set.of("edge-1", "edge-2"), devices);

        JsonNode versions = report.path("versions");
        assertEquals(2, versions.size(), "v1 and v2: " + versions);
        for (JsonNode v : versions) {
            Set<String> acked = new HashSet<>();
            v.path("acked_by").forEach(d -> acked.add(d.asText()));
            assertEquals(devices, acked, v.path("version").asText() + " acknowledged by every device");
            assertTrue(v.path("edge_frames").asLong() >= 800, "each device answered its frames: " + v);
        }
        JsonNode v1 = versions.get(0);
        JsonNode v2 = versions.get(1);
        assertEquals("v1", v1.path("version").asText());
        assertEquals("v2", v2.path("version").asText());
        assertEquals(0, v1.path("trained_on_samples").asLong());
        assertTrue(v2.path("trained_on_samples").asLong() >= 80, "v2 learned from edge samples: " + v2);
        assertEquals(v1.path("parent_teacher_version").asText(), v2.path("parent_teacher_version").asText());
        assertEquals("v1", v2.path("parent_version").asText());

        long sent = report.path("samples_sent").asLong();
        assertTrue(sent > 0, "edges sent hard examples");
        assertEquals(sent, report.path("samples_in_kafka").asLong(), "every PUBACKed sample is in Kafka");
        assertEquals(sent, report.path("samples_labelled").asLong(), "every PUBACKed sample is labelled and stored");

        JsonNode rejected = report.path("cloud_rejections");
        for (String key : BadInputInjector.CLOUD_REJECTION_KEYS) {
            assertEquals(1, rejected.path(key).asLong(), key + " counted once: " + rejected);
        }
        String chart = Files.readString(project.resolve("fleet-sim/target/loop-it/report.svg"));
        assertTrue(chart.startsWith("<svg") && chart.contains("v2"), "the report is plotted");
        assertEquals(1, report.path("edge_rejections").path("edge-1").asLong(), "edge-1 refused the bad deploy command");
    }
}
