//! The PIX Manager actor: patient identity feed (ITI-8 / ITI-44), explicit
//! cross-referencing by the operator, PIX queries (ITI-9 / ITI-45) and the
//! update-notification outbox (ITI-10 / ITI-46), over the `store` crate.
//!
//! Linking rules (no demographic matching: a false link is worse than a
//! missing one): ids that arrive together in one feed are linked; a person
//! always has exactly one active id in the affinity domain (the regional id,
//! created by the hub when a person arrives without one), and that id is also
//! a registry patient; merges of two persons merge their regional ids at the
//! registry (`patients.merged_into`). Every change runs in one database
//! transaction together with its audit record.

mod feed;
mod ids;
mod notify;
mod query;
mod xref;

pub use feed::{Feed, FeedError, FeedKind, FeedOutcome, Merge};
pub use ids::{BadPatientId, Demographics, PatientIdentifier, is_oid};
pub use notify::{Notification, PendingNotification};
pub use query::{PixQueryResult, QueryError};
pub use xref::{DuplicateGroup, IdentifierView, OperatorError, PersonView};

use std::sync::Arc;
use store::Store;

/// Settings of the PIX Manager.
#[derive(Debug, Clone)]
pub struct PixConfig {
    /// OID of the regional (XDS affinity domain) assigning authority.
    pub affinity_domain: String,
    /// Consumers that get ITI-10 / ITI-46 notifications.
    pub subscribers: Vec<Subscriber>,
}

/// A PIX consumer subscribed to update notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// Names the subscriber's outbox (its facility OID).
    pub name: String,
    /// Assigning authorities it wants ids of (empty = all).
    pub domains: Vec<String>,
}

/// Which transaction family a request came through (for the audit trail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// HL7 v2 over MLLP: ITI-8 / ITI-9.
    Hl7v2,
    /// HL7 v3 over SOAP: ITI-44 / ITI-45.
    Hl7v3,
}

/// The facility sending a feed or query, from its client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub facility_oid: String,
    /// OID roots it may also feed (policy `allow_on_behalf_of`; `"*"` = any).
    pub acts_for: Vec<String>,
    /// The peer's address, for the audit trail.
    pub address: Option<String>,
    pub via: Via,
}

impl Caller {
    /// Whether this facility may feed ids of `authority_oid`: its own OID or
    /// one under a root it is allowed to act for.
    pub fn may_feed(&self, authority_oid: &str) -> bool {
        authority_oid == self.facility_oid
            || self.acts_for.iter().any(|root| {
                root == "*"
                    || authority_oid == root
                    || authority_oid
                        .strip_prefix(root.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
    }

    fn requestor(&self) -> audit::Requestor {
        audit::Requestor::facility(self.facility_oid.clone()).at(self.address.clone())
    }
}

/// The PIX Manager. Cheap to clone.
#[derive(Clone)]
pub struct Pix {
    store: Store,
    config: Arc<PixConfig>,
    audit: Arc<audit::AuditSource>,
}

impl Pix {
    pub fn new(store: Store, config: PixConfig, audit: audit::AuditSource) -> Self {
        Self {
            store,
            config: Arc::new(config),
            audit: Arc::new(audit),
        }
    }

    pub fn config(&self) -> &PixConfig {
        &self.config
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn audit_source(&self) -> &audit::AuditSource {
        &self.audit
    }

    pub fn affinity_domain(&self) -> &str {
        &self.config.affinity_domain
    }

    /// Records failure events in a transaction of their own; the audit
    /// trail's own failure is logged (the caller's answer stands).
    async fn record_failure(&self, events: Vec<audit::AuditEvent>) {
        if let Err(e) = audit::record(&self.store, &self.audit, events).await {
            tracing::error!(error = %e, "could not record a PIX failure in the audit trail");
        }
    }
}
