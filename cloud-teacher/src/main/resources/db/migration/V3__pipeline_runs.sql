-- The retrain pipeline's queue (issue 11): each round is one or more runs (a teacher round, then one student per
-- target) that retrain workers claim, report progress on and finish. A student run waits for its round's teacher
-- run (after_id). Portable SQL: the same file runs on the embedded H2 file and on PostgreSQL.
CREATE TABLE pipeline_run (
    id            VARCHAR(64)   NOT NULL PRIMARY KEY,
    round_no      INTEGER       NOT NULL,
    kind          VARCHAR(16)   NOT NULL,
    model_id      VARCHAR(64)   NOT NULL,
    version       VARCHAR(64)   NOT NULL,
    site          VARCHAR(64)   NOT NULL,
    reason        VARCHAR(512)  NOT NULL,
    after_id      VARCHAR(64),
    state         VARCHAR(16)   NOT NULL,
    worker        VARCHAR(128)  NOT NULL,
    attempts      INTEGER       NOT NULL,
    created_ms    BIGINT        NOT NULL,
    claimed_ms    BIGINT        NOT NULL,
    heartbeat_ms  BIGINT        NOT NULL,
    finished_ms   BIGINT        NOT NULL,
    promoted      BOOLEAN       NOT NULL,
    outcome       VARCHAR(2048) NOT NULL,
    progress      VARCHAR(8000) NOT NULL
);
CREATE INDEX pipeline_run_state ON pipeline_run (state, created_ms);
CREATE INDEX pipeline_run_round ON pipeline_run (round_no);
