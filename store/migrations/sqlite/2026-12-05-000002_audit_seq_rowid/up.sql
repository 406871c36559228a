-- audit_log's seq becomes SQLite's rowid (INTEGER PRIMARY KEY). Declared
-- BIGINT PRIMARY KEY, it was a second B-tree beside the table, holding
-- every seq again: one more page each audited transaction wrote
-- (BENCHMARKS.md "Fourth pass"). The rows and their hashes are copied
-- unchanged. The patient and facility indexes need not name seq: SQLite
-- appends the rowid to every index entry. PostgreSQL is unchanged (its
-- tables have no rowid).
CREATE TABLE audit_log_by_rowid (
    seq               INTEGER PRIMARY KEY NOT NULL,
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
INSERT INTO audit_log_by_rowid (seq, recorded_at, transaction_label, event_id, action,
        outcome, facility, patient, documents, access_basis, message, prev_hash, hash)
    SELECT seq, recorded_at, transaction_label, event_id, action, outcome, facility,
        patient, documents, access_basis, message, prev_hash, hash
    FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_by_rowid RENAME TO audit_log;
CREATE INDEX audit_log_patient ON audit_log (patient);
CREATE INDEX audit_log_facility ON audit_log (facility);
CREATE INDEX audit_log_recorded_at ON audit_log (recorded_at);
