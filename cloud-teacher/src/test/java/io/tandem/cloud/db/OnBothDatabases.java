package io.tandem.cloud.db;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A repository test on both databases the service runs on: a real PostgreSQL server (Debian's, one per test class)
 * and the embedded H2 file. Each call opens a new pool, as a restarted service does.
 */
public abstract class OnBothDatabases {

    private static PostgresServer postgres;

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = PostgresServer.start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        postgres.close();
    }

    /** A new pool on the test class's PostgreSQL server, migrated. */
    protected static HikariDataSource openPostgres() {
        return TestDatabases.postgres(postgres);
    }

    /** A new pool on the embedded H2 file under {@code dir}, migrated. */
    protected static HikariDataSource openEmbedded(Path dir) {
        return TestDatabases.embedded(dir);
    }
}
