//! What a caller tells the audit trail about one event. The XML
//! ([`crate::xml`]) and the stored row ([`crate::record`]) are derived from it.

use crate::catalogue::{Outcome, Side, Transaction};
use chrono::{DateTime, Utc};

/// Who asked: the facility named by the client certificate (never a value
/// from the message), or the operator at the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requestor {
    /// Facility OID from the certificate.
    pub facility_oid: Option<String>,
    /// A person or system name (certificate CN, operator login).
    pub user: Option<String>,
    /// The peer's IP address or host name.
    pub address: Option<String>,
}

impl Requestor {
    pub fn facility(oid: impl Into<String>) -> Self {
        Self {
            facility_oid: Some(oid.into()),
            ..Self::default()
        }
    }

    /// The operator acting through the `renkei` command line.
    pub fn operator_cli() -> Self {
        Self {
            user: Some("renkei-cli".to_string()),
            ..Self::default()
        }
    }

    pub fn at(mut self, address: Option<String>) -> Self {
        self.address = address;
        self
    }
}

/// A document the event concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRef {
    pub unique_id: String,
    pub repository_unique_id: Option<String>,
    pub home_community_id: Option<String>,
}

impl DocumentRef {
    pub fn new(unique_id: impl Into<String>) -> Self {
        Self {
            unique_id: unique_id.into(),
            repository_unique_id: None,
            home_community_id: None,
        }
    }
}

/// The query of an ITI-18 / ITI-9 / ITI-45 event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryRef {
    /// Stored query id (ITI-18) or message control id.
    pub query_id: String,
    /// The request as received (e.g. the AdhocQueryRequest XML), carried
    /// base64-encoded in ParticipantObjectQuery.
    pub request: Vec<u8>,
    pub home_community_id: Option<String>,
}

/// What kind of non-patient object an admin or security event concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Facility,
    Certificate,
    Consent,
    EmergencyAccess,
}

/// An object of an admin or security event (a facility, a certificate...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: TargetKind,
    pub id: String,
    /// Free text worth keeping (a revocation reason, a facility name).
    pub detail: Option<String>,
}

/// One event to record. Build it with [`AuditEvent::new`] and the `with_*`
/// methods; [`crate::append`] stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub transaction: Transaction,
    pub side: Side,
    pub time: DateTime<Utc>,
    pub outcome: Outcome,
    /// Why it failed, in words (EventOutcomeDescription).
    pub outcome_description: Option<String>,
    pub requestor: Requestor,
    /// Patient id (CX) the event concerns.
    pub patient: Option<String>,
    /// SubmissionSet uniqueId (ITI-41/42).
    pub submission_set: Option<String>,
    pub documents: Vec<DocumentRef>,
    pub query: Option<QueryRef>,
    /// The consent or emergency access the access relied on.
    pub access_basis: Option<String>,
    pub targets: Vec<Target>,
    /// The HL7 message id of a patient feed (ITI-8 MSH-10, ITI-44 message
    /// id), carried as a detail of the patient object.
    pub message_id: Option<String>,
}

/// Longest text kept from a request in an audit record; longer values
/// (only possible from malformed requests) are cut.
const MAX_FIELD_CHARS: usize = 1024;

impl AuditEvent {
    /// An event at the hub as responder, now, successful.
    pub fn new(transaction: Transaction, requestor: Requestor) -> Self {
        Self {
            transaction,
            side: Side::Responder,
            time: Utc::now(),
            outcome: Outcome::Success,
            outcome_description: None,
            requestor,
            patient: None,
            submission_set: None,
            documents: Vec::new(),
            query: None,
            access_basis: None,
            targets: Vec::new(),
            message_id: None,
        }
    }

    pub fn failed(mut self, outcome: Outcome, description: impl Into<String>) -> Self {
        self.outcome = outcome;
        self.outcome_description = Some(clip(description.into()));
        self
    }

    pub fn with_patient(mut self, patient: Option<String>) -> Self {
        self.patient = patient.map(clip);
        self
    }

    pub fn with_submission_set(mut self, unique_id: Option<String>) -> Self {
        self.submission_set = unique_id.map(clip);
        self
    }

    pub fn with_documents(mut self, documents: Vec<DocumentRef>) -> Self {
        self.documents = documents
            .into_iter()
            .map(|mut d| {
                d.unique_id = clip(d.unique_id);
                d
            })
            .collect();
        self
    }

    pub fn with_message_id(mut self, message_id: Option<String>) -> Self {
        self.message_id = message_id.filter(|m| !m.is_empty()).map(clip);
        self
    }

    pub fn with_query(mut self, query: QueryRef) -> Self {
        self.query = Some(query);
        self
    }

    pub fn with_access_basis(mut self, basis: Option<String>) -> Self {
        self.access_basis = basis.map(clip);
        self
    }

    pub fn with_target(mut self, kind: TargetKind, id: impl Into<String>) -> Self {
        self.targets.push(Target {
            kind,
            id: clip(id.into()),
            detail: None,
        });
        self
    }

    pub fn with_target_detail(
        mut self,
        kind: TargetKind,
        id: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        self.targets.push(Target {
            kind,
            id: clip(id.into()),
            detail: Some(clip(detail.into())),
        });
        self
    }

    pub fn on_side(mut self, side: Side) -> Self {
        self.side = side;
        self
    }

    pub fn at_time(mut self, time: DateTime<Utc>) -> Self {
        self.time = time;
        self
    }
}

fn clip(mut s: String) -> String {
    if let Some((i, _)) = s.char_indices().nth(MAX_FIELD_CHARS) {
        s.truncate(i);
    }
    s
}

/// How the hub names itself in audit messages (AuditSourceIdentification and
/// the hub's ActiveParticipant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSource {
    /// AuditSourceID: this hub (its home community id or host name).
    pub source_id: String,
    /// AuditEnterpriseSiteID: the affinity domain OID.
    pub enterprise_site_id: String,
    /// The hub's host name or IP address (NetworkAccessPointID).
    pub node: String,
    /// Base URL of the hub's HTTPS listener, e.g. `https://hub.example:8443`.
    pub base_url: String,
    /// This hub's repositoryUniqueId (document object detail).
    pub repository_unique_id: String,
    /// This hub's home community id.
    pub home_community_id: String,
}

impl AuditSource {
    /// A source for tools and tests that have no configuration.
    pub fn unconfigured() -> Self {
        Self {
            source_id: "renkei".to_string(),
            enterprise_site_id: String::new(),
            node: "localhost".to_string(),
            base_url: "https://localhost".to_string(),
            repository_unique_id: String::new(),
            home_community_id: String::new(),
        }
    }
}
