package io.tandem.cloud.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.tandem.cloud.config.TandemConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jboss.logging.Logger;

/**
 * The control plane's database: an H2 file under the data folder unless {@code tandem.db.url} names another
 * (PostgreSQL in docker-compose.yml), with Flyway's migrations from {@code db/migration} applied on first use.
 */
@ApplicationScoped
public class Database {

    private static final Logger LOG = Logger.getLogger(Database.class);

    @Inject
    TandemConfig config;

    private HikariDataSource pool;

    /** A database over a pool already opened with {@link #open} (a worker process, a repository test). */
    public static Database over(HikariDataSource pool) {
        Database d = new Database();
        d.pool = pool;
        return d;
    }

    /** A connection from the pool; the database is opened and migrated on the first call. */
    public Connection connection() throws SQLException {
        return dataSource().getConnection();
    }

    /** Work on one connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws.
     *
     * @param what who works, for the error: {@code "rollout plans"}
     * @throws IllegalStateException naming {@code what} and the database's error
     */
    public <T> T inTransaction(String what, Work<T> work) {
        try (Connection c = connection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(what + ": database error: " + e.getMessage(), e);
        }
    }

    /** The pool; the database is opened and migrated on the first call, and again after a failed one. */
    synchronized DataSource dataSource() {
        if (pool == null) {
            pool = open(url(config), config.db().username(), config.db().password(), config.db().poolSize());
        }
        return pool;
    }

    /** The JDBC URL in use: the configured one, or the embedded H2 file. */
    static String url(TandemConfig config) {
        return config.db().url().orElse(embeddedUrl(config.dataDir()));
    }

    /**
     * The embedded H2 file under a data folder. {@code WRITE_DELAY=0}: H2 otherwise writes a commit to its file up
     * to a second later, and a {@code kill -9} in that second loses it (a rollout's finished wave, found by the
     * rollout bench: the restarted cloud ran the wave again).
     */
    public static String embeddedUrl(java.nio.file.Path dataDir) {
        return "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("db/tandem")
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;WRITE_DELAY=0";
    }

    /**
     * Opens a pool on {@code url} and brings its schema to the newest migration.
     *
     * @throws IllegalStateException naming the URL (without credentials) when the database cannot be reached
     *     or a migration fails
     */
    public static HikariDataSource open(String url, String user, Optional<String> password, int poolSize) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        // Named, not found through DriverManager, which keeps the driver of the first class loader that
        // registered it (another Quarkus application in the same JVM, say).
        c.setDriverClassName(url.startsWith("jdbc:postgresql:") ? "org.postgresql.Driver" : "org.h2.Driver");
        c.setUsername(user);
        c.setPassword(password.orElse(""));
        c.setMaximumPoolSize(poolSize);
        c.setPoolName("tandem-db");
        c.setConnectionTimeout(10_000);
        // Fail at once when the database is down; the next use (the next rollout tick) tries again.
        c.setInitializationFailTimeout(1);
        HikariDataSource ds;
        try {
            ds = new HikariDataSource(c);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot open the database " + url + " (tandem.db.url): " + e.getMessage(), e);
        }
        try {
            var result = Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
            LOG.infof("database %s at schema version %s (%d migration%s applied now)", url,
                    result.targetSchemaVersion == null ? "unchanged" : result.targetSchemaVersion,
                    result.migrationsExecuted, result.migrationsExecuted == 1 ? "" : "s");
        } catch (RuntimeException e) {
            ds.close();
            throw new IllegalStateException("cannot migrate the database " + url + ": " + e.getMessage(), e);
        }
        return ds;
    }

    /** Closes the pool after the components that use it stopped (a later priority than theirs). */
    void stop(@Observes @jakarta.annotation.Priority(jakarta.enterprise.inject.spi.ObserverMethod.DEFAULT_PRIORITY + 1000)
            ShutdownEvent event) {
        synchronized (this) {
            if (pool != null) {
                pool.close();
            }
        }
    }
}
