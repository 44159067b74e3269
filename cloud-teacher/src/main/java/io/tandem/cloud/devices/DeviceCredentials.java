package io.tandem.cloud.devices;

import io.quarkus.runtime.StartupEvent;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.db.Database;
import io.tandem.proto.DurableFiles;
import io.tandem.proto.Topics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import org.jboss.logging.Logger;

/**
 * MQTT credentials the cloud issues to devices: recorded in the database ({@code device_identity}, each device's
 * password hash), and written from it into the broker's files ({@code tandem.mqtt.auth-dir}), which a restarted
 * service writes again. A broker file from before the database, with no rows yet, is taken in at start.
 * {@code passwords} holds each user's salted PBKDF2 hash of its password in
 * Mosquitto's format (never the password), {@code acl} the topic rights in Mosquitto's syntax, so the same
 * files serve the embedded broker and Mosquitto ({@code docker/mosquitto-run.sh} reloads it on a change). The cloud's own user may read and write every
 * Tandem topic; a device may publish only on its own streams and read only its own receipts and its own and its
 * fleet's deploy topics, so only the cloud can change what the fleet runs. The embedded broker reads the files again when
 * they change; a password is shown once, when issued.
 */
@ApplicationScoped
public class DeviceCredentials {

    private static final Logger LOG = Logger.getLogger(DeviceCredentials.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    TandemConfig config;

    @Inject
    Database database;

    /** The cloud's own password and its entry, hashed once per password (PBKDF2 is slow, and a new salt rewrites the file). */
    private String cloudPassword;
    private String cloudHash;

    /** Credentials over a configuration and database made elsewhere (a repository test). */
    public static DeviceCredentials over(TandemConfig config, Database database) {
        DeviceCredentials c = new DeviceCredentials();
        c.config = config;
        c.database = database;
        return c;
    }

    /** A newly issued credential: the password is not kept anywhere. */
    public record Issued(String deviceId, String username, String password) {
    }

    /** Runs before the bridge and rollout connect: their own credentials must be in the broker's file first. */
    void start(@Observes @jakarta.annotation.Priority(1) StartupEvent event) {
        onStart();
    }

    /** Records and writes the credentials at start: the cloud's own, and those the database or an older file holds. */
    public void onStart() {
        if (config.mqtt().authDir().isEmpty()) {
            return;
        }
        if (config.mqtt().password().isEmpty()) {
            throw new IllegalStateException("tandem.mqtt.auth-dir is set, so the broker requires credentials: set"
                    + " tandem.mqtt.password for the cloud's own user " + config.mqtt().username());
        }
        synchronized (this) {
            Map<String, String> recorded = recorded();
            if (recorded.isEmpty()) {
                Map<String, String> inFile = read();
                inFile.remove(config.mqtt().username());
                inFile.forEach(this::record);
                if (!inFile.isEmpty()) {
                    LOG.infof("MQTT credentials: %d devices taken in from %s", inFile.size(), dir().resolve("passwords"));
                }
            }
            write(withCloud(recorded()));
        }
        LOG.infof("MQTT credentials and topic rights in %s", config.mqtt().authDir().get());
    }

    /** Whether the cloud manages credentials. */
    public boolean enabled() {
        return config.mqtt().authDir().isPresent();
    }

    /** Issues (or replaces) the credentials of {@code deviceId}. */
    public synchronized Issued issue(String deviceId) {
        Topics.requireId("device id", deviceId);
        if (deviceId.equals(config.mqtt().username())) {
            throw new IllegalArgumentException("device id " + deviceId + " is the cloud's own user");
        }
        byte[] secret = new byte[24];
        RANDOM.nextBytes(secret);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        record(deviceId, MqttPasswords.entry(password));
        write(withCloud(recorded()));
        return new Issued(deviceId, deviceId, password);
    }

    /** Revokes the credentials of {@code deviceId}; false when it had none. */
    public synchronized boolean revoke(String deviceId) {
        boolean had = database.inTransaction("device identities", c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM device_identity WHERE username = ?")) {
                p.setString(1, deviceId);
                return p.executeUpdate() > 0;
            }
        });
        write(withCloud(recorded()));
        return had;
    }

    /** The users holding credentials (the cloud's own among them), sorted. */
    public synchronized java.util.Set<String> users() {
        return withCloud(recorded()).keySet();
    }

    /** Records (or replaces) a device's password hash. */
    private void record(String username, String hash) {
        database.inTransaction("device identities", c -> {
            try (PreparedStatement d = c.prepareStatement("DELETE FROM device_identity WHERE username = ?")) {
                d.setString(1, username);
                d.executeUpdate();
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO device_identity (username, password_hash,"
                    + " issued_ms) VALUES (?, ?, ?)")) {
                p.setString(1, username);
                p.setString(2, hash);
                p.setLong(3, System.currentTimeMillis());
                return p.executeUpdate();
            }
        });
    }

    /** Every recorded device and its hash, by name. */
    private Map<String, String> recorded() {
        return database.inTransaction("device identities", c -> {
            Map<String, String> out = new TreeMap<>();
            try (PreparedStatement p = c.prepareStatement("SELECT username, password_hash FROM device_identity");
                 ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.put(r.getString(1), r.getString(2));
                }
            }
            return out;
        });
    }

    /** The devices' entries and the cloud's own, from its configured password. */
    private Map<String, String> withCloud(Map<String, String> devices) {
        Map<String, String> users = new TreeMap<>(devices);
        config.mqtt().password().ifPresent(pw -> users.put(config.mqtt().username(), cloudEntry(pw)));
        return users;
    }

    /** The cloud's own entry; hashed once per password, so the file does not change on every write. */
    private String cloudEntry(String password) {
        if (!password.equals(cloudPassword)) {
            cloudHash = MqttPasswords.entry(password);
            cloudPassword = password;
        }
        return cloudHash;
    }

    private Path dir() {
        return config.mqtt().authDir().orElseThrow(() -> new IllegalStateException(
                "the cloud issues no MQTT credentials: set tandem.mqtt.auth-dir"));
    }

    private Map<String, String> read() {
        Map<String, String> users = new TreeMap<>();
        Path file = dir().resolve("passwords");
        try {
            if (Files.isRegularFile(file)) {
                for (String line : Files.readAllLines(file)) {
                    int colon = line.indexOf(':');
                    if (colon > 0) {
                        users.put(line.substring(0, colon), line.substring(colon + 1));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return users;
    }

    private void write(Map<String, String> users) {
        StringBuilder passwords = new StringBuilder();
        users.forEach((u, h) -> passwords.append(u).append(':').append(h).append('\n'));
        StringBuilder acl = new StringBuilder("# Written by the Tandem cloud; edits are overwritten.\n")
                .append("user ").append(config.mqtt().username()).append('\n')
                .append("topic readwrite ").append(Topics.MQTT_PREFIX).append("#\n");
        for (Topics.DeviceStream s : Topics.DeviceStream.values()) {
            acl.append("pattern write ").append(Topics.MQTT_PREFIX).append("+/%u/").append(s.leaf()).append('\n');
        }
        acl.append("pattern read ").append(Topics.MQTT_PREFIX).append("+/%u/deploy\n")
                .append("pattern read ").append(Topics.MQTT_PREFIX).append("+/%u/receipts\n")
                .append("pattern read ").append(Topics.MQTT_PREFIX).append("+/deploy\n");
        try {
            Files.createDirectories(dir());
            DurableFiles.replace(dir().resolve("passwords"), passwords.toString().getBytes(StandardCharsets.UTF_8));
            DurableFiles.replace(dir().resolve("acl"), acl.toString().getBytes(StandardCharsets.UTF_8));
            try {
                Files.setPosixFilePermissions(dir().resolve("passwords"),
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the broker's credentials in " + dir(), e);
        }
    }
}
