//! Recording consent and emergency access (admin API, participant API, CLI,
//! SOAP header), each change audited in its own transaction, and the consent
//! facts of a read for its audit record.

use crate::visibility::{Visibility, emergency_of, grant_of};
use crate::{Reader, Registry, Submitter};
use audit::{AuditEvent, Requestor, TargetKind, Transaction};
use chrono::{DateTime, Duration, Utc};
use consent::{ALL_FACILITIES, DenyReason, Scope};
use serde::Serialize;
use store::{AnyConnection, ConsentGrantRow, EmergencyAccessRow, StoreError};

/// Longest time-limited consent, in days (ten years).
pub const MAX_CONSENT_DAYS: u32 = 3650;
/// Longest accepted emergency reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Why a consent operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    #[error(
        "patient id {0} is not known to the registry; use the regional (affinity-domain) id, CX ID^^^&OID&ISO"
    )]
    UnknownPatient(String),
    #[error("facility {0} is not a participant of this network")]
    UnknownFacility(String),
    #[error("{0}")]
    Invalid(String),
    #[error(
        "facility {0} does not have the emergency access capability; the network operator grants it in [consent] emergency_facilities"
    )]
    NoEmergencyCapability(String),
    #[error(
        "emergency access needs a reason (a non-empty text of at most {MAX_REASON_CHARS} characters)"
    )]
    MissingReason,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ConsentError {
    /// The text a requester is shown (storage failures without internals).
    pub fn public_message(&self) -> String {
        match self {
            ConsentError::Store(e) => {
                tracing::error!(error = %e, "consent storage failure");
                "the hub could not record this; nothing was changed, try again later".into()
            }
            other => other.to_string(),
        }
    }
}

/// What a consent grant request asks for.
#[derive(Debug, Clone)]
pub struct GrantRequest {
    pub patient: String,
    /// Facility OIDs, or `["*"]` for all participants.
    pub facilities: Vec<String>,
    pub scope: Scope,
    /// Time-limited consent: ends this many days after it is given.
    pub days: Option<u32>,
    /// `cli` or `api`.
    pub source: &'static str,
}

/// A patient's consent record as shown to the operator and to the
/// patient's consenting facilities.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentReport {
    pub patient: String,
    pub model: &'static str,
    pub grants: Vec<GrantView>,
    pub emergency_accesses: Vec<EmergencyView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GrantView {
    pub id: String,
    pub facility: String,
    pub scope: String,
    pub given_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub active: bool,
    pub recorded_by: String,
    pub source: String,
    pub document_unique_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmergencyView {
    pub id: String,
    pub facility: String,
    pub reason: String,
    pub opened_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub active: bool,
    pub opened_by: String,
    /// Times a read relied on it (from the audit trail).
    pub uses: Vec<EmergencyUse>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmergencyUse {
    pub time: String,
    pub documents: Vec<String>,
}

impl GrantView {
    fn of(row: &ConsentGrantRow, now: DateTime<Utc>) -> Self {
        let g = grant_of(row);
        GrantView {
            active: g.is_active(now),
            id: g.id,
            facility: g.facility,
            scope: g.scope.as_str().to_string(),
            given_at: g.given_at,
            expires_at: g.expires_at,
            withdrawn_at: g.withdrawn_at,
            recorded_by: row.recorded_by.clone(),
            source: row.source.clone(),
            document_unique_id: row.document_unique_id.clone(),
        }
    }
}

/// The consent facts of one read, for its audit records.
#[derive(Debug, Clone, Default)]
pub struct ReadFacts {
    /// What the shown objects relied on (`author`, `consent:<id>`, `emergency:<id>`).
    pub basis: Option<String>,
    /// (patient, emergency access id, documents shown through it).
    pub emergency_uses: Vec<(String, String, Vec<String>)>,
    /// (patient, uniqueId, reason) withheld.
    pub withheld: Vec<(String, String, DenyReason)>,
}

impl ReadFacts {
    pub fn of(v: &Visibility<'_>) -> Self {
        ReadFacts {
            basis: v.basis_summary(),
            emergency_uses: v.emergency_uses(),
            withheld: v.withheld.clone(),
        }
    }

    /// EmergencyAccessUse per access relied on, AccessDenied per patient
    /// with withheld documents (the uniqueIds and reasons).
    pub fn events(&self, requester: &Submitter, transaction: &str) -> Vec<AuditEvent> {
        let who = crate::auditing::requestor(requester);
        let mut events: Vec<AuditEvent> = self
            .emergency_uses
            .iter()
            .map(|(patient, access, documents)| {
                AuditEvent::new(Transaction::EmergencyAccessUse, who.clone())
                    .with_patient(Some(patient.clone()))
                    .with_documents(
                        documents
                            .iter()
                            .map(|d| audit::DocumentRef::new(d.clone()))
                            .collect(),
                    )
                    .with_access_basis(Some(format!("emergency:{access}")))
                    .with_target_detail(TargetKind::EmergencyAccess, access.clone(), transaction)
            })
            .collect();
        let mut patients: Vec<&str> = self.withheld.iter().map(|w| w.0.as_str()).collect();
        patients.dedup();
        for patient in patients {
            let withheld: Vec<&(String, String, DenyReason)> =
                self.withheld.iter().filter(|w| w.0 == patient).collect();
            let reasons: std::collections::BTreeSet<&str> =
                withheld.iter().map(|w| w.2.as_str()).collect();
            let documents = withheld
                .iter()
                .map(|w| audit::DocumentRef::new(w.1.clone()))
                .collect();
            events.push(
                AuditEvent::new(Transaction::AccessDenied, who.clone())
                    .with_patient(Some(patient.to_string()))
                    .with_documents(documents)
                    .failed(
                        audit::Outcome::MinorFailure,
                        format!(
                            "{transaction}: {} document(s) withheld by consent ({})",
                            withheld.len(),
                            reasons.into_iter().collect::<Vec<_>>().join(", ")
                        ),
                    ),
            );
        }
        events
    }
}

fn check_patient(conn: &mut AnyConnection, patient: &str) -> Result<(), ConsentError> {
    if store::patient_exists(conn, patient)? {
        Ok(())
    } else {
        Err(ConsentError::UnknownPatient(patient.to_string()))
    }
}

impl Registry {
    /// Records consent for `request.facilities` (checked against the
    /// region's model and the participant list), audited with it.
    pub async fn grant_consent(
        &self,
        request: GrantRequest,
        recorded_by: String,
        who: Requestor,
    ) -> Result<Vec<GrantView>, ConsentError> {
        let mut facilities = request.facilities.clone();
        facilities.sort();
        facilities.dedup();
        if facilities.is_empty() {
            return Err(ConsentError::Invalid(
                "name the facilities the consent is for (or all participants)".into(),
            ));
        }
        for f in &facilities {
            if let Some(why) = self.consent_policy().grant_refusal(f) {
                return Err(ConsentError::Invalid(why));
            }
        }
        if facilities.len() > 1 && facilities.iter().any(|f| f == ALL_FACILITIES) {
            return Err(ConsentError::Invalid(
                "a consent for all participants names no single facilities".into(),
            ));
        }
        if let Some(days) = request.days
            && (days == 0 || days > MAX_CONSENT_DAYS)
        {
            return Err(ConsentError::Invalid(format!(
                "days = {days}: a time-limited consent lasts 1 to {MAX_CONSENT_DAYS} days"
            )));
        }
        let now = Utc::now();
        let source = self.audit_source().clone();
        let rows: Vec<ConsentGrantRow> = facilities
            .iter()
            .map(|f| ConsentGrantRow {
                id: uuid::Uuid::new_v4().to_string(),
                patient_id: request.patient.clone(),
                facility_oid: f.clone(),
                scope: request.scope.as_str().to_string(),
                given_at: now.naive_utc(),
                expires_at: request
                    .days
                    .map(|d| (now + Duration::days(i64::from(d))).naive_utc()),
                withdrawn_at: None,
                recorded_by: recorded_by.clone(),
                source: request.source.to_string(),
                document_unique_id: None,
                document_entry_id: None,
            })
            .collect();
        let stored = rows.clone();
        self.store()
            .write(move |conn| {
                check_patient(conn, &request.patient)?;
                for f in facilities.iter().filter(|f| *f != ALL_FACILITIES) {
                    if store::facility(conn, f)?.is_none() {
                        return Err(ConsentError::UnknownFacility(f.clone()));
                    }
                }
                store::insert_consent_grants(conn, &stored)?;
                for row in &stored {
                    audit::append(conn, &source, &grant_event(row, who.clone()))?;
                }
                Ok(())
            })
            .await?;
        Ok(rows.iter().map(|r| GrantView::of(r, now)).collect())
    }

    /// Withdraws the patient's consents (all, or those naming one
    /// facility), effective at once; audited with the change.
    pub async fn withdraw_consent(
        &self,
        patient: String,
        facility: Option<String>,
        who: Requestor,
    ) -> Result<Vec<GrantView>, ConsentError> {
        let now = Utc::now();
        let source = self.audit_source().clone();
        let rows = self
            .store()
            .write(move |conn| {
                check_patient(conn, &patient)?;
                let rows = store::withdraw_consent_grants(
                    conn,
                    &patient,
                    facility.as_deref(),
                    now.naive_utc(),
                )?;
                for row in &rows {
                    audit::append(conn, &source, &withdraw_event(row, who.clone()))?;
                }
                Ok::<_, ConsentError>(rows)
            })
            .await?;
        Ok(rows.iter().map(|r| GrantView::of(r, now)).collect())
    }

    /// The patient's grants, emergency accesses and their uses.
    pub async fn consent_report(&self, patient: String) -> Result<ConsentReport, ConsentError> {
        let now = Utc::now();
        let model = self.consent_policy().model.as_str();
        audit::link_inbox(self.store()).await?;
        self.store()
            .read(move |conn| {
                check_patient(conn, &patient)?;
                let ids = std::slice::from_ref(&patient);
                let grants = store::consent_grants_of(conn, ids, None)?;
                let accesses = store::emergency_accesses_of(conn, ids, None)?;
                let uses = store::search_audit(
                    conn,
                    &store::AuditFilter {
                        patient: Some(patient.clone()),
                        transaction_label: Some(
                            Transaction::EmergencyAccessUse.label().to_string(),
                        ),
                        ..store::AuditFilter::default()
                    },
                    10_000,
                )?;
                let emergency_accesses = accesses
                    .iter()
                    .map(|a| EmergencyView {
                        id: a.id.clone(),
                        facility: a.facility_oid.clone(),
                        reason: a.reason.clone(),
                        opened_at: emergency_of(a).opened_at,
                        expires_at: emergency_of(a).expires_at,
                        active: emergency_of(a).is_active(now),
                        opened_by: a.opened_by.clone(),
                        uses: uses
                            .iter()
                            .filter(|u| {
                                u.access_basis.as_deref() == Some(&format!("emergency:{}", a.id))
                            })
                            .map(|u| EmergencyUse {
                                time: audit::format_time(DateTime::from_naive_utc_and_offset(
                                    u.recorded_at,
                                    Utc,
                                )),
                                documents: serde_json::from_str(&u.documents).unwrap_or_default(),
                            })
                            .collect(),
                    })
                    .collect();
                Ok::<_, ConsentError>(ConsentReport {
                    patient: patient.clone(),
                    model,
                    grants: grants.iter().map(|g| GrantView::of(g, now)).collect(),
                    emergency_accesses,
                })
            })
            .await
    }

    /// Whether `facility` holds an active consent for the patient (such a
    /// facility may see the patient's consent report).
    pub async fn is_consenting_facility(
        &self,
        patient: String,
        facility: String,
    ) -> Result<bool, ConsentError> {
        let now = Utc::now();
        let model = self.consent_policy().model;
        self.store()
            .read(move |conn| {
                let grants = store::consent_grants_of(
                    conn,
                    std::slice::from_ref(&patient),
                    Some(&facility),
                )?;
                Ok::<_, ConsentError>(grants.iter().map(grant_of).any(|g| {
                    g.is_active(now)
                        && (g.facility == facility
                            || (g.facility == ALL_FACILITIES
                                && model == consent::Model::AllParticipants))
                }))
            })
            .await
    }

    /// Opens break-the-glass access to one patient for `facility` (which
    /// must have the capability), with a mandatory reason, for `hours`
    /// (default and upper bound from the policy). Refusals are audited.
    pub async fn open_emergency_access(
        &self,
        patient: String,
        facility: String,
        reason: String,
        hours: Option<u32>,
        opened_by: String,
        who: Requestor,
    ) -> Result<EmergencyView, ConsentError> {
        let refused = |e: ConsentError| async {
            let event = AuditEvent::new(Transaction::EmergencyAccessOpen, who.clone())
                .with_patient(Some(patient.clone()))
                .failed(audit::Outcome::SeriousFailure, e.to_string());
            if let Err(err) = audit::record(self.store(), self.audit_source(), vec![event]).await {
                tracing::error!(error = %err, "could not audit a refused emergency access");
            }
            Err(e)
        };
        let policy = self.consent_policy();
        if !policy.has_emergency_capability(&facility) {
            return refused(ConsentError::NoEmergencyCapability(facility.clone())).await;
        }
        let reason = reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return refused(ConsentError::MissingReason).await;
        }
        let hours = hours.unwrap_or(policy.emergency_hours);
        if hours == 0 || hours > policy.emergency_hours {
            return refused(ConsentError::Invalid(format!(
                "hours = {hours}: emergency access lasts 1 to {} hours in this region",
                policy.emergency_hours
            )))
            .await;
        }
        let now = Utc::now();
        let row = EmergencyAccessRow {
            id: uuid::Uuid::new_v4().to_string(),
            patient_id: patient.clone(),
            facility_oid: facility.clone(),
            reason: reason.clone(),
            opened_at: now.naive_utc(),
            expires_at: (now + Duration::hours(i64::from(hours))).naive_utc(),
            opened_by,
        };
        let stored = row.clone();
        let source = self.audit_source().clone();
        let event = AuditEvent::new(Transaction::EmergencyAccessOpen, who.clone())
            .with_patient(Some(patient.clone()))
            .with_access_basis(Some(format!("emergency:{}", row.id)))
            .with_target_detail(
                TargetKind::EmergencyAccess,
                row.id.clone(),
                format!("facility {facility}, {hours} h, reason: {reason}"),
            );
        let result = self
            .store()
            .write(move |conn| {
                check_patient(conn, &stored.patient_id)?;
                store::insert_emergency_access(conn, &stored)?;
                audit::append(conn, &source, &event)?;
                Ok::<_, ConsentError>(())
            })
            .await;
        if let Err(e) = result {
            return refused(e).await;
        }
        let a = emergency_of(&row);
        Ok(EmergencyView {
            active: a.is_active(now),
            id: row.id,
            facility: row.facility_oid,
            reason: row.reason,
            opened_at: a.opened_at,
            expires_at: a.expires_at,
            opened_by: row.opened_by,
            uses: Vec::new(),
        })
    }

    /// Capability and reason of an emergency access asked for in a request,
    /// checked first so the answer never depends on whether the patient or
    /// a document exists.
    /// A refusal is audited as a failed emergency-access-open.
    pub async fn check_emergency_request(
        &self,
        reader: &Reader,
        reason: &str,
        patient: Option<&str>,
    ) -> Result<(), ConsentError> {
        let facility = &reader.submitter.facility_oid;
        let refusal = if !self.consent_policy().has_emergency_capability(facility) {
            ConsentError::NoEmergencyCapability(facility.clone())
        } else if reason.trim().is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            ConsentError::MissingReason
        } else {
            return Ok(());
        };
        let event = AuditEvent::new(
            Transaction::EmergencyAccessOpen,
            Requestor::facility(facility.clone()),
        )
        .with_patient(patient.map(str::to_string))
        .failed(audit::Outcome::SeriousFailure, refusal.to_string());
        if let Err(err) = audit::record(self.store(), self.audit_source(), vec![event]).await {
            tracing::error!(error = %err, "could not audit a refused emergency access");
        }
        Err(refusal)
    }

    /// The `renkei:EmergencyAccess` SOAP header: opens emergency access to
    /// the patient the query (or retrieval) names, unless one is already open.
    pub async fn emergency_from_header(
        &self,
        patient: Option<&str>,
        reader: &Reader,
        reason: &str,
    ) -> Result<(), ConsentError> {
        self.check_emergency_request(reader, reason, patient)
            .await?;
        let Some(patient) = patient else {
            return Err(ConsentError::Invalid(
                "the EmergencyAccess header applies to queries that name a patient (FindDocuments, GetAll, ...); open access with POST /emergency-access first for other queries".into(),
            ));
        };
        let facility = reader.submitter.facility_oid.clone();
        let now = Utc::now();
        let (p, f) = (patient.to_string(), facility.clone());
        let open = self
            .store()
            .read(move |conn| {
                Ok::<_, StoreError>(
                    store::emergency_accesses_of(conn, std::slice::from_ref(&p), Some(&f))?
                        .iter()
                        .any(|e| emergency_of(e).is_active(now)),
                )
            })
            .await?;
        if open {
            return Ok(());
        }
        self.open_emergency_access(
            patient.to_string(),
            facility.clone(),
            reason.to_string(),
            None,
            facility.clone(),
            Requestor::facility(facility),
        )
        .await
        .map(|_| ())
    }
}

/// The audit record of a recorded consent.
pub fn grant_event(row: &ConsentGrantRow, who: Requestor) -> AuditEvent {
    let expiry = row
        .expires_at
        .map(|e| format!(", until {}", e.format("%Y-%m-%dT%H:%M:%SZ")))
        .unwrap_or_default();
    let mut event = AuditEvent::new(Transaction::ConsentGrant, who)
        .with_patient(Some(row.patient_id.clone()))
        .with_target_detail(
            TargetKind::Consent,
            row.id.clone(),
            format!(
                "facility {}, scope {}, source {}{expiry}",
                row.facility_oid, row.scope, row.source
            ),
        );
    if let Some(uid) = &row.document_unique_id {
        event = event.with_documents(vec![audit::DocumentRef::new(uid.clone())]);
    }
    event
}

/// The audit record of a withdrawn consent.
pub fn withdraw_event(row: &ConsentGrantRow, who: Requestor) -> AuditEvent {
    AuditEvent::new(Transaction::ConsentWithdraw, who)
        .with_patient(Some(row.patient_id.clone()))
        .with_target_detail(
            TargetKind::Consent,
            row.id.clone(),
            format!("facility {}, scope {}", row.facility_oid, row.scope),
        )
}
