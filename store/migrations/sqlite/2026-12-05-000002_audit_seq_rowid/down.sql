CREATE TABLE audit_log_by_seq (
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
INSERT INTO audit_log_by_seq (seq, recorded_at, transaction_label, event_id, action,
        outcome, facility, patient, documents, access_basis, message, prev_hash, hash)
    SELECT seq, recorded_at, transaction_label, event_id, action, outcome, facility,
        patient, documents, access_basis, message, prev_hash, hash
    FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_by_seq RENAME TO audit_log;
CREATE INDEX audit_log_patient ON audit_log (patient, seq);
CREATE INDEX audit_log_facility ON audit_log (facility, seq);
CREATE INDEX audit_log_recorded_at ON audit_log (recorded_at);
