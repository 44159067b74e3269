package io.tandem.cloud.rollout.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.tandem.cloud.db.Database;
import io.tandem.cloud.rollout.plan.RolloutPlans.DeviceState;
import io.tandem.cloud.rollout.plan.RolloutPlans.Plan;
import io.tandem.cloud.rollout.plan.RolloutPlans.State;
import io.tandem.cloud.rollout.plan.RolloutPlans.WaveState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rollout plans' repository and its Flyway migrations on both databases the service runs on: the
 * embedded H2 file (the default) and a real PostgreSQL server; a plan outlives the pool that wrote it, as it
 * outlives a restart of the service.
 */
class RolloutPlansDatabaseTest extends io.tandem.cloud.db.OnBothDatabases {

    private static Path h2Dir;

    @BeforeAll
    static void start() throws Exception {
        h2Dir = Files.createTempDirectory("tandem-h2");
    }

    private static HikariDataSource openH2() {
        return openEmbedded(h2Dir);
    }

    private static RolloutPlans plans(HikariDataSource pool) {
        RolloutPlans p = new RolloutPlans();
        p.database = Database.over(pool);
        return p;
    }

    private static PlanSpec spec(String group) {
        return new PlanSpec("student", "v7", "city", group, null, List.of("10%", "100%"), null, null, null, null)
                .complete(List.of("100%"), 0.9, 5);
    }

    @Test
    void postgresKeepsPlansWavesAndDevicesAcrossPools() {
        planLifecycle(RolloutPlansDatabaseTest::openPostgres);
    }

    @Test
    void theEmbeddedFileKeepsPlansWavesAndDevicesAcrossPools() {
        planLifecycle(RolloutPlansDatabaseTest::openH2);
    }

    private void planLifecycle(Supplier<HikariDataSource> open) {
        List<String> devices = IntStream.range(0, 20).mapToObj(i -> "cam-" + i).toList();
        String id;
        try (HikariDataSource pool = open.get()) {
            RolloutPlans plans = plans(pool);
            Plan created = plans.create(spec("night"), Waves.split(devices, Waves.parse(List.of("10%", "100%"))));
            id = created.id();
            assertEquals(State.RUNNING, created.state());
            assertEquals(List.of(2, 18), created.waves().stream().map(w -> w.devices().size()).toList());
            assertEquals(0.9, created.spec().successThreshold());
            assertEquals(StopConditions.DEFAULTS, created.spec().stop(), "defaults are stored resolved");
            plans.waveStarted(id, 0, Map.of("cam-0", "v6", "cam-1", ""));
            plans.waveSucceeded(id, 0);
            assertTrue(plans.groupsWithPlans("city").contains("night"));
            assertFalse(plans.groupsWithPlans("other").contains("night"));
        }
        // A new pool, as after a restart: the plan is where it was, and moves on.
        try (HikariDataSource pool = open.get()) {
            RolloutPlans plans = plans(pool);
            Plan again = plans.find(id).orElseThrow();
            assertEquals(WaveState.STARTED, again.wave().state());
            assertTrue(again.wave().succeededMs() > 0);
            assertEquals("v6", again.wave().devices().get(0).previousVersion());
            assertNull(again.wave().devices().get(1).previousVersion(), "an unknown previous version is stored as none");
            assertEquals(DeviceState.SENT, again.wave().devices().get(0).state());
            assertTrue(plans.ids(State.RUNNING).contains(id));

            plans.waveFinished(id, 0, WaveState.DONE, 1, State.COMPLETED, "wave 1 done");
            assertEquals(1, plans.find(id).orElseThrow().currentWave());
            assertTrue(plans.transition(id, State.RUNNING, State.PAUSED, "paused"));
            assertFalse(plans.transition(id, State.RUNNING, State.STOPPED, "a tick that read it running"),
                    "a state change names the state it leaves");
            assertTrue(plans.transition(id, State.PAUSED, State.RUNNING, "resumed"));
            plans.waveFinished(id, 1, WaveState.STOPPED, null, State.STOPPED, "wave 2 stopped the rollout");
            plans.devices(id, List.of("cam-0"), DeviceState.RETURNED, "back to v6");
            Plan stopped = plans.find(id).orElseThrow();
            assertEquals(State.STOPPED, stopped.state());
            assertEquals("wave 2 stopped the rollout", stopped.reason());
            assertEquals(DeviceState.RETURNED, stopped.waves().get(0).devices().get(0).state());
            assertFalse(plans.groupsWithPlans("city").contains("night"), "a stopped plan no longer claims its group");
            assertTrue(plans.list(10).stream().anyMatch(p -> p.id().equals(id)));
        }
    }

    @Test
    void aTargetWithoutDevicesIsRefusedNamingTheField() {
        try (HikariDataSource pool = openH2()) {
            PlanSpec.Invalid e = assertThrows(PlanSpec.Invalid.class, () -> plans(pool).create(spec("empty"), List.of()));
            assertEquals("group", e.field());
        }
    }

    @Test
    void anUnreachableDatabaseIsNamed() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Database.open(
                "jdbc:postgresql://127.0.0.1:1/nowhere", "x", Optional.empty(), 1));
        assertTrue(e.getMessage().contains("jdbc:postgresql://127.0.0.1:1/nowhere"), e.getMessage());
    }
}
