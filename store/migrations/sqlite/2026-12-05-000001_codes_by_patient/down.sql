CREATE TABLE object_codes_by_object (
    object_id  TEXT NOT NULL REFERENCES registry_objects (id) ON DELETE CASCADE,
    patient_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (object_id, kind, value)
);
INSERT INTO object_codes_by_object (object_id, patient_id, kind, value)
    SELECT object_id, patient_id, kind, value FROM object_codes;
DROP TABLE object_codes;
ALTER TABLE object_codes_by_object RENAME TO object_codes;
CREATE INDEX object_codes_patient_kind_value ON object_codes (patient_id, kind, value);
