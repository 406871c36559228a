//! diesel table definitions, hand-maintained for both backends. Must match
//! `migrations/sqlite` and `migrations/postgres` (the integration tests load
//! every column on both).

diesel::table! {
    /// Affinity-domain patient ids (CX) the registry accepts.
    patients (patient_id) {
        patient_id -> Text,
        created_at -> Timestamp,
        merged_into -> Nullable<Text>,
    }
}

diesel::table! {
    /// DocumentEntries, SubmissionSets and Folders: searchable attributes as
    /// indexed columns, the registered object itself as opaque `body`.
    registry_objects (id) {
        id -> Text,
        patient_id -> Text,
        kind -> Text,
        lid -> Text,
        version -> Integer,
        unique_id -> Text,
        status -> Text,
        object_type -> Nullable<Text>,
        submission_set_id -> Nullable<Text>,
        submitter -> Text,
        class_code -> Nullable<Text>,
        type_code -> Nullable<Text>,
        format_code -> Nullable<Text>,
        practice_setting_code -> Nullable<Text>,
        healthcare_facility_type_code -> Nullable<Text>,
        creation_time -> Nullable<Text>,
        service_start_time -> Nullable<Text>,
        service_stop_time -> Nullable<Text>,
        submission_time -> Nullable<Text>,
        source_id -> Nullable<Text>,
        content_type_code -> Nullable<Text>,
        last_update_time -> Nullable<Text>,
        hash -> Nullable<Text>,
        size -> Nullable<BigInt>,
        repository_unique_id -> Nullable<Text>,
        mime_type -> Nullable<Text>,
        body -> Text,
        registered_at -> Timestamp,
    }
}

diesel::table! {
    /// Multi-valued searchable attributes (eventCode, authorPerson, ...).
    object_codes (patient_id, kind, value, object_id) {
        object_id -> Text,
        patient_id -> Text,
        kind -> Text,
        value -> Text,
    }
}

diesel::table! {
    associations (id) {
        id -> Text,
        patient_id -> Text,
        association_type -> Text,
        source_id -> Text,
        target_id -> Text,
        status -> Text,
        submission_set_id -> Nullable<Text>,
        body -> Text,
        registered_at -> Timestamp,
    }
}

diesel::table! {
    /// The repository's stored documents; bytes live in the blob store.
    documents (repository_unique_id, unique_id) {
        repository_unique_id -> Text,
        unique_id -> Text,
        blob_key -> Text,
        hash -> Text,
        size -> BigInt,
        mime_type -> Text,
        patient_id -> Text,
        stored_at -> Timestamp,
    }
}

diesel::table! {
    /// Participating facilities, identified by the OID in their certificates.
    facilities (oid) {
        oid -> Text,
        name -> Text,
        kind -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Certificates the operator CA issued, for revocation and audit.
    certificates (serial_hex) {
        serial_hex -> Text,
        facility_oid -> Text,
        subject -> Text,
        not_before -> Timestamp,
        not_after -> Timestamp,
        status -> Text,
        revoked_at -> Nullable<Timestamp>,
        revocation_reason -> Nullable<Text>,
        pem -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(registry_objects -> patients (patient_id));
diesel::joinable!(certificates -> facilities (facility_oid));

diesel::allow_tables_to_appear_in_same_query!(
    patients,
    registry_objects,
    object_codes,
    associations,
    documents,
    facilities,
    certificates,
);

diesel::table! {
    /// The hash-chained, append-only audit trail (see the `audit` crate).
    audit_log (seq) {
        seq -> BigInt,
        recorded_at -> Timestamp,
        transaction_label -> Text,
        event_id -> Text,
        action -> Text,
        outcome -> Integer,
        facility -> Nullable<Text>,
        patient -> Nullable<Text>,
        documents -> Text,
        access_basis -> Nullable<Text>,
        message -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    /// Audit records committed with their action and not yet linked into
    /// the chain (PostgreSQL; see `queue_audit_row`).
    audit_inbox (id) {
        id -> BigInt,
        recorded_at -> Timestamp,
        transaction_label -> Text,
        event_id -> Text,
        action -> Text,
        outcome -> Integer,
        facility -> Nullable<Text>,
        patient -> Nullable<Text>,
        documents -> Text,
        access_basis -> Nullable<Text>,
        message -> Text,
    }
}

diesel::table! {
    /// One row: the audit chain's last appended row and its pruning anchor.
    audit_head (id) {
        id -> Integer,
        last_seq -> BigInt,
        last_hash -> Text,
        pruned_seq -> BigInt,
        pruned_hash -> Text,
    }
}

diesel::table! {
    /// Per syslog destination: the last audit row it acknowledged.
    audit_cursors (destination) {
        destination -> Text,
        last_seq -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Consents patients gave (facility `*` = all participants); withdrawal
    /// sets `withdrawn_at`. Source `cli`, `api` or `bppc` (+ the document).
    consent_grants (id) {
        id -> Text,
        patient_id -> Text,
        facility_oid -> Text,
        scope -> Text,
        given_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        withdrawn_at -> Nullable<Timestamp>,
        recorded_by -> Text,
        source -> Text,
        document_unique_id -> Nullable<Text>,
        document_entry_id -> Nullable<Text>,
    }
}

diesel::table! {
    /// Emergency (break-the-glass) accesses, bounded in time.
    emergency_accesses (id) {
        id -> Text,
        patient_id -> Text,
        facility_oid -> Text,
        reason -> Text,
        opened_at -> Timestamp,
        expires_at -> Timestamp,
        opened_by -> Text,
    }
}

diesel::table! {
    /// PIX: one row per (assigning authority, id); linked ids share person_key.
    patient_identifiers (authority_oid, id_value) {
        authority_oid -> Text,
        id_value -> Text,
        person_key -> Text,
        feeding_facility -> Nullable<Text>,
        status -> Text,
        merged_into -> Nullable<Text>,
        family -> Nullable<Text>,
        given -> Nullable<Text>,
        birth_date -> Nullable<Text>,
        sex -> Nullable<Text>,
        address -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// PIX update notifications (ITI-10 / ITI-46) per subscriber.
    pix_outbox (seq) {
        seq -> BigInt,
        subscriber -> Text,
        person_key -> Text,
        payload -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(patients, patient_identifiers, pix_outbox);
