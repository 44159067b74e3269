package io.tandem.cloud.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.devices.DeviceCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Devices' MQTT identities on both databases the service runs on: a broker file from before the database is taken
 * in, issued and revoked credentials are recorded, and a restarted service (a new pool, the broker's files lost)
 * writes the same files again from the database, hashes only.
 */
class DeviceIdentitiesDatabaseTest extends OnBothDatabases {

    @Test
    void postgresKeepsTheIdentities() throws Exception {
        lifecycle(Files.createTempDirectory("tandem-ids-pg"), () -> openPostgres());
    }

    @Test
    void theEmbeddedFileKeepsTheIdentities() throws Exception {
        Path data = Files.createTempDirectory("tandem-ids-h2");
        lifecycle(data, () -> openEmbedded(data));
    }

    private void lifecycle(Path data, Supplier<HikariDataSource> open) throws Exception {
        Path auth = Files.createDirectories(data.resolve("mqtt-auth"));
        // A hash in Mosquitto's PBKDF2 format, as an older cloud wrote it.
        String oldHash = "$7$101$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=";
        Files.writeString(auth.resolve("passwords"), "cam-old:" + oldHash + "\n");
        TandemConfig config = new SmallRyeConfigBuilder().withMapping(TandemConfig.class)
                .withSources(new PropertiesConfigSource(Map.of("tandem.data-dir", data.toString(),
                        "tandem.mqtt.auth-dir", auth.toString(), "tandem.mqtt.password", "cloud-secret"), "test", 500))
                .build().getConfigMapping(TandemConfig.class);
        String issued;
        try (HikariDataSource pool = open.get()) {
            DeviceCredentials credentials = DeviceCredentials.over(config, Database.over(pool));
            credentials.onStart();
            assertEquals(Set.of("cam-old", "tandem-cloud"), Set.copyOf(credentials.users()), "the old file taken in");
            issued = credentials.issue("cam-1").password();
            credentials.issue("cam-2");
            assertTrue(credentials.revoke("cam-2"));
            assertFalse(credentials.revoke("cam-3"), "never issued");
        }
        String passwords = Files.readString(auth.resolve("passwords"));
        assertFalse(passwords.contains(issued), "the broker's file holds hashes, never a password");
        Files.delete(auth.resolve("passwords"));
        Files.delete(auth.resolve("acl"));
        try (HikariDataSource pool = open.get()) {
            DeviceCredentials credentials = DeviceCredentials.over(config, Database.over(pool));
            credentials.onStart();
            assertEquals(List.of("cam-1", "cam-old", "tandem-cloud"), List.copyOf(credentials.users()));
        }
        List<String> lines = Files.readAllLines(auth.resolve("passwords"));
        assertEquals(3, lines.size(), "the broker's file written again from the database: " + lines);
        assertTrue(lines.contains("cam-old:" + oldHash), "the taken-in hash kept as it was");
        assertTrue(Files.readString(auth.resolve("acl")).contains("pattern write"), "the topic rights written too");
    }
}
