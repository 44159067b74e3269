-- The registry's metadata (issue 11): one row per registered model version with its manifest (protobuf, base64).
-- The artifacts stay files under <data-dir>/registry/<model>/<version>/. Portable SQL (H2 file, PostgreSQL).
CREATE TABLE model_version (
    model_id         VARCHAR(64)     NOT NULL,
    version          VARCHAR(64)     NOT NULL,
    role             VARCHAR(32)     NOT NULL,
    device_group     VARCHAR(64)     NOT NULL,
    created_ms       BIGINT          NOT NULL,
    sha256           VARCHAR(64)     NOT NULL,
    fallback_sha256  VARCHAR(64)     NOT NULL,
    manifest         VARCHAR(360000) NOT NULL,
    PRIMARY KEY (model_id, version)
);
CREATE INDEX model_version_created ON model_version (model_id, created_ms);
