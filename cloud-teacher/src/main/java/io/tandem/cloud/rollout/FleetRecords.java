package io.tandem.cloud.rollout;

import io.tandem.cloud.db.Database;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The fleet state's table ({@code fleet_device}): each device's latest state, written in batches by the fleet state
 * and read back when the service starts, so a restarted cloud knows at once which version every device runs.
 */
@ApplicationScoped
public class FleetRecords {

    @Inject
    Database database;

    /** Records over a database opened elsewhere (a repository test). */
    public static FleetRecords over(Database database) {
        FleetRecords r = new FleetRecords();
        r.database = database;
        return r;
    }

    /** Writes these devices' states, replacing what was there for each; one transaction. */
    public void save(Collection<FleetState.DeviceSummary> devices) {
        if (devices.isEmpty()) {
            return;
        }
        database.inTransaction("fleet state", c -> {
            try (PreparedStatement update = c.prepareStatement("UPDATE fleet_device SET fleet = ?, site = ?,"
                    + " active_version = ?, last_seen_ms = ?, queued_messages = ?, inferences = ?, hard_examples_acked = ?,"
                    + " rollbacks = ?, inference_errors = ?, dropped = ? WHERE device_id = ?");
                 PreparedStatement insert = c.prepareStatement("INSERT INTO fleet_device (fleet, site, active_version,"
                         + " last_seen_ms, queued_messages, inferences, hard_examples_acked, rollbacks, inference_errors,"
                         + " dropped, device_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (FleetState.DeviceSummary d : devices) {
                    bind(update, d);
                    if (update.executeUpdate() == 0) {
                        bind(insert, d);
                        insert.executeUpdate();
                    }
                }
            }
            return null;
        });
    }

    private static void bind(PreparedStatement p, FleetState.DeviceSummary d) throws SQLException {
        p.setString(1, d.fleet());
        p.setString(2, d.group());
        p.setString(3, d.activeVersion());
        p.setLong(4, d.lastSeenMs());
        p.setLong(5, d.queuedMessages());
        p.setLong(6, d.inferences());
        p.setLong(7, d.hardExamplesAcked());
        p.setLong(8, d.rollbacks());
        p.setLong(9, d.inferenceErrors());
        p.setLong(10, d.dropped());
        p.setString(11, d.deviceId());
    }

    /** The {@code limit} devices heard from most recently, newest first. */
    public List<FleetState.DeviceSummary> load(int limit) {
        return database.inTransaction("fleet state", c -> read(c, limit));
    }

    /** Forgets a device (the fleet state forgot it: it was silent longest beyond the bound). */
    public void forget(String deviceId) {
        database.inTransaction("fleet state", c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM fleet_device WHERE device_id = ?")) {
                p.setString(1, deviceId);
                return p.executeUpdate();
            }
        });
    }

    private static List<FleetState.DeviceSummary> read(Connection c, int limit) throws SQLException {
        List<FleetState.DeviceSummary> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT * FROM fleet_device ORDER BY last_seen_ms DESC, device_id")) {
            p.setMaxRows(limit);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(new FleetState.DeviceSummary(r.getString("device_id"), r.getString("fleet"),
                            r.getString("site"), r.getString("active_version"), r.getLong("last_seen_ms"),
                            r.getLong("queued_messages"), r.getLong("inferences"), r.getLong("hard_examples_acked"),
                            r.getLong("rollbacks"), r.getLong("inference_errors"), r.getLong("dropped")));
                }
            }
        }
        return out;
    }
}
