-- The fleet as the cloud last knew it, and the retrain triggers an operator added through the API (issue 11):
-- both outlive a restart of the service. Portable SQL: the same file runs on the embedded H2 file and on PostgreSQL.
CREATE TABLE fleet_device (
    device_id            VARCHAR(64)  NOT NULL PRIMARY KEY,
    fleet                VARCHAR(64)  NOT NULL,
    site                 VARCHAR(64)  NOT NULL,
    active_version       VARCHAR(64)  NOT NULL,
    last_seen_ms         BIGINT       NOT NULL,
    queued_messages      BIGINT       NOT NULL,
    inferences           BIGINT       NOT NULL,
    hard_examples_acked  BIGINT       NOT NULL,
    rollbacks            BIGINT       NOT NULL,
    inference_errors     BIGINT       NOT NULL,
    dropped              BIGINT       NOT NULL
);
CREATE INDEX fleet_device_site ON fleet_device (fleet, site);

CREATE TABLE trigger_rule (
    id                    BIGINT           NOT NULL PRIMARY KEY,
    metric                VARCHAR(64)      NOT NULL,
    operator              VARCHAR(4)       NOT NULL,
    threshold             DOUBLE PRECISION NOT NULL,
    check_period_seconds  INTEGER          NOT NULL,
    site                  VARCHAR(64)      NOT NULL,
    created_ms            BIGINT           NOT NULL
);
