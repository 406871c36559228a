//! The Document Registry actor: ITI-42 Register Document Set-b and ITI-18
//! Registry Stored Query over the `store` crate. No HTTP here: the hub hands
//! in parsed requests and the facility from the client certificate, and gets
//! back what goes into the RegistryResponse / AdhocQueryResponse.

pub mod auditing;
pub mod bppc;
pub mod consents;
mod filters;
pub mod identity;
mod merges;
mod output;
pub mod query;
pub mod register;
pub mod visibility;

use ebrim::{RegistryError, ResponseStatus};
use store::Store;

pub use register::{RegisterFailure, register_in};

/// Registry settings from `renkei.toml`.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// More matches than this give XDSTooManyResults.
    pub max_query_results: usize,
    /// `urn:oid:` value put in the `home` attribute of returned objects.
    pub home_community_id: String,
}

/// Who sent the transaction: the facility named by the client certificate,
/// never a value taken from the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitter {
    pub facility_oid: String,
    /// OID roots the operator allows this facility to name as sourceId or
    /// authorInstitution besides its own (policy `allow_on_behalf_of`;
    /// [`identity::ANY_ORGANIZATION`] = any). Empty for most facilities.
    pub acts_for: Vec<String>,
}

impl Submitter {
    /// A facility that speaks only for itself.
    pub fn new(facility_oid: impl Into<String>) -> Self {
        Self {
            facility_oid: facility_oid.into(),
            acts_for: Vec::new(),
        }
    }
}

/// Who reads (ITI-18, ITI-43): the facility from the client certificate, its
/// kind (for the consent policy's class limits) and the reason of an
/// emergency access the request asks to open (SOAP header), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    pub submitter: Submitter,
    pub kind: Option<String>,
    pub emergency_reason: Option<String>,
}

impl Reader {
    pub fn new(submitter: Submitter, kind: Option<String>) -> Self {
        Self {
            submitter,
            kind,
            emergency_reason: None,
        }
    }
    /// The consent decision's view of the requester.
    pub fn requester(&self) -> consent::Requester {
        consent::Requester {
            facility_oid: self.submitter.facility_oid.clone(),
            kind: self.kind.clone(),
        }
    }
}

/// Status and errors/warnings for a RegistryResponse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: ResponseStatus,
    pub errors: Vec<RegistryError>,
}

impl Outcome {
    pub fn success(warnings: Vec<RegistryError>) -> Self {
        Self {
            status: ResponseStatus::Success,
            errors: warnings,
        }
    }
    pub fn failure(errors: Vec<RegistryError>) -> Self {
        Self {
            status: ResponseStatus::Failure,
            errors,
        }
    }
}

#[derive(Clone)]
pub struct Registry {
    store: Store,
    config: RegistryConfig,
    audit: std::sync::Arc<audit::AuditSource>,
    consent: std::sync::Arc<consent::ConsentPolicy>,
}

impl Registry {
    pub fn new(store: Store, config: RegistryConfig) -> Self {
        Self {
            store,
            config,
            audit: std::sync::Arc::new(audit::AuditSource::unconfigured()),
            consent: std::sync::Arc::new(consent::ConsentPolicy::default()),
        }
    }
    /// The region's consent policy (`[consent]` in renkei.toml).
    pub fn with_consent_policy(mut self, policy: consent::ConsentPolicy) -> Self {
        self.consent = std::sync::Arc::new(policy);
        self
    }
    pub fn consent_policy(&self) -> &consent::ConsentPolicy {
        &self.consent
    }
    /// How audit records name this hub (the repository shares it).
    pub fn with_audit_source(mut self, source: audit::AuditSource) -> Self {
        self.audit = std::sync::Arc::new(source);
        self
    }
    pub fn audit_source(&self) -> &audit::AuditSource {
        &self.audit
    }
    pub fn store(&self) -> &Store {
        &self.store
    }
    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }
}

/// Current time as an XDS DTM (UTC, second precision).
pub fn now_dtm() -> String {
    chrono::Utc::now().format("%Y%m%d%H%M%S").to_string()
}
