package io.tandem.cloud.db;

import io.tandem.cloud.trigger.TriggerRecords;
import io.tandem.cloud.trigger.TriggerRule;
import java.nio.file.Path;

/** A process that commits one row to the embedded database and then dies as {@code kill -9} would have it die. */
public final class KilledWriter {

    private KilledWriter() {
    }

    /** {@code args[0]}: the data folder. */
    public static void main(String[] args) {
        var pool = TestDatabases.embedded(Path.of(args[0]));
        TriggerRecords.over(Database.over(pool)).add(42, new TriggerRule("drift_score", ">", 0.3, 5, "harbour"));
        System.out.println("committed");
        System.out.flush();
        Runtime.getRuntime().halt(9);
    }
}
