-- Audit records committed with their action but not yet linked into the
-- hash chain (see ../../postgres). SQLite's single writer already chains
-- records inside the action's transaction, so the hub leaves this table
-- empty on SQLite; it exists so both backends have one schema.
-- Keep in step with ../../postgres and src/schema.rs.
CREATE TABLE audit_inbox (
    id                INTEGER PRIMARY KEY NOT NULL,
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
