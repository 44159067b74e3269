-- Rollout plans in waves (issue 11): the plan as submitted, each wave's progress, each device's place in it.
-- Portable SQL: the same file runs on the embedded H2 file and on PostgreSQL.
CREATE TABLE rollout_plan (
    id            VARCHAR(40)    NOT NULL PRIMARY KEY,
    model_id      VARCHAR(64)    NOT NULL,
    version       VARCHAR(64)    NOT NULL,
    fleet         VARCHAR(64)    NOT NULL,
    target        VARCHAR(200)   NOT NULL,
    target_group  VARCHAR(64),
    spec_json     VARCHAR(20000) NOT NULL,
    state         VARCHAR(16)    NOT NULL,
    current_wave  INTEGER        NOT NULL,
    reason        VARCHAR(2000),
    created_ms    BIGINT         NOT NULL,
    updated_ms    BIGINT         NOT NULL
);
CREATE INDEX rollout_plan_state ON rollout_plan (state);
CREATE INDEX rollout_plan_group ON rollout_plan (fleet, target_group);

CREATE TABLE rollout_wave (
    plan_id       VARCHAR(40)    NOT NULL REFERENCES rollout_plan (id),
    wave          INTEGER        NOT NULL,
    state         VARCHAR(16)    NOT NULL,
    started_ms    BIGINT,
    succeeded_ms  BIGINT,
    finished_ms   BIGINT,
    PRIMARY KEY (plan_id, wave)
);

CREATE TABLE rollout_device (
    plan_id          VARCHAR(40) NOT NULL REFERENCES rollout_plan (id),
    device_id        VARCHAR(64) NOT NULL,
    wave             INTEGER     NOT NULL,
    previous_version VARCHAR(64),
    state            VARCHAR(16) NOT NULL,
    detail           VARCHAR(500),
    updated_ms       BIGINT      NOT NULL,
    PRIMARY KEY (plan_id, device_id)
);
CREATE INDEX rollout_device_wave ON rollout_device (plan_id, wave);
