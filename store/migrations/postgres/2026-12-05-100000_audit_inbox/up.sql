-- Audit records committed with their action but not yet linked into the
-- hash chain. On PostgreSQL an action's transaction files its record here
-- without taking the chain head's row lock (held to COMMIT, that lock made
-- concurrent registrations commit one at a time); the audit crate moves
-- these rows onto audit_log, in inbox order, under one lock of the head per
-- batch. Columns as in audit_log, without the chain's seq and hashes.
-- Keep in step with ../../sqlite and src/schema.rs.
CREATE TABLE audit_inbox (
    id                BIGSERIAL PRIMARY KEY,
    recorded_at       TIMESTAMP NOT NULL,
    transaction_label TEXT NOT NULL,
    event_id          TEXT NOT NULL,
    action            TEXT NOT NULL,
    outcome           INTEGER NOT NULL,
    facility          TEXT NULL,
    patient           TEXT NULL,
    documents         TEXT NOT NULL,
    access_basis      TEXT NULL,
    message           TEXT NOT NULL
);
