//! Row types of the consent tables.

use crate::schema::{consent_grants, emergency_accesses};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// `consent_grants.source` values.
pub const CONSENT_SOURCE_CLI: &str = "cli";
pub const CONSENT_SOURCE_API: &str = "api";
pub const CONSENT_SOURCE_BPPC: &str = "bppc";

/// One consent a patient gave.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = consent_grants)]
#[diesel(treat_none_as_default_value = false)]
pub struct ConsentGrantRow {
    pub id: String,
    /// Regional (affinity-domain) patient id, CX.
    pub patient_id: String,
    /// Facility OID, or `*` for all participants.
    pub facility_oid: String,
    /// `normal` or `restricted`.
    pub scope: String,
    pub given_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub withdrawn_at: Option<NaiveDateTime>,
    /// Facility OID whose certificate recorded it, or `operator-cli`.
    pub recorded_by: String,
    /// [`CONSENT_SOURCE_CLI`], [`CONSENT_SOURCE_API`] or [`CONSENT_SOURCE_BPPC`].
    pub source: String,
    /// The BPPC consent document's uniqueId and entryUUID.
    pub document_unique_id: Option<String>,
    pub document_entry_id: Option<String>,
}

/// One emergency access a facility opened.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = emergency_accesses)]
#[diesel(treat_none_as_default_value = false)]
pub struct EmergencyAccessRow {
    pub id: String,
    pub patient_id: String,
    pub facility_oid: String,
    pub reason: String,
    pub opened_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// Facility OID whose certificate opened it, or `operator-cli`.
    pub opened_by: String,
}
