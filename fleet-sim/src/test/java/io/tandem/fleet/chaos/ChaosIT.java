package io.tandem.fleet.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fault-injection run, reduced: every scenario of {@code bin/tandem-chaos} with fewer devices, shorter
 * phases and Kafka down for 10 s instead of a minute, on the same processes (Kafka, Mosquitto and the cloud
 * each its own), counted from the devices' ledgers against the store.
 */
class ChaosIT {

    @Test
    void everyFaultLosesNothingDuplicatesNothingAndCountsEveryDrop() throws Exception {
        Path project = Path.of("..").toAbsolutePath().normalize();
        ChaosRun run = new ChaosRun();
        run.projectDir = project;
        run.workDir = Path.of("fleet-sim/target/chaos-it");
        run.cacheDir = project.resolve("fleet-sim/target/teacher-cache");
        run.teacherLimit = 3000;
        run.teacherEpochs = 1;
        run.devices = 2;
        run.runSeconds = 8;
        run.kafkaDownSeconds = 10;
        run.cloudKills = 2;
        run.drainSeconds = 90;
        run.timeoutSeconds = 900;
        int status = run.call();

        JsonNode report = new ObjectMapper().readTree(Files.readString(project.resolve(
                "fleet-sim/target/chaos-it/report.json")));
        List<String> names = new ArrayList<>();
        for (JsonNode s : report.path("scenarios")) {
            names.add(s.path("name").asText());
            assertTrue(s.path("produced").asLong() > 0, "devices produced samples: " + s);
            assertEquals(0, s.path("lost").asLong(), "nothing acknowledged is lost: " + s);
            assertEquals(0, s.path("duplicated").asLong(), "nothing is stored twice: " + s);
            assertEquals(0, s.path("dropped_uncounted").asLong(), "every drop is counted: " + s);
            assertEquals(s.path("produced").asLong(), s.path("stored").asLong() + s.path("dropped_counted").asLong(),
                    "every sample is stored or was dropped on purpose and counted: " + s);
        }
        assertEquals(ChaosRun.SCENARIOS, names);
        JsonNode overflow = report.path("scenarios").get(ChaosRun.SCENARIOS.indexOf("edge-cut-off-overflow"));
        assertTrue(overflow.path("dropped_counted").asLong() > 0, "a cut-off edge's full queue drops, and counts: "
                + overflow);
        assertEquals(0, status);
    }
}
