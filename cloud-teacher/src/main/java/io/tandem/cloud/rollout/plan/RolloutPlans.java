package io.tandem.cloud.rollout.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Rollout plans in the database: the plan as submitted, its waves and each device's place in them. Every
 * change is one transaction, and a state change names the state it leaves, so a plan changed by an operator
 * (pause, abort) between a tick's read and its write is not overwritten.
 */
@ApplicationScoped
public class RolloutPlans {

    /** A plan's state. */
    public enum State { RUNNING, PAUSED, COMPLETED, STOPPED, ABORTED }

    /** A wave's state. */
    public enum WaveState { PENDING, STARTED, DONE, STOPPED }

    /** A device's place in a plan. */
    public enum DeviceState { WAITING, SENT, RETURNED }

    /** A plan with its waves. */
    public record Plan(String id, PlanSpec spec, String target, State state, int currentWave, String reason,
            long createdMs, long updatedMs, List<Wave> waves) {

        /** The wave in progress (or the last one, once the plan ended). */
        public Wave wave() {
            return waves.get(Math.min(currentWave, waves.size() - 1));
        }
    }

    /** One wave and its devices. */
    public record Wave(int index, WaveState state, long startedMs, long succeededMs, long finishedMs,
            List<Device> devices) {

        /** The wave's device ids. */
        public List<String> deviceIds() {
            return devices.stream().map(Device::deviceId).toList();
        }
    }

    /** One device of a plan. */
    public record Device(String deviceId, int wave, String previousVersion, DeviceState state, String detail) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    Database database;

    /** Stores a new running plan whose waves hold {@code waves}' devices; wave 0 is next. */
    public Plan create(PlanSpec spec, List<List<String>> waves) {
        if (waves.isEmpty()) {
            throw new PlanSpec.Invalid(spec.devices() != null ? "devices" : spec.group() != null ? "group" : "fleet",
                    "the target (" + spec.targetText() + ") has no device the cloud has heard from");
        }
        String id = "p-" + UUID.randomUUID().toString().substring(0, 8);
        long now = System.currentTimeMillis();
        inTransaction(c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO rollout_plan (id, model_id, version, fleet, target,"
                    + " target_group, spec_json, state, current_wave, created_ms, updated_ms)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)")) {
                p.setString(1, id);
                p.setString(2, spec.modelId());
                p.setString(3, spec.version());
                p.setString(4, spec.fleet());
                p.setString(5, spec.targetText());
                p.setString(6, spec.group());
                p.setString(7, json(spec));
                p.setString(8, State.RUNNING.name());
                p.setLong(9, now);
                p.setLong(10, now);
                p.executeUpdate();
            }
            try (PreparedStatement w = c.prepareStatement("INSERT INTO rollout_wave (plan_id, wave, state) VALUES (?, ?, ?)");
                    PreparedStatement d = c.prepareStatement("INSERT INTO rollout_device (plan_id, device_id, wave, state,"
                            + " updated_ms) VALUES (?, ?, ?, ?, ?)")) {
                for (int i = 0; i < waves.size(); i++) {
                    w.setString(1, id);
                    w.setInt(2, i);
                    w.setString(3, WaveState.PENDING.name());
                    w.addBatch();
                    for (String device : waves.get(i)) {
                        d.setString(1, id);
                        d.setString(2, device);
                        d.setInt(3, i);
                        d.setString(4, DeviceState.WAITING.name());
                        d.setLong(5, now);
                        d.addBatch();
                    }
                }
                w.executeBatch();
                d.executeBatch();
            }
            return null;
        });
        return find(id).orElseThrow();
    }

    /** The plan with this id, with its waves and devices. */
    public Optional<Plan> find(String id) {
        return inTransaction(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT * FROM rollout_plan WHERE id = ?")) {
                p.setString(1, id);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(plan(c, r)) : Optional.<Plan>empty();
                }
            }
        });
    }

    /** The newest plans first, at most {@code limit}. */
    public List<Plan> list(int limit) {
        return inTransaction(c -> {
            List<Plan> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT * FROM rollout_plan ORDER BY created_ms DESC, id")) {
                p.setMaxRows(limit);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(plan(c, r));
                    }
                }
            }
            return out;
        });
    }

    /** The site groups of a fleet that have a plan of their own that did not stop or abort. */
    public List<String> groupsWithPlans(String fleet) {
        return inTransaction(c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT DISTINCT target_group FROM rollout_plan WHERE fleet = ?"
                    + " AND target_group IS NOT NULL AND state IN (?, ?, ?) ORDER BY target_group")) {
                p.setString(1, fleet);
                p.setString(2, State.RUNNING.name());
                p.setString(3, State.PAUSED.name());
                p.setString(4, State.COMPLETED.name());
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(r.getString(1));
                    }
                }
            }
            return out;
        });
    }

    /** Ids of the plans in {@code state}, oldest first. */
    public List<String> ids(State state) {
        return inTransaction(c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT id FROM rollout_plan WHERE state = ? ORDER BY created_ms")) {
                p.setString(1, state.name());
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(r.getString(1));
                    }
                }
            }
            return out;
        });
    }

    /** Moves a plan from {@code from} to {@code to}; false when it was no longer in {@code from}. */
    public boolean transition(String id, State from, State to, String reason) {
        return inTransaction(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE rollout_plan SET state = ?, reason = ?, updated_ms = ?"
                    + " WHERE id = ? AND state = ?")) {
                p.setString(1, to.name());
                p.setString(2, reason);
                p.setLong(3, System.currentTimeMillis());
                p.setString(4, id);
                p.setString(5, from.name());
                return p.executeUpdate() == 1;
            }
        });
    }

    /** Records that a wave's deploy commands went out, with the version each device ran before. */
    public void waveStarted(String id, int wave, Map<String, String> previousVersions) {
        long now = System.currentTimeMillis();
        inTransaction(c -> {
            updateWave(c, id, wave, "state = ?, started_ms = ?", WaveState.STARTED.name(), now);
            setDevices(c, id, previousVersions.keySet(), DeviceState.SENT, null, previousVersions, now);
            return null;
        });
    }

    /** Records when a wave first reached its success threshold. */
    public void waveSucceeded(String id, int wave) {
        inTransaction(c -> updateWave(c, id, wave, "succeeded_ms = ?", System.currentTimeMillis()));
    }

    /**
     * Ends a wave as {@code state}; with a next wave, the plan moves on to it, otherwise it ends as
     * {@code planState} (a running plan only).
     */
    public void waveFinished(String id, int wave, WaveState state, Integer next, State planState, String reason) {
        long now = System.currentTimeMillis();
        inTransaction(c -> {
            updateWave(c, id, wave, "state = ?, finished_ms = ?", state.name(), now);
            try (PreparedStatement p = c.prepareStatement(next != null
                    ? "UPDATE rollout_plan SET current_wave = ?, reason = ?, updated_ms = ? WHERE id = ? AND state = ?"
                    : "UPDATE rollout_plan SET state = ?, reason = ?, updated_ms = ? WHERE id = ? AND state = ?")) {
                if (next != null) {
                    p.setInt(1, next);
                } else {
                    p.setString(1, planState.name());
                }
                p.setString(2, reason);
                p.setLong(3, now);
                p.setString(4, id);
                p.setString(5, State.RUNNING.name());
                p.executeUpdate();
            }
            return null;
        });
    }

    /** Marks devices of a plan (returned to their previous version, say) with a detail. */
    public void devices(String id, Collection<String> devices, DeviceState state, String detail) {
        inTransaction(c -> {
            setDevices(c, id, devices, state, detail, null, System.currentTimeMillis());
            return null;
        });
    }

    private static int updateWave(Connection c, String id, int wave, String set, Object... values) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE rollout_wave SET " + set + " WHERE plan_id = ? AND wave = ?")) {
            int i = 1;
            for (Object v : values) {
                p.setObject(i++, v);
            }
            p.setString(i++, id);
            p.setInt(i, wave);
            return p.executeUpdate();
        }
    }

    private static void setDevices(Connection c, String id, Collection<String> devices, DeviceState state, String detail,
            Map<String, String> previous, long now) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(previous == null
                ? "UPDATE rollout_device SET state = ?, detail = ?, updated_ms = ? WHERE plan_id = ? AND device_id = ?"
                : "UPDATE rollout_device SET state = ?, detail = ?, updated_ms = ?, previous_version = ? WHERE plan_id = ?"
                        + " AND device_id = ?")) {
            for (String device : devices) {
                int i = 1;
                p.setString(i++, state.name());
                p.setString(i++, detail);
                p.setLong(i++, now);
                if (previous != null) {
                    String v = previous.get(device);
                    p.setString(i++, v == null || v.isEmpty() ? null : v);
                }
                p.setString(i++, id);
                p.setString(i, device);
                p.addBatch();
            }
            p.executeBatch();
        }
    }

    private Plan plan(Connection c, ResultSet r) throws SQLException {
        String id = r.getString("id");
        List<Wave> waves = new ArrayList<>();
        try (PreparedStatement w = c.prepareStatement("SELECT * FROM rollout_wave WHERE plan_id = ? ORDER BY wave");
                PreparedStatement d = c.prepareStatement("SELECT * FROM rollout_device WHERE plan_id = ? ORDER BY wave,"
                        + " device_id")) {
            w.setString(1, id);
            d.setString(1, id);
            List<List<Device>> byWave = new ArrayList<>();
            try (ResultSet rs = d.executeQuery()) {
                while (rs.next()) {
                    int wave = rs.getInt("wave");
                    while (byWave.size() <= wave) {
                        byWave.add(new ArrayList<>());
                    }
                    byWave.get(wave).add(new Device(rs.getString("device_id"), wave, rs.getString("previous_version"),
                            DeviceState.valueOf(rs.getString("state")), rs.getString("detail")));
                }
            }
            try (ResultSet rs = w.executeQuery()) {
                while (rs.next()) {
                    int wave = rs.getInt("wave");
                    waves.add(new Wave(wave, WaveState.valueOf(rs.getString("state")), rs.getLong("started_ms"),
                            rs.getLong("succeeded_ms"), rs.getLong("finished_ms"),
                            wave < byWave.size() ? List.copyOf(byWave.get(wave)) : List.of()));
                }
            }
        }
        return new Plan(id, spec(r.getString("spec_json")), r.getString("target"), State.valueOf(r.getString("state")),
                r.getInt("current_wave"), r.getString("reason"), r.getLong("created_ms"), r.getLong("updated_ms"),
                List.copyOf(waves));
    }

    private static String json(PlanSpec spec) {
        try {
            return JSON.writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write plan " + spec, e);
        }
    }

    private static PlanSpec spec(String json) {
        try {
            PlanSpec s = JSON.readValue(json, PlanSpec.class);
            // A plan stored before a stop condition existed takes that condition's default.
            return new PlanSpec(s.modelId(), s.version(), s.fleet(), s.group(), s.devices(), s.waves(),
                    s.successThreshold(), s.soakSeconds(), s.ackTimeoutSeconds(),
                    (s.stop() == null ? StopConditions.DEFAULTS : s.stop()).complete());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored plan cannot be read: " + e.getMessage(), e);
        }
    }

    /** Runs {@code work} in one transaction of the database. */
    <T> T inTransaction(Database.Work<T> work) {
        return database.inTransaction("rollout plans", work);
    }
}
