//! What the registry and repository put into audit records: the facts of a
//! submission (even one that fails validation) and the outcome of a response.

use crate::{Outcome, Submitter};
use audit::{AuditEvent, DocumentRef, Requestor, Transaction};
use ebrim::vocab::{DE_UNIQUE_ID, SS_PATIENT_ID, SS_UNIQUE_ID};
use ebrim::{RegistryError, RegistryObject, ResponseStatus, SubmitObjectsRequest};

/// Patient, SubmissionSet and documents named by a submission, read from the
/// request as received (so a rejected submission is audited with them too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmissionFacts {
    pub patient: Option<String>,
    pub submission_set: Option<String>,
    pub documents: Vec<String>,
}

impl SubmissionFacts {
    pub fn of(request: &SubmitObjectsRequest) -> Self {
        let mut facts = SubmissionFacts::default();
        for object in &request.objects {
            match object {
                RegistryObject::RegistryPackage(p) => {
                    if let Some(uid) = p.core.external_id(SS_UNIQUE_ID) {
                        facts.submission_set = Some(uid.trim().to_string());
                        facts.patient = p
                            .core
                            .external_id(SS_PATIENT_ID)
                            .map(|p| p.trim().to_string());
                    }
                }
                RegistryObject::ExtrinsicObject(e) => {
                    if let Some(uid) = e.core.external_id(DE_UNIQUE_ID) {
                        facts.documents.push(uid.trim().to_string());
                    }
                }
                _ => {}
            }
        }
        facts
    }

    /// The audit event of this submission, successful until told otherwise.
    pub fn event(
        &self,
        transaction: Transaction,
        submitter: &Submitter,
        repository_unique_id: Option<&str>,
    ) -> AuditEvent {
        let documents = self
            .documents
            .iter()
            .map(|uid| DocumentRef {
                unique_id: uid.clone(),
                repository_unique_id: repository_unique_id.map(str::to_string),
                home_community_id: None,
            })
            .collect();
        AuditEvent::new(transaction, requestor(submitter))
            .with_patient(self.patient.clone())
            .with_submission_set(self.submission_set.clone())
            .with_documents(documents)
    }
}

/// The audit requestor for a facility.
pub fn requestor(submitter: &Submitter) -> Requestor {
    Requestor::facility(submitter.facility_oid.clone())
}

/// Marks `event` with the outcome of a RegistryResponse: Failure is a serious
/// failure, PartialSuccess a minor one; the error codes are the description.
pub fn with_outcome(
    event: AuditEvent,
    status: ResponseStatus,
    errors: &[RegistryError],
) -> AuditEvent {
    let outcome = match status {
        ResponseStatus::Success => return event,
        ResponseStatus::PartialSuccess => audit::Outcome::MinorFailure,
        _ => audit::Outcome::SeriousFailure,
    };
    event.failed(outcome, describe(errors))
}

/// `CODE: context; CODE: context` of the errors (warnings left out).
pub fn describe(errors: &[RegistryError]) -> String {
    errors
        .iter()
        .filter(|e| e.severity == ebrim::Severity::Error)
        .map(|e| format!("{}: {}", e.code.as_str(), e.context))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Records the failure of a transaction whose own database transaction
/// rolled back (or never started). A failure to audit is logged: the
/// request failed anyway.
pub async fn record_failure(
    store: &store::Store,
    source: &audit::AuditSource,
    event: AuditEvent,
    outcome: &Outcome,
) {
    let event = with_outcome(event, outcome.status, &outcome.errors);
    if let Err(e) = audit::record(store, source, vec![event]).await {
        tracing::error!(error = %e, "could not record the audit of a failed transaction");
    }
}
