//! BPPC consent documents (formatCode `urn:ihe:iti:bppc:2007` or
//! `urn:ihe:iti:bppc-sd:2007`) applied to the consent state inside the
//! registration's own transaction: a consent document is registered and
//! takes effect together, or neither happens.

use crate::register::RegisterFailure;
use crate::{Submitter, consents};
use audit::{AuditEvent, Requestor};
use chrono::{DateTime, NaiveDateTime, Utc};
use consent::ConsentPolicy;
use ebrim::xds::{DocumentEntry, ValidatedSubmission};
use ebrim::{RegistryError, XdsErrorCode as Code};
use store::{AnyConnection, CONSENT_SOURCE_BPPC, ConsentGrantRow};

/// Applies the consent documents of a submission that `register_in` just
/// registered (same transaction), and withdraws the grants of consent
/// documents it replaces (RPLC / XFRM_RPLC deprecate them). Returns the
/// audit events to append with the registration.
///
/// A region that has published no BPPC policy codes (`[consent.bppc_policies]`
/// empty) records consent only through the CLI and APIs: its BPPC documents
/// are registered as documents, with a warning saying they change nothing.
pub fn apply_in(
    conn: &mut AnyConnection,
    v: &ValidatedSubmission,
    submitter: &Submitter,
    policy: &ConsentPolicy,
    warnings: &mut Vec<RegistryError>,
) -> Result<Vec<AuditEvent>, RegisterFailure> {
    if policy.bppc_policies.is_empty() {
        for d in v
            .documents
            .iter()
            .filter(|d| ConsentPolicy::is_bppc_format(&d.format_code.code))
        {
            warnings.push(
                RegistryError::warning(
                    Code::RegistryMetadataError,
                    format!(
                        "BPPC consent document {} was registered but does not change consent: this region publishes no BPPC policy codes ([consent.bppc_policies]); record the consent with the consent API",
                        d.unique_id
                    ),
                )
                .at(d.entry_uuid.to_string()),
            );
        }
        return Ok(Vec::new());
    }
    let now = Utc::now();
    let who = Requestor::facility(submitter.facility_oid.clone());
    let mut events = Vec::new();

    let replaced: Vec<String> = v
        .associations
        .iter()
        .filter(|a| a.kind.replaces())
        .map(|a| a.target.to_string())
        .collect();
    if !replaced.is_empty() {
        for row in store::withdraw_grants_of_documents(conn, &replaced, now.naive_utc())? {
            events.push(consents::withdraw_event(&row, who.clone()));
        }
    }

    for d in v
        .documents
        .iter()
        .filter(|d| ConsentPolicy::is_bppc_format(&d.format_code.code))
    {
        let codes: Vec<&str> = d.event_codes.iter().map(|c| c.code.as_str()).collect();
        if codes.is_empty() {
            return Err(rejected(
                d,
                format!(
                    "BPPC consent document {} has no policy code in its eventCodeList; list the acknowledged policy (one of the region's published policy codes)",
                    d.unique_id
                ),
            ));
        }
        let effect = consent::effect_of(policy, &codes, &submitter.facility_oid)
            .map_err(|e| rejected(d, format!("document {}: {e}", d.unique_id)))?;
        let patient = d.patient_id.to_string();
        if effect.withdraw_all {
            for row in store::withdraw_consent_grants(conn, &patient, None, now.naive_utc())? {
                events.push(consents::withdraw_event(&row, who.clone()));
            }
            continue;
        }
        let given_at = d
            .service_start
            .as_deref()
            .and_then(dtm_time)
            .unwrap_or(now.naive_utc());
        let expires_at = d.service_stop.as_deref().and_then(dtm_time);
        let rows: Vec<ConsentGrantRow> = effect
            .grants
            .iter()
            .map(|(facility, scope)| ConsentGrantRow {
                id: uuid::Uuid::new_v4().to_string(),
                patient_id: patient.clone(),
                facility_oid: facility.clone(),
                scope: scope.as_str().to_string(),
                given_at,
                expires_at,
                withdrawn_at: None,
                recorded_by: submitter.facility_oid.clone(),
                source: CONSENT_SOURCE_BPPC.to_string(),
                document_unique_id: Some(d.unique_id.to_string()),
                document_entry_id: Some(d.entry_uuid.to_string()),
            })
            .collect();
        store::insert_consent_grants(conn, &rows)?;
        events.extend(rows.iter().map(|r| consents::grant_event(r, who.clone())));
    }
    Ok(events)
}

fn rejected(d: &DocumentEntry, message: String) -> RegisterFailure {
    RegisterFailure::Rejected(vec![
        RegistryError::error(Code::RegistryMetadataError, message).at(d.entry_uuid.to_string()),
    ])
}

/// A normalized XDS DTM (`YYYYMMDDhhmmss`, UTC) as a timestamp.
fn dtm_time(dtm: &str) -> Option<NaiveDateTime> {
    let digits = store::dtm_key(dtm);
    let digits = digits.get(..14)?;
    // Month/day padded with 0 by normalisation mean "the start of".
    let fixed = format!(
        "{}{}{}{}",
        &digits[..4],
        non_zero(&digits[4..6]),
        non_zero(&digits[6..8]),
        &digits[8..14]
    );
    NaiveDateTime::parse_from_str(&fixed, "%Y%m%d%H%M%S").ok()
}

fn non_zero(two: &str) -> &str {
    if two == "00" { "01" } else { two }
}

/// For tests: the timestamp of a DTM.
pub fn dtm_utc(dtm: &str) -> Option<DateTime<Utc>> {
    dtm_time(dtm).map(|t| DateTime::from_naive_utc_and_offset(t, Utc))
}
