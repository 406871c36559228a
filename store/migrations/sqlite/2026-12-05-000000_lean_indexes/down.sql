DROP INDEX registry_objects_lid;
CREATE INDEX registry_objects_lid ON registry_objects (lid);
CREATE INDEX associations_patient_id ON associations (patient_id);
CREATE INDEX object_codes_kind_value ON object_codes (kind, value);
