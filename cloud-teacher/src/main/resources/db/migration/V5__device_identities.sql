-- The devices' MQTT identities (issue 11): each device's salted PBKDF2 hash of its password (never the password).
-- The database is their record; the broker's password and ACL files are written from it. Portable SQL.
CREATE TABLE device_identity (
    username       VARCHAR(64)  NOT NULL PRIMARY KEY,
    password_hash  VARCHAR(512) NOT NULL,
    issued_ms      BIGINT       NOT NULL
);
