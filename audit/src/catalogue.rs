//! Which DICOM / IHE codes each audited event carries (IHE ITI TF-2 per
//! transaction "Security Considerations"; IHE-REFERENCE.md §9.2; DICOM PS3.16
//! CID 400-403). Events that have no IHE transaction (consent, certificates,
//! facilities) use the nearest DICOM event plus a renkei event type code, so a
//! collector can tell them apart.

/// A coded value as DICOM audit messages carry it: `csd-code`,
/// `codeSystemName`, `originalText`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub code: &'static str,
    pub system: &'static str,
    pub display: &'static str,
}

const fn dcm(code: &'static str, display: &'static str) -> Code {
    Code {
        code,
        system: "DCM",
        display,
    }
}

const fn ihe(code: &'static str, display: &'static str) -> Code {
    Code {
        code,
        system: "IHE Transactions",
        display,
    }
}

const fn own(code: &'static str, display: &'static str) -> Code {
    Code {
        code,
        system: RENKEI_CODE_SYSTEM,
        display,
    }
}

/// Code system of renkei's own event type codes (events IHE does not name).
pub const RENKEI_CODE_SYSTEM: &str = "renkei";

// DICOM EventIDs (CID 400).
pub const APPLICATION_ACTIVITY: Code = dcm("110100", "Application Activity");
pub const EXPORT: Code = dcm("110106", "Export");
pub const IMPORT: Code = dcm("110107", "Import");
pub const PATIENT_RECORD: Code = dcm("110110", "Patient Record");
pub const QUERY: Code = dcm("110112", "Query");
pub const SECURITY_ALERT: Code = dcm("110113", "Security Alert");

// DICOM EventTypeCodes (CID 401, 403).
pub const APPLICATION_START: Code = dcm("110120", "Application Start");
pub const APPLICATION_STOP: Code = dcm("110121", "Application Stop");
/// DICOM PS3.16 CID 403: 110126 is Node Authentication (110127 is Emergency
/// Override Started; IHE-REFERENCE.md's table swaps them).
pub const NODE_AUTHENTICATION: Code = dcm("110126", "Node Authentication");
pub const EMERGENCY_OVERRIDE_STARTED: Code = dcm("110127", "Emergency Override Started");
pub const SECURITY_CONFIGURATION: Code = dcm("110129", "Security Configuration");
pub const USE_OF_RESTRICTED_FUNCTION: Code = dcm("110132", "Use of Restricted Function");
pub const USER_SECURITY_ATTRIBUTES_CHANGED: Code =
    dcm("110137", "User Security Attributes Changed");

// ActiveParticipant roles (CID 402).
pub const ROLE_SOURCE: Code = dcm("110153", "Source Role ID");
pub const ROLE_DESTINATION: Code = dcm("110152", "Destination Role ID");

/// EventActionCode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
    Execute,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "C",
            Action::Read => "R",
            Action::Update => "U",
            Action::Delete => "D",
            Action::Execute => "E",
        }
    }
}

/// EventOutcomeIndicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Success,
    /// The request was refused or partly failed (e.g. ITI-43 PartialSuccess,
    /// a denied read, a submission rejected by an XDS rule).
    MinorFailure,
    /// The action failed (e.g. storage failure).
    SeriousFailure,
    /// The hub is no longer available.
    MajorFailure,
}

impl Outcome {
    pub fn code(self) -> i32 {
        match self {
            Outcome::Success => 0,
            Outcome::MinorFailure => 4,
            Outcome::SeriousFailure => 8,
            Outcome::MajorFailure => 12,
        }
    }
}

/// The hub's part in a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The hub answered the request (Registry, Repository, PIX Manager,
    /// admin API): the usual case.
    Responder,
    /// The hub sent the request (a repository registering into a remote
    /// registry, a consumer-side gateway).
    Initiator,
}

/// Every event renkei audits. Transactions that do not exist yet (PIX, ITI-57,
/// ITI-62, consent, emergency access) are here so their code paths only have
/// to fill an [`crate::AuditEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transaction {
    /// Patient Identity Feed: Create (A01/A04/A05), Update (A08), Delete for
    /// the subsumed id of a merge (A40).
    Iti8(Action),
    Iti9,
    /// PIX Update Notification the hub sends to a subscribed consumer.
    Iti10,
    Iti18,
    Iti41,
    Iti42,
    Iti43,
    /// Patient Identity Feed HL7 v3 (same actions as ITI-8).
    Iti44(Action),
    Iti45,
    /// PIXV3 Update Notification the hub sends to a subscribed consumer.
    Iti46,
    Iti57,
    Iti62,
    ConsentGrant,
    ConsentWithdraw,
    EmergencyAccessOpen,
    EmergencyAccessUse,
    /// A read refused by policy (no consent, suspended facility...).
    AccessDenied,
    CertIssue,
    CertRevoke,
    FacilityAdd,
    FacilitySuspend,
    FacilityReinstate,
    /// A patient id registered by the operator (CLI or admin API).
    PatientAdd,
    /// The operator linked two patient ids (one person) or unlinked one.
    PatientLink,
    PatientUnlink,
    /// ITI-19: a peer failed node authentication (no, unknown, revoked or
    /// suspended certificate).
    NodeAuthFailure,
    ApplicationStart,
    ApplicationStop,
}

/// The codes one event carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSpec {
    pub event_id: Code,
    pub action: Action,
    pub type_codes: Vec<Code>,
}

impl Transaction {
    /// The name searches and reports use (`ITI-43`, `cert-revoke`, ...).
    pub fn label(self) -> &'static str {
        use Transaction::*;
        match self {
            Iti8(_) => "ITI-8",
            Iti9 => "ITI-9",
            Iti10 => "ITI-10",
            Iti18 => "ITI-18",
            Iti41 => "ITI-41",
            Iti42 => "ITI-42",
            Iti43 => "ITI-43",
            Iti44(_) => "ITI-44",
            Iti45 => "ITI-45",
            Iti46 => "ITI-46",
            Iti57 => "ITI-57",
            Iti62 => "ITI-62",
            ConsentGrant => "consent-grant",
            ConsentWithdraw => "consent-withdraw",
            EmergencyAccessOpen => "emergency-access-open",
            EmergencyAccessUse => "emergency-access-use",
            AccessDenied => "access-denied",
            CertIssue => "cert-issue",
            CertRevoke => "cert-revoke",
            FacilityAdd => "facility-add",
            FacilitySuspend => "facility-suspend",
            FacilityReinstate => "facility-reinstate",
            PatientAdd => "patient-add",
            PatientLink => "patient-link",
            PatientUnlink => "patient-unlink",
            NodeAuthFailure => "node-auth-failure",
            ApplicationStart => "application-start",
            ApplicationStop => "application-stop",
        }
    }

    /// The IHE transaction code (`ITI-43`) and name, for IHE transactions.
    pub fn ihe_type_code(self) -> Option<Code> {
        use Transaction::*;
        Some(match self {
            Iti8(_) => ihe("ITI-8", "Patient Identity Feed"),
            Iti9 => ihe("ITI-9", "PIX Query"),
            Iti10 => ihe("ITI-10", "PIX Update Notification"),
            Iti18 => ihe("ITI-18", "Registry Stored Query"),
            Iti41 => ihe("ITI-41", "Provide and Register Document Set-b"),
            Iti42 => ihe("ITI-42", "Register Document Set-b"),
            Iti43 => ihe("ITI-43", "Retrieve Document Set"),
            Iti44(_) => ihe("ITI-44", "Patient Identity Feed HL7 V3"),
            Iti45 => ihe("ITI-45", "PIXV3 Query"),
            Iti46 => ihe("ITI-46", "PIXV3 Update Notification"),
            Iti57 => ihe("ITI-57", "Update Document Set"),
            Iti62 => ihe("ITI-62", "Delete Document Set"),
            _ => return None,
        })
    }

    /// EventID, EventActionCode and EventTypeCodes with the hub on `side`.
    pub fn spec(self, side: Side) -> EventSpec {
        use Transaction::*;
        let (event_id, action) = match self {
            // The receiver of a document imports it; the sender exports.
            Iti41 | Iti42 | Iti57 => match side {
                Side::Responder => (IMPORT, Action::Create),
                Side::Initiator => (EXPORT, Action::Read),
            },
            // The repository answering ITI-43 exports; the consumer imports.
            Iti43 => match side {
                Side::Responder => (EXPORT, Action::Read),
                Side::Initiator => (IMPORT, Action::Create),
            },
            Iti18 | Iti9 | Iti45 => (QUERY, Action::Execute),
            Iti8(a) | Iti44(a) => (PATIENT_RECORD, a),
            Iti62 => (PATIENT_RECORD, Action::Delete),
            Iti10 | Iti46 => (PATIENT_RECORD, Action::Update),
            ConsentGrant => (PATIENT_RECORD, Action::Create),
            ConsentWithdraw => (PATIENT_RECORD, Action::Update),
            PatientAdd => (PATIENT_RECORD, Action::Create),
            PatientLink | PatientUnlink => (PATIENT_RECORD, Action::Update),
            EmergencyAccessOpen | EmergencyAccessUse | AccessDenied | CertIssue | CertRevoke
            | FacilityAdd | FacilitySuspend | FacilityReinstate | NodeAuthFailure => {
                (SECURITY_ALERT, Action::Execute)
            }
            ApplicationStart | ApplicationStop => (APPLICATION_ACTIVITY, Action::Execute),
        };
        let mut type_codes = Vec::with_capacity(2);
        if let Some(code) = self.ihe_type_code() {
            type_codes.push(code);
        }
        let dicom_type = match self {
            NodeAuthFailure => Some(NODE_AUTHENTICATION),
            EmergencyAccessOpen => Some(EMERGENCY_OVERRIDE_STARTED),
            EmergencyAccessUse | AccessDenied => Some(USE_OF_RESTRICTED_FUNCTION),
            CertIssue | CertRevoke => Some(SECURITY_CONFIGURATION),
            FacilityAdd | FacilitySuspend | FacilityReinstate => {
                Some(USER_SECURITY_ATTRIBUTES_CHANGED)
            }
            ApplicationStart => Some(APPLICATION_START),
            ApplicationStop => Some(APPLICATION_STOP),
            _ => None,
        };
        type_codes.extend(dicom_type);
        if let Some(code) = self.own_type_code() {
            type_codes.push(code);
        }
        EventSpec {
            event_id,
            action,
            type_codes,
        }
    }

    /// renkei's own event type code, for events without an IHE transaction.
    fn own_type_code(self) -> Option<Code> {
        use Transaction::*;
        Some(match self {
            ConsentGrant => own("consent-grant", "Consent recorded"),
            ConsentWithdraw => own("consent-withdraw", "Consent withdrawn"),
            EmergencyAccessOpen => own("emergency-access-open", "Emergency access opened"),
            EmergencyAccessUse => own("emergency-access-use", "Emergency access used"),
            AccessDenied => own("access-denied", "Access denied"),
            CertIssue => own("cert-issue", "Certificate issued"),
            CertRevoke => own("cert-revoke", "Certificate revoked"),
            FacilityAdd => own("facility-add", "Facility admitted"),
            FacilitySuspend => own("facility-suspend", "Facility suspended"),
            FacilityReinstate => own("facility-reinstate", "Facility reinstated"),
            PatientAdd => own("patient-add", "Patient id registered"),
            PatientLink => own("patient-link", "Patient ids linked"),
            PatientUnlink => own("patient-unlink", "Patient id unlinked"),
            _ => return None,
        })
    }

    /// Whether data moves between two nodes (Source and Destination roles
    /// apply), as opposed to an event at the hub itself.
    pub fn is_transfer(self) -> bool {
        use Transaction::*;
        matches!(
            self,
            Iti8(_)
                | Iti9
                | Iti10
                | Iti18
                | Iti41
                | Iti42
                | Iti43
                | Iti44(_)
                | Iti45
                | Iti46
                | Iti57
                | Iti62
        )
    }

    /// The hub endpoint the event concerns (the hub participant's UserID path).
    pub fn endpoint_path(self) -> &'static str {
        use Transaction::*;
        match self {
            Iti18 | Iti42 | Iti57 | Iti62 => "/xds/registry",
            Iti41 | Iti43 => "/xds/repository",
            Iti44(_) | Iti45 => "/pix",
            Iti8(_) | Iti9 | Iti10 => "mllp",
            Iti46 => "/pix",
            ConsentGrant | ConsentWithdraw => "/consents",
            EmergencyAccessOpen | EmergencyAccessUse => "/emergency-access",
            // The hub as a whole (its listeners), not one endpoint.
            NodeAuthFailure | ApplicationStart | ApplicationStop => "",
            _ => "/admin",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transactions_carry_the_ihe_codes() {
        let s = Transaction::Iti41.spec(Side::Responder);
        assert_eq!((s.event_id, s.action), (IMPORT, Action::Create));
        assert_eq!(s.type_codes[0].code, "ITI-41");
        let s = Transaction::Iti43.spec(Side::Responder);
        assert_eq!((s.event_id, s.action), (EXPORT, Action::Read));
        let s = Transaction::Iti43.spec(Side::Initiator);
        assert_eq!((s.event_id, s.action), (IMPORT, Action::Create));
        let s = Transaction::Iti18.spec(Side::Responder);
        assert_eq!((s.event_id.code, s.action), ("110112", Action::Execute));
        let s = Transaction::Iti8(Action::Update).spec(Side::Responder);
        assert_eq!((s.event_id.code, s.action), ("110110", Action::Update));
        let s = Transaction::Iti62.spec(Side::Responder);
        assert_eq!((s.event_id.code, s.action), ("110110", Action::Delete));
        let s = Transaction::NodeAuthFailure.spec(Side::Responder);
        assert_eq!(s.event_id.code, "110113");
        assert_eq!(s.type_codes, vec![NODE_AUTHENTICATION]);
        let s = Transaction::CertRevoke.spec(Side::Responder);
        assert_eq!(
            s.type_codes.iter().map(|c| c.code).collect::<Vec<_>>(),
            vec!["110129", "cert-revoke"]
        );
    }

    #[test]
    fn outcome_codes_are_the_dicom_ones() {
        let codes: Vec<i32> = [
            Outcome::Success,
            Outcome::MinorFailure,
            Outcome::SeriousFailure,
            Outcome::MajorFailure,
        ]
        .iter()
        .map(|o| o.code())
        .collect();
        assert_eq!(codes, vec![0, 4, 8, 12]);
    }
}
