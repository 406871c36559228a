-- Keep in step with ../../postgres and src/schema.rs.
-- Every identifier one facility (assigning authority) gives a patient, and the
-- regional (affinity-domain) ids the hub creates; ids of one person share a
-- person_key. Retired (merged-away) local ids stay for `patient show`.
CREATE TABLE patient_identifiers (
    authority_oid    TEXT NOT NULL,
    id_value         TEXT NOT NULL,
    person_key       TEXT NOT NULL,
    feeding_facility TEXT NULL,
    status           TEXT NOT NULL,
    merged_into      TEXT NULL,
    family           TEXT NULL,
    given            TEXT NULL,
    birth_date       TEXT NULL,
    sex              TEXT NULL,
    address          TEXT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (authority_oid, id_value)
);
CREATE INDEX patient_identifiers_person ON patient_identifiers (person_key);
CREATE INDEX patient_identifiers_names ON patient_identifiers (family, given, birth_date);

-- The registry's merge resolver walks merged_into backwards.
CREATE INDEX patients_merged_into ON patients (merged_into);

-- ITI-10 / ITI-46 notifications waiting for (or delivered to) a subscriber,
-- written in the feed's transaction; delivered in seq order per subscriber.
CREATE TABLE pix_outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    subscriber   TEXT NOT NULL,
    person_key   TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    attempts     INTEGER NOT NULL,
    delivered_at TIMESTAMP NULL
);
CREATE INDEX pix_outbox_pending ON pix_outbox (subscriber, delivered_at, seq);
