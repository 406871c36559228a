//! Local-id translation for document consumers: an ITI-18 whose patient id
//! parameter names a facility-local id known to the PIX Manager is run for
//! that person's regional id. An unknown local id is left as it is, so it
//! behaves like any unknown patient (empty result).

use ebrim::AdhocQueryRequest;
use pix::{PatientIdentifier, Pix};

/// Stored-query parameters that carry a patient id.
const PATIENT_ID_PARAMETERS: [&str; 4] = [
    "$XDSDocumentEntryPatientId",
    "$XDSSubmissionSetPatientId",
    "$XDSFolderPatientId",
    "$patientId",
];

pub async fn local_patient_ids(pix: &Pix, request: &mut AdhocQueryRequest) {
    for slot in &mut request.parameters {
        if !PATIENT_ID_PARAMETERS.contains(&slot.name.as_str()) {
            continue;
        }
        for value in &mut slot.values {
            let unquoted = value.trim().trim_matches('\'');
            let Ok(id) = PatientIdentifier::parse_cx(unquoted) else {
                continue;
            };
            if id.authority_oid == pix.affinity_domain() {
                continue;
            }
            match pix.regional_id_of(id).await {
                Ok(Some(regional)) => *value = format!("'{}'", regional.to_cx()),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "local patient id translation failed"),
            }
        }
    }
}
