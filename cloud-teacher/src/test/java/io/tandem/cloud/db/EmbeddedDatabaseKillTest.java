package io.tandem.cloud.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.cloud.trigger.TriggerRecords;
import io.tandem.cloud.trigger.TriggerRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The embedded database keeps a commit through a process killed right after it (the default file's settings). */
class EmbeddedDatabaseKillTest {

    @Test
    void aCommitSurvivesAKillRightAfterIt() throws Exception {
        Path data = Files.createTempDirectory("tandem-kill");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), KilledWriter.class.getName(), data.toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the writer ended");
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(9, p.exitValue(), "it died without closing the database: " + out);
        assertTrue(out.contains("committed"), out);
        try (var pool = TestDatabases.embedded(data)) {
            assertEquals(Map.of(42L, new TriggerRule("drift_score", ">", 0.3, 5, "harbour")),
                    TriggerRecords.over(Database.over(pool)).all(), "the committed rule is there after the kill");
        }
    }
}
