DROP TABLE pix_outbox;
DROP INDEX patients_merged_into;
DROP TABLE patient_identifiers;
