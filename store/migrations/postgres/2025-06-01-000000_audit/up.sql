-- Audit trail (ATNA). Keep in step with ../../sqlite and src/schema.rs.
-- audit_log is append-only: rows are hash-chained (hash = SHA-256 of the
-- previous row's hash and this row's fields, computed by the audit crate), and
-- only retention removes rows, oldest first, after archiving them.

CREATE TABLE audit_log (
    seq               BIGINT PRIMARY KEY NOT NULL,
    recorded_at       TIMESTAMP NOT NULL,
    transaction_label TEXT NOT NULL,
    event_id          TEXT NOT NULL,
    action            TEXT NOT NULL,
    outcome           INTEGER NOT NULL,
    facility          TEXT NULL,
    patient           TEXT NULL,
    documents         TEXT NOT NULL,
    access_basis      TEXT NULL,
    message           TEXT NOT NULL,
    prev_hash         TEXT NOT NULL,
    hash              TEXT NOT NULL
);
CREATE INDEX audit_log_patient ON audit_log (patient, seq);
CREATE INDEX audit_log_facility ON audit_log (facility, seq);
CREATE INDEX audit_log_recorded_at ON audit_log (recorded_at);

-- The chain's head (last appended row) and anchor (last pruned row); one row.
-- Appends lock it, so concurrent appends take turns.
CREATE TABLE audit_head (
    id          INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    last_seq    BIGINT NOT NULL,
    last_hash   TEXT NOT NULL,
    pruned_seq  BIGINT NOT NULL,
    pruned_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash, pruned_seq, pruned_hash) VALUES
    (1, 0, '0000000000000000000000000000000000000000000000000000000000000000',
        0, '0000000000000000000000000000000000000000000000000000000000000000');

-- How far each syslog destination has been sent (last acknowledged seq).
CREATE TABLE audit_cursors (
    destination TEXT PRIMARY KEY NOT NULL,
    last_seq    BIGINT NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
