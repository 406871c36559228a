DROP TABLE emergency_accesses;
DROP TABLE consent_grants;
