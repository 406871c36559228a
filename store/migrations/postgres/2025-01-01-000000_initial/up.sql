-- renkei initial schema (PostgreSQL). Keep in step with ../../sqlite and src/schema.rs.
-- Ids are application-generated text (entryUUIDs, OIDs); times are UTC TIMESTAMP;
-- XDS DTM values are TEXT right-padded to 14 digits so text order is time order.
-- Every registry table carries patient_id (future distribution key).

CREATE TABLE patients (
    patient_id  TEXT PRIMARY KEY NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    merged_into TEXT NULL
);

CREATE TABLE registry_objects (
    id                            TEXT PRIMARY KEY NOT NULL,
    patient_id                    TEXT NOT NULL REFERENCES patients (patient_id),
    kind                          TEXT NOT NULL,
    lid                           TEXT NOT NULL,
    version                       INTEGER NOT NULL,
    unique_id                     TEXT NOT NULL,
    status                        TEXT NOT NULL,
    object_type                   TEXT NULL,
    submission_set_id             TEXT NULL,
    submitter                     TEXT NOT NULL,
    class_code                    TEXT NULL,
    type_code                     TEXT NULL,
    format_code                   TEXT NULL,
    practice_setting_code         TEXT NULL,
    healthcare_facility_type_code TEXT NULL,
    creation_time                 TEXT NULL,
    service_start_time            TEXT NULL,
    service_stop_time             TEXT NULL,
    submission_time               TEXT NULL,
    source_id                     TEXT NULL,
    content_type_code             TEXT NULL,
    last_update_time              TEXT NULL,
    hash                          TEXT NULL,
    size                          BIGINT NULL,
    repository_unique_id          TEXT NULL,
    mime_type                     TEXT NULL,
    body                          TEXT NOT NULL,
    registered_at                 TIMESTAMP NOT NULL
);
CREATE INDEX registry_objects_patient_kind_status ON registry_objects (patient_id, kind, status);
CREATE INDEX registry_objects_unique_id ON registry_objects (unique_id);
CREATE INDEX registry_objects_lid ON registry_objects (lid);

CREATE TABLE object_codes (
    object_id  TEXT NOT NULL REFERENCES registry_objects (id) ON DELETE CASCADE,
    patient_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (object_id, kind, value)
);
CREATE INDEX object_codes_patient_kind_value ON object_codes (patient_id, kind, value);
CREATE INDEX object_codes_kind_value ON object_codes (kind, value);

CREATE TABLE associations (
    id                TEXT PRIMARY KEY NOT NULL,
    patient_id        TEXT NOT NULL,
    association_type  TEXT NOT NULL,
    source_id         TEXT NOT NULL,
    target_id         TEXT NOT NULL,
    status            TEXT NOT NULL,
    submission_set_id TEXT NULL,
    body              TEXT NOT NULL,
    registered_at     TIMESTAMP NOT NULL
);
CREATE INDEX associations_source_id ON associations (source_id);
CREATE INDEX associations_target_id ON associations (target_id);
CREATE INDEX associations_patient_id ON associations (patient_id);

CREATE TABLE documents (
    repository_unique_id TEXT NOT NULL,
    unique_id            TEXT NOT NULL,
    blob_key             TEXT NOT NULL,
    hash                 TEXT NOT NULL,
    size                 BIGINT NOT NULL,
    mime_type            TEXT NOT NULL,
    patient_id           TEXT NOT NULL,
    stored_at            TIMESTAMP NOT NULL,
    PRIMARY KEY (repository_unique_id, unique_id)
);
CREATE INDEX documents_patient_id ON documents (patient_id);

CREATE TABLE facilities (
    oid        TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX facilities_status ON facilities (status);

CREATE TABLE certificates (
    serial_hex        TEXT PRIMARY KEY NOT NULL,
    facility_oid      TEXT NOT NULL REFERENCES facilities (oid),
    subject           TEXT NOT NULL,
    not_before        TIMESTAMP NOT NULL,
    not_after         TIMESTAMP NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),
    revoked_at        TIMESTAMP NULL,
    revocation_reason TEXT NULL,
    pem               TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL
);
CREATE INDEX certificates_facility_oid ON certificates (facility_oid);
CREATE INDEX certificates_status ON certificates (status);
