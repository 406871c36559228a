//! Patients join a Japanese regional network by consenting to it (the
//! 同意書 signed at the first participating hospital), so every generated
//! patient carries the consent the region's model asks for: a grant to all
//! participants in the all-participants model, else a grant to the facility
//! the benchmarks read as. Without it every read of the corpus by a
//! facility that did not author the documents is denied, and a
//! FindDocuments benchmark measures empty answers.

use store::{AnyConnection, CONSENT_SOURCE_CLI, ConsentGrantRow, StoreError};

/// Adds `patient_id` (if new) with its consent for `consent_for` (if
/// given). Returns whether the patient was new; an existing patient keeps
/// the consents it has.
pub fn enrol(
    conn: &mut AnyConnection,
    patient_id: &str,
    consent_for: Option<&str>,
) -> Result<bool, StoreError> {
    let added = store::add_patient(conn, patient_id)?;
    if let (true, Some(facility)) = (added, consent_for) {
        store::insert_consent_grants(conn, &[grant(patient_id, facility)])?;
    }
    Ok(added)
}

fn grant(patient_id: &str, facility: &str) -> ConsentGrantRow {
    ConsentGrantRow {
        id: uuid::Uuid::new_v4().to_string(),
        patient_id: patient_id.to_string(),
        facility_oid: facility.to_string(),
        scope: consent::Scope::Normal.as_str().to_string(),
        given_at: chrono::DateTime::from_timestamp(ENROLLED_AT, 0)
            .unwrap_or_default()
            .naive_utc(),
        expires_at: None,
        withdrawn_at: None,
        recorded_by: hub::consent_cli::OPERATOR_CLI.to_string(),
        source: CONSENT_SOURCE_CLI.to_string(),
        document_unique_id: None,
        document_entry_id: None,
    }
}

/// 2016-01-01T00:00:00Z, before the first generated document.
const ENROLLED_AT: i64 = 1_451_606_400;

#[cfg(test)]
mod tests {
    use super::grant;

    #[test]
    fn an_enrolment_grant_is_open_ended_normal_consent() {
        let a = grant("P1^^^&1.2&ISO", "*");
        assert_eq!(
            (a.patient_id.as_str(), a.facility_oid.as_str()),
            ("P1^^^&1.2&ISO", "*")
        );
        assert_eq!(a.scope, "normal");
        assert!(a.withdrawn_at.is_none() && a.expires_at.is_none());
        assert!(a.given_at < chrono::Utc::now().naive_utc());
        assert_ne!(a.id, grant("P1^^^&1.2&ISO", "*").id);
    }
}
