CREATE INDEX object_codes_patient_kind_value ON object_codes (patient_id, kind, value);
ALTER TABLE object_codes DROP CONSTRAINT object_codes_pkey;
ALTER TABLE object_codes ADD PRIMARY KEY (object_id, kind, value);
