DROP TABLE certificates;
DROP TABLE facilities;
DROP TABLE documents;
DROP TABLE associations;
DROP TABLE object_codes;
DROP TABLE registry_objects;
DROP TABLE patients;
