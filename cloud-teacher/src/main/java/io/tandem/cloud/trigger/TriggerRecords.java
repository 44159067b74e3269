package io.tandem.cloud.trigger;

import io.tandem.cloud.db.Database;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The triggers an operator added through the API ({@code trigger_rule}), so they outlive a restart; those from
 * the configuration are made again from it at each start and are not stored.
 */
@ApplicationScoped
public class TriggerRecords {

    @Inject
    Database database;

    /** Records over a database opened elsewhere (a repository test). */
    public static TriggerRecords over(Database database) {
        TriggerRecords r = new TriggerRecords();
        r.database = database;
        return r;
    }

    /** Stores a rule under its id. */
    public void add(long id, TriggerRule rule) {
        database.inTransaction("triggers", c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO trigger_rule (id, metric, operator, threshold,"
                    + " check_period_seconds, site, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                p.setLong(1, id);
                p.setString(2, rule.metric());
                p.setString(3, rule.operator());
                p.setDouble(4, rule.threshold());
                p.setInt(5, rule.checkPeriodSeconds());
                p.setString(6, rule.group());
                p.setLong(7, System.currentTimeMillis());
                return p.executeUpdate();
            }
        });
    }

    /** Removes a stored rule; false when none has this id. */
    public boolean remove(long id) {
        return database.inTransaction("triggers", c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM trigger_rule WHERE id = ?")) {
                p.setLong(1, id);
                return p.executeUpdate() > 0;
            }
        });
    }

    /** Every stored rule by id, oldest first. */
    public Map<Long, TriggerRule> all() {
        return database.inTransaction("triggers", c -> {
            Map<Long, TriggerRule> out = new LinkedHashMap<>();
            try (PreparedStatement p = c.prepareStatement("SELECT * FROM trigger_rule ORDER BY id");
                 ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.put(r.getLong("id"), new TriggerRule(r.getString("metric"), r.getString("operator"),
                            r.getDouble("threshold"), r.getInt("check_period_seconds"), r.getString("site")));
                }
            }
            return out;
        });
    }
}
