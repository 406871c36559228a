-- Fewer index pages per registration (BENCHMARKS.md "Fourth pass"): every
-- index is one more B-tree page each registration dirties, written to the
-- WAL and again at checkpoint on SQLite. Keep in step with the other
-- backend's folder.

-- No query looks codes up without the patient: (patient_id, kind, value)
-- serves every search, the primary key every lookup by object.
DROP INDEX object_codes_kind_value;

-- Associations are found by source or target, never by patient alone.
DROP INDEX associations_patient_id;

-- A logical id is the entryUUID of its first version, so only later
-- versions need the lid index; `store::objects_by_lid` finds the first
-- version by primary key.
DROP INDEX registry_objects_lid;
CREATE INDEX registry_objects_lid ON registry_objects (lid) WHERE lid <> id;
