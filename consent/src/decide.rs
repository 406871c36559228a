//! The permit/deny decision for one document and one requesting facility.

use crate::policy::{ALL_FACILITIES, ConsentPolicy, Model, Scope};
use chrono::{DateTime, Utc};

/// One consent a patient gave (or that a BPPC document recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub id: String,
    /// Facility OID, or [`ALL_FACILITIES`].
    pub facility: String,
    pub scope: Scope,
    pub given_at: DateTime<Utc>,
    /// Time-limited consent ends here (exclusive).
    pub expires_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

impl Grant {
    /// In force at `now`: given, not expired, not withdrawn.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.given_at <= now
            && self.expires_at.is_none_or(|e| now < e)
            && self.withdrawn_at.is_none_or(|w| now < w)
    }
}

/// A break-the-glass access a facility opened for one patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyAccess {
    pub id: String,
    pub facility: String,
    pub opened_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl EmergencyAccess {
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.opened_at <= now && now < self.expires_at
    }
}

/// Everything recorded about one patient's consent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentState {
    pub grants: Vec<Grant>,
    pub emergencies: Vec<EmergencyAccess>,
}

/// The facility asking, from its client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    pub facility_oid: String,
    /// Facility kind (`hospital`, `pharmacy`, ...); `None` if unknown.
    pub kind: Option<String>,
}

/// The facts of a document (or SubmissionSet / Folder) the decision needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentFacts<'a> {
    /// The facility that registered it (`registry_objects.submitter`).
    pub author_facility: &'a str,
    /// confidentialityCode values, `code^^scheme`.
    pub confidentiality: &'a [String],
    /// classCode `code^^scheme`; `None` for SubmissionSets and Folders.
    pub class_code: Option<&'a str>,
}

/// Why a read is allowed (recorded as the audit's access basis).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum AccessBasis {
    Author,
    Consent { grant_id: String },
    Emergency { access_id: String },
}

impl AccessBasis {
    pub fn describe(&self) -> String {
        match self {
            AccessBasis::Author => "author".to_string(),
            AccessBasis::Consent { grant_id } => format!("consent:{grant_id}"),
            AccessBasis::Emergency { access_id } => format!("emergency:{access_id}"),
        }
    }
}

/// Why a read is refused (audit only; never told to the requester).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DenyReason {
    NoConsent,
    ConsentExpired,
    ConsentWithdrawn,
    /// Consent covers normal documents, the document is restricted.
    Restricted,
    /// Secret documents are for their author only.
    Secret,
    /// The requester's facility kind may not see this document class.
    ClassNotAllowed,
}

impl DenyReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DenyReason::NoConsent => "no-consent",
            DenyReason::ConsentExpired => "consent-expired",
            DenyReason::ConsentWithdrawn => "consent-withdrawn",
            DenyReason::Restricted => "restricted",
            DenyReason::Secret => "secret",
            DenyReason::ClassNotAllowed => "class-not-allowed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentDecision {
    Permit(AccessBasis),
    Deny(DenyReason),
}

impl ConsentDecision {
    pub fn is_permit(&self) -> bool {
        matches!(self, ConsentDecision::Permit(_))
    }
}

/// Whether `requester` may see `document` of a patient whose consent is
/// `state`, at `now`. Rules in order: the author always; secret documents
/// nobody else; the kind's class limit; an active grant for the requester
/// (or for all, in the all-participants model) with a scope covering the
/// document; else an open emergency access (never for secret documents).
pub fn decide(
    policy: &ConsentPolicy,
    state: &ConsentState,
    requester: &Requester,
    document: &DocumentFacts<'_>,
    now: DateTime<Utc>,
) -> ConsentDecision {
    if document.author_facility == requester.facility_oid {
        return ConsentDecision::Permit(AccessBasis::Author);
    }
    let has = |codes: &std::collections::BTreeSet<String>| {
        document.confidentiality.iter().any(|c| codes.contains(c))
    };
    if has(&policy.secret_codes) {
        return ConsentDecision::Deny(DenyReason::Secret);
    }
    if let (Some(kind), Some(class)) = (&requester.kind, document.class_code)
        && let Some(allowed) = policy.kind_classes.get(kind)
        && !allowed.contains(class)
    {
        return ConsentDecision::Deny(DenyReason::ClassNotAllowed);
    }
    let needed = if has(&policy.restricted_codes) {
        Scope::Restricted
    } else {
        Scope::Normal
    };
    let applies = |g: &&Grant| {
        g.facility == requester.facility_oid
            || (g.facility == ALL_FACILITIES && policy.model == Model::AllParticipants)
    };
    let mut reason = DenyReason::NoConsent;
    for g in state.grants.iter().filter(applies) {
        if g.is_active(now) {
            if g.scope >= needed {
                return ConsentDecision::Permit(AccessBasis::Consent {
                    grant_id: g.id.clone(),
                });
            }
            reason = reason.max(DenyReason::Restricted);
        } else if g.withdrawn_at.is_some_and(|w| w <= now) {
            reason = reason.max(DenyReason::ConsentWithdrawn);
        } else if g.expires_at.is_some_and(|e| e <= now) {
            reason = reason.max(DenyReason::ConsentExpired);
        }
    }
    if let Some(e) = state
        .emergencies
        .iter()
        .find(|e| e.facility == requester.facility_oid && e.is_active(now))
    {
        return ConsentDecision::Permit(AccessBasis::Emergency {
            access_id: e.id.clone(),
        });
    }
    ConsentDecision::Deny(reason)
}
