package io.tandem.cloud.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.tandem.cloud.retrain.PipelineRuns;
import io.tandem.cloud.retrain.PipelineRuns.Kind;
import io.tandem.cloud.retrain.PipelineRuns.Planned;
import io.tandem.cloud.retrain.PipelineRuns.Run;
import io.tandem.cloud.retrain.PipelineRuns.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The retrain queue on both databases the service runs on: a round's student runs wait for its teacher run,
 * workers racing for runs each get a different one and every run is handed out once, a silent worker's run goes
 * back to the queue and fails after its last attempt, and a restarted service (a new pool) finds it all.
 */
class PipelineRunsDatabaseTest extends OnBothDatabases {

    private static Path h2Dir;

    @BeforeAll
    static void start() throws Exception {
        h2Dir = Files.createTempDirectory("tandem-h2-runs");
    }

    @Test
    void postgresQueuesRunsForWorkers() throws Exception {
        lifecycle(() -> openPostgres());
    }

    @Test
    void theEmbeddedFileQueuesRunsForWorkers() throws Exception {
        lifecycle(() -> openEmbedded(h2Dir));
    }

    private void lifecycle(Supplier<HikariDataSource> open) throws Exception {
        int round;
        try (HikariDataSource pool = open.get()) {
            PipelineRuns runs = PipelineRuns.over(Database.over(pool));
            List<Run> queued = runs.queueRound("drift_score > 0.2", List.of(new Planned(Kind.TEACHER, "teacher", "t2", ""),
                    new Planned(Kind.STUDENT, "student", "v3", ""),
                    new Planned(Kind.STUDENT, "student-harbour", "harbour-v2", "harbour")));
            round = queued.get(0).round();
            assertEquals(List.of(State.QUEUED, State.QUEUED, State.QUEUED), queued.stream().map(Run::state).toList());
            assertEquals(queued.get(0).id(), queued.get(1).afterId(), "students wait for the round's teacher");

            Run teacher = runs.claim("gpu-1").orElseThrow();
            assertEquals(Kind.TEACHER, teacher.kind());
            assertEquals(Optional.empty(), runs.claim("gpu-2"), "no student starts before the teacher run ends");
            assertTrue(runs.progress(teacher.id(), "gpu-1", "epoch 1/1\n"));
            assertFalse(runs.progress(teacher.id(), "gpu-2", "not mine\n"), "another worker's run");
            assertTrue(runs.finish(teacher.id(), "gpu-1", State.SUCCEEDED, true, "held-out human labels 9/12 vs 7/12"));
            assertFalse(runs.finish(teacher.id(), "gpu-1", State.FAILED, false, "twice"), "a run ends once");

            // Two workers race for the two students: each gets one, none gets one twice.
            List<String> claimed = Collections.synchronizedList(new ArrayList<>());
            ExecutorService pool2 = Executors.newFixedThreadPool(4);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> racers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                String worker = "gpu-" + w;
                racers.add(pool2.submit(() -> {
                    go.await();
                    runs.claim(worker).ifPresent(r -> claimed.add(r.id()));
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : racers) {
                f.get(30, TimeUnit.SECONDS);
            }
            pool2.shutdown();
            assertEquals(List.of(queued.get(1).id(), queued.get(2).id()), claimed.stream().sorted().toList(),
                    "each student handed out exactly once");

            // The worker of the fleet student goes silent: its run goes back to the queue, then fails for good.
            Run fleet = runs.find(queued.get(1).id()).orElseThrow();
            List<Run> expired = runs.expireLeases(System.currentTimeMillis() + 1, 2);
            assertEquals(2, expired.size(), "both students' workers are silent as of now");
            Run again = runs.find(fleet.id()).orElseThrow();
            assertEquals(State.QUEUED, again.state(), "first silence: queued again for another worker");
            Run second = runs.claim("gpu-9").orElseThrow();
            assertEquals(2, second.attempts(), "the second hand-out");
            runs.expireLeases(System.currentTimeMillis() + 1, 2);
            assertEquals(State.FAILED, runs.find(second.id()).orElseThrow().state(), "failed after its last attempt");
        }
        try (HikariDataSource pool = open.get()) {
            PipelineRuns runs = PipelineRuns.over(Database.over(pool));
            List<Run> kept = runs.round(round);
            assertEquals(3, kept.size(), "a restarted service finds the round");
            assertEquals("epoch 1/1\n", kept.get(0).progress());
            assertTrue(kept.get(0).promoted());
            assertEquals(round, runs.lastRound());
            assertEquals(1, runs.open(), "the harbour student is queued again; the others ended");
            assertEquals(1, round, "a fresh database numbers rounds from 1");
            assertEquals(1, runs.roundsExcept("bootstrap"), "one round, queued for a trigger");
            assertEquals(0, runs.roundsExcept("drift_score > 0.2"));
        }
    }
}
