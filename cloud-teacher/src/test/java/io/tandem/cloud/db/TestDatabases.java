package io.tandem.cloud.db;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.util.Optional;

/** Pools on the two databases the repository tests run against, opened (and migrated) as the service opens them. */
public final class TestDatabases {

    private TestDatabases() {
    }

    /** The embedded H2 file under {@code dataDir}, with the service's own URL for it. */
    public static HikariDataSource embedded(Path dataDir) {
        return Database.open(Database.embeddedUrl(dataDir), "sa", Optional.empty(), 2);
    }

    /** The PostgreSQL server a test started. */
    public static HikariDataSource postgres(PostgresServer server) {
        return Database.open(server.jdbcUrl(), PostgresServer.USER, Optional.empty(), 2);
    }
}
