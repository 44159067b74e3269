package io.tandem.cloud.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.tandem.cloud.rollout.FleetRecords;
import io.tandem.cloud.rollout.FleetState.DeviceSummary;
import io.tandem.cloud.trigger.TriggerRecords;
import io.tandem.cloud.trigger.TriggerRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fleet's and the triggers' tables on both databases the service runs on (the embedded H2 file and a real
 * PostgreSQL server): what one pool wrote, the next reads, as a restarted service does.
 */
class ControlPlaneDatabaseTest extends OnBothDatabases {

    private static Path h2Dir;

    @BeforeAll
    static void start() throws Exception {
        h2Dir = Files.createTempDirectory("tandem-h2-cp");
    }

    private static HikariDataSource openH2() {
        return openEmbedded(h2Dir);
    }

    @Test
    void postgresKeepsTheFleetAndTheTriggers() {
        lifecycle(ControlPlaneDatabaseTest::openPostgres);
    }

    @Test
    void theEmbeddedFileKeepsTheFleetAndTheTriggers() {
        lifecycle(ControlPlaneDatabaseTest::openH2);
    }

    private static DeviceSummary device(String id, String version, long seen) {
        return new DeviceSummary(id, "city", "harbour", version, seen, 3, 100, 8, 0, 0, 0);
    }

    private void lifecycle(Supplier<HikariDataSource> open) {
        try (HikariDataSource pool = open.get()) {
            FleetRecords fleet = FleetRecords.over(Database.over(pool));
            fleet.save(List.of(device("cam-1", "v1", 1_000), device("cam-2", "v1", 2_000), device("cam-3", "v1", 3_000)));
            fleet.save(List.of(device("cam-1", "harbour-v2", 4_000)));
            fleet.forget("cam-3");
            TriggerRecords triggers = TriggerRecords.over(Database.over(pool));
            triggers.add(7, new TriggerRule("drift_score", ">", 0.2, 5, "harbour"));
            triggers.add(8, new TriggerRule("new_human_labels", ">=", 10, 2, ""));
            assertTrue(triggers.remove(8));
            assertFalse(triggers.remove(9), "no rule 9");
        }
        try (HikariDataSource pool = open.get()) {
            List<DeviceSummary> kept = FleetRecords.over(Database.over(pool)).load(10);
            assertEquals(List.of(device("cam-1", "harbour-v2", 4_000), device("cam-2", "v1", 2_000)), kept,
                    "the newest state of each device, most recently heard first; the forgotten one is gone");
            assertEquals(List.of(device("cam-1", "harbour-v2", 4_000)), FleetRecords.over(Database.over(pool)).load(1));
            assertEquals(Map.of(7L, new TriggerRule("drift_score", ">", 0.2, 5, "harbour")),
                    TriggerRecords.over(Database.over(pool)).all());
        }
    }
}
