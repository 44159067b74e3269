package io.tandem.cloud.retrain;

import io.tandem.cloud.db.Database;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The retrain pipeline's queue ({@code pipeline_run}): the runs of each round, claimed by retrain workers one at a
 * time. A claim is a conditional update (only a queued run whose round's teacher run has ended can be taken, and
 * only once), so any number of workers, through any number of services on one PostgreSQL, share one queue.
 */
@ApplicationScoped
public class PipelineRuns {

    /** Where a run is. */
    public enum State { QUEUED, RUNNING, SUCCEEDED, FAILED }

    /** What a run trains. */
    public enum Kind { TEACHER, STUDENT }

    /** Log lines kept per run (the tail). */
    static final int MAX_PROGRESS_CHARS = 8000;

    /**
     * One run.
     *
     * @param site the device group a student is for; empty for the fleet's and for teacher runs
     * @param afterId the run it waits for (its round's teacher run), null if none
     * @param outcome why it shipped or did not, or why it failed
     * @param progress the tail of the worker's log
     */
    public record Run(String id, int round, Kind kind, String modelId, String version, String site, String reason,
            String afterId, State state, String worker, int attempts, long createdMs, long claimedMs, long heartbeatMs,
            long finishedMs, boolean promoted, String outcome, String progress) {

        /** Whether it is over. */
        public boolean ended() {
            return state == State.SUCCEEDED || state == State.FAILED;
        }
    }

    /** A run to queue. */
    public record Planned(Kind kind, String modelId, String version, String site) {
    }

    @Inject
    Database database;

    /** Runs over a database opened elsewhere (a repository test). */
    public static PipelineRuns over(Database database) {
        PipelineRuns r = new PipelineRuns();
        r.database = database;
        return r;
    }

    /**
     * Queues a round: its teacher run first (when planned), every student run waiting for it.
     *
     * @return the round's runs as queued
     */
    public List<Run> queueRound(String reason, List<Planned> runs) {
        return database.inTransaction("pipeline runs", c -> {
            int round;
            try (PreparedStatement p = c.prepareStatement("SELECT COALESCE(MAX(round_no), 0) FROM pipeline_run");
                 ResultSet r = p.executeQuery()) {
                r.next();
                round = r.getInt(1) + 1;
            }
            long now = System.currentTimeMillis();
            String teacherRun = null;
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < runs.size(); i++) {
                Planned planned = runs.get(i);
                String id = "r" + round + "-" + (i + 1);
                try (PreparedStatement p = c.prepareStatement("INSERT INTO pipeline_run (id, round_no, kind, model_id,"
                        + " version, site, reason, after_id, state, worker, attempts, created_ms, claimed_ms,"
                        + " heartbeat_ms, finished_ms, promoted, outcome, progress) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
                        + " '', 0, ?, 0, 0, 0, FALSE, '', '')")) {
                    p.setString(1, id);
                    p.setInt(2, round);
                    p.setString(3, planned.kind().name());
                    p.setString(4, planned.modelId());
                    p.setString(5, planned.version());
                    p.setString(6, planned.site());
                    p.setString(7, truncate(reason, 512));
                    p.setString(8, planned.kind() == Kind.STUDENT ? teacherRun : null);
                    p.setString(9, State.QUEUED.name());
                    p.setLong(10, now);
                    p.executeUpdate();
                }
                if (planned.kind() == Kind.TEACHER) {
                    teacherRun = id;
                }
                ids.add(id);
            }
            List<Run> out = new ArrayList<>();
            for (String id : ids) {
                out.add(find(c, id).orElseThrow());
            }
            return out;
        });
    }

    /**
     * Hands the oldest run that may start to {@code worker}: queued, and its teacher run (if any) ended.
     *
     * @return the run, now RUNNING for this worker; empty when none may start
     */
    public Optional<Run> claim(String worker) {
        return database.inTransaction("pipeline runs", c -> {
            List<String> candidates = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT r.id FROM pipeline_run r WHERE r.state = 'QUEUED'"
                    + " AND (r.after_id IS NULL OR EXISTS (SELECT 1 FROM pipeline_run a WHERE a.id = r.after_id"
                    + " AND a.state IN ('SUCCEEDED', 'FAILED'))) ORDER BY r.created_ms, r.round_no, r.id")) {
                p.setMaxRows(16);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        candidates.add(r.getString(1));
                    }
                }
            }
            long now = System.currentTimeMillis();
            for (String id : candidates) {
                // Conditional: another worker that took it first leaves no row to update.
                try (PreparedStatement p = c.prepareStatement("UPDATE pipeline_run SET state = 'RUNNING', worker = ?,"
                        + " attempts = attempts + 1, claimed_ms = ?, heartbeat_ms = ? WHERE id = ? AND state = 'QUEUED'")) {
                    p.setString(1, truncate(worker, 128));
                    p.setLong(2, now);
                    p.setLong(3, now);
                    p.setString(4, id);
                    if (p.executeUpdate() == 1) {
                        return find(c, id);
                    }
                }
            }
            return Optional.empty();
        });
    }

    /**
     * Appends a worker's log lines to its run and counts as its heartbeat.
     *
     * @return false when the run is not running for this worker (its lease ran out, or it ended)
     */
    public boolean progress(String id, String worker, String lines) {
        return database.inTransaction("pipeline runs", c -> {
            Optional<Run> run = find(c, id);
            if (run.isEmpty() || run.get().state() != State.RUNNING || !run.get().worker().equals(worker)) {
                return false;
            }
            String all = run.get().progress() + lines;
            try (PreparedStatement p = c.prepareStatement("UPDATE pipeline_run SET heartbeat_ms = ?, progress = ?"
                    + " WHERE id = ? AND state = 'RUNNING' AND worker = ?")) {
                p.setLong(1, System.currentTimeMillis());
                p.setString(2, all.length() > MAX_PROGRESS_CHARS ? all.substring(all.length() - MAX_PROGRESS_CHARS) : all);
                p.setString(3, id);
                p.setString(4, worker);
                return p.executeUpdate() == 1;
            }
        });
    }

    /**
     * Ends a running run of {@code worker}.
     *
     * @return false when the run is not running for this worker
     */
    public boolean finish(String id, String worker, State state, boolean promoted, String outcome) {
        return database.inTransaction("pipeline runs", c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE pipeline_run SET state = ?, promoted = ?, outcome = ?,"
                    + " finished_ms = ? WHERE id = ? AND state = 'RUNNING' AND worker = ?")) {
                p.setString(1, state.name());
                p.setBoolean(2, promoted);
                p.setString(3, truncate(outcome, 2048));
                p.setLong(4, System.currentTimeMillis());
                p.setString(5, id);
                p.setString(6, worker);
                return p.executeUpdate() == 1;
            }
        });
    }

    /**
     * Takes runs back from workers silent since {@code silentSinceMs}: queued again for another worker, or failed
     * once they were handed out {@code maxAttempts} times.
     *
     * @return the runs taken back
     */
    public List<Run> expireLeases(long silentSinceMs, int maxAttempts) {
        return database.inTransaction("pipeline runs", c -> {
            List<Run> expired = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT id FROM pipeline_run WHERE state = 'RUNNING'"
                    + " AND heartbeat_ms < ?")) {
                p.setLong(1, silentSinceMs);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        expired.add(find(c, r.getString(1)).orElseThrow());
                    }
                }
            }
            for (Run run : expired) {
                boolean last = run.attempts() >= maxAttempts;
                try (PreparedStatement p = c.prepareStatement("UPDATE pipeline_run SET state = ?, worker = ?,"
                        + " finished_ms = ?, outcome = ? WHERE id = ? AND state = 'RUNNING'")) {
                    p.setString(1, (last ? State.FAILED : State.QUEUED).name());
                    p.setString(2, last ? run.worker() : "");
                    p.setLong(3, last ? System.currentTimeMillis() : 0);
                    p.setString(4, "worker " + run.worker() + " went silent" + (last ? " on the last of " + maxAttempts
                            + " attempts" : "; queued again"));
                    p.setString(5, run.id());
                    p.executeUpdate();
                }
            }
            return expired;
        });
    }

    /** One run. */
    public Optional<Run> find(String id) {
        return database.inTransaction("pipeline runs", c -> find(c, id));
    }

    /** The runs of one round, in order. */
    public List<Run> round(int round) {
        return database.inTransaction("pipeline runs", c -> list(c, "SELECT * FROM pipeline_run WHERE round_no = ?"
                + " ORDER BY id", p -> p.setInt(1, round), Integer.MAX_VALUE));
    }

    /** The newest runs first, at most {@code limit}. */
    public List<Run> recent(int limit) {
        return database.inTransaction("pipeline runs", c -> list(c, "SELECT * FROM pipeline_run ORDER BY round_no DESC,"
                + " created_ms DESC, id DESC", p -> { }, limit));
    }

    /** Runs queued or running, of any round. */
    public int open() {
        return database.inTransaction("pipeline runs", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT COUNT(*) FROM pipeline_run WHERE state IN ('QUEUED',"
                    + " 'RUNNING')"); ResultSet r = p.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        });
    }

    /** The newest round's number, 0 before any. */
    public int lastRound() {
        return database.inTransaction("pipeline runs", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT COALESCE(MAX(round_no), 0) FROM pipeline_run");
                 ResultSet r = p.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        });
    }

    /** Rounds queued for a reason other than {@code reason} (the bootstrap's). */
    public int roundsExcept(String reason) {
        return database.inTransaction("pipeline runs", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT COUNT(DISTINCT round_no) FROM pipeline_run"
                    + " WHERE reason <> ?")) {
                p.setString(1, reason);
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    return r.getInt(1);
                }
            }
        });
    }

    /** Runs in a state, by state name. */
    public java.util.Map<State, Integer> counts() {
        return database.inTransaction("pipeline runs", c -> {
            java.util.Map<State, Integer> out = new java.util.EnumMap<>(State.class);
            for (State s : State.values()) {
                out.put(s, 0);
            }
            try (PreparedStatement p = c.prepareStatement("SELECT state, COUNT(*) FROM pipeline_run GROUP BY state");
                 ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.put(State.valueOf(r.getString(1)), r.getInt(2));
                }
            }
            return out;
        });
    }

    private interface Binder {
        void bind(PreparedStatement p) throws SQLException;
    }

    private static List<Run> list(Connection c, String sql, Binder binder, int limit) throws SQLException {
        List<Run> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(sql)) {
            binder.bind(p);
            p.setMaxRows(Math.min(limit, 100_000));
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(row(r));
                }
            }
        }
        return out;
    }

    private static Optional<Run> find(Connection c, String id) throws SQLException {
        List<Run> one = list(c, "SELECT * FROM pipeline_run WHERE id = ?", p -> p.setString(1, id), 1);
        return one.stream().findFirst();
    }

    private static Run row(ResultSet r) throws SQLException {
        return new Run(r.getString("id"), r.getInt("round_no"), Kind.valueOf(r.getString("kind")),
                r.getString("model_id"), r.getString("version"), r.getString("site"), r.getString("reason"),
                r.getString("after_id"), State.valueOf(r.getString("state")), r.getString("worker"),
                r.getInt("attempts"), r.getLong("created_ms"), r.getLong("claimed_ms"), r.getLong("heartbeat_ms"),
                r.getLong("finished_ms"), r.getBoolean("promoted"), r.getString("outcome"), r.getString("progress"));
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
