package io.tandem.fleet.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * Rollout plans through a restart of the cloud, reduced from {@code bench/rollout-waves.sh}: Kafka, Mosquitto and
 * the cloud each their own process, 40 simulated devices. A good model goes out in two waves while the cloud is
 * killed with {@code kill -9} and started again in the middle, and the plan completes; a worse model stops in its
 * first wave, no device outside that wave hears of it, and the wave's devices are sent back to the previous version.
 */
class RolloutRestartIT {

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aPlanResumesAfterARestartAndAWorseModelStopsInItsFirstWave() throws Exception {
        Path project = Path.of("..").toAbsolutePath().normalize();
        Path work = project.resolve("fleet-sim/target/rollout-it");
        int status = new CommandLine(new RolloutBench()).execute("--project-dir", project.toString(), "--work",
                work.toString(), "--cache", project.resolve("fleet-sim/target/teacher-cache").toString(), "--devices", "40",
                "--waves", "25%,100%", "--good-limit", "3000", "--good-epochs", "1", "--bad-limit", "300",
                "--report-every-ms", "1000");
        assertEquals(0, status, "the bench ran to its end");
        JsonNode r = new ObjectMapper().readTree(Files.readString(work.resolve("report.json")));
        assertTrue(r.path("good_accuracy").asDouble() > r.path("bad_accuracy").asDouble() + 0.1,
                "the bad model is clearly worse on the audit frames: " + r);
        assertEquals(40, r.path("good_plan_devices_on_new").asInt(), "the good plan completed through the restart: " + r);
        assertEquals(1, r.path("bad_plan_stopped_in_wave").asInt(), "the bad plan stopped in its first wave: " + r);
        assertEquals(0, r.path("bad_plan_devices_touched_outside_first_wave").asInt(), "no device beyond it heard: " + r);
        assertTrue(r.path("bad_plan_first_wave_devices").asInt() > 0, "the first wave had devices: " + r);
        assertTrue(r.path("bad_plan_back_on_previous_s").asDouble() <= 60, "they were back within 60 s: " + r);
    }
}
