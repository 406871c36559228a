-- Patient consent. Keep in step with the other backend's folder and src/schema.rs.
-- One row per consent given; withdrawal sets withdrawn_at (rows are kept as
-- the record of what was allowed when). facility_oid '*' = all participants.
CREATE TABLE consent_grants (
    id                 TEXT PRIMARY KEY NOT NULL,
    patient_id         TEXT NOT NULL,
    facility_oid       TEXT NOT NULL,
    scope              TEXT NOT NULL,
    given_at           TIMESTAMP NOT NULL,
    expires_at         TIMESTAMP NULL,
    withdrawn_at       TIMESTAMP NULL,
    recorded_by        TEXT NOT NULL,
    source             TEXT NOT NULL,
    document_unique_id TEXT NULL,
    document_entry_id  TEXT NULL
);
-- Decisions load one patient's grants for one requester (or '*').
CREATE INDEX consent_grants_patient ON consent_grants (patient_id, facility_oid);
-- Deprecating a BPPC document withdraws the grants it recorded.
CREATE INDEX consent_grants_document ON consent_grants (document_entry_id);

-- Break-the-glass accesses: bounded in time, never deleted (the report lists them).
CREATE TABLE emergency_accesses (
    id           TEXT PRIMARY KEY NOT NULL,
    patient_id   TEXT NOT NULL,
    facility_oid TEXT NOT NULL,
    reason       TEXT NOT NULL,
    opened_at    TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    opened_by    TEXT NOT NULL
);
CREATE INDEX emergency_accesses_patient ON emergency_accesses (patient_id, facility_oid);
