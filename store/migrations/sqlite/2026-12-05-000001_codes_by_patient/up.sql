-- object_codes becomes one B-tree keyed the way it is searched: by patient,
-- then attribute and value, then object (BENCHMARKS.md "Fourth pass"). Before,
-- a code row lived in three trees (the rowid table, the primary-key index
-- by object, the patient index), each a page a registration dirtied. Lookups
-- by object now name the object's patient too (`store::codes_by_object_ids`).
-- Registry objects are never deleted (XDS deprecates), so no index serves
-- the foreign key's parent side. Keep in step with ../../postgres.
CREATE TABLE object_codes_by_patient (
    object_id  TEXT NOT NULL REFERENCES registry_objects (id) ON DELETE CASCADE,
    patient_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (patient_id, kind, value, object_id)
) WITHOUT ROWID;
INSERT INTO object_codes_by_patient (object_id, patient_id, kind, value)
    SELECT object_id, patient_id, kind, value FROM object_codes;
DROP TABLE object_codes;
ALTER TABLE object_codes_by_patient RENAME TO object_codes;
