-- object_codes is searched by patient, then attribute and value; one index
-- keyed that way (now the primary key) replaces the primary key by object
-- and the patient index (BENCHMARKS.md "Fourth pass"). Lookups by object
-- name the object's patient too (`store::codes_by_object_ids`). Registry
-- objects are never deleted (XDS deprecates), so no index serves the
-- foreign key's parent side. Keep in step with ../../sqlite.
ALTER TABLE object_codes DROP CONSTRAINT object_codes_pkey;
ALTER TABLE object_codes ADD PRIMARY KEY (patient_id, kind, value, object_id);
DROP INDEX object_codes_patient_kind_value;
