//! Errors of the audit trail's I/O.

/// What can go wrong verifying, reporting, forwarding or archiving.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("audit destination {0:?}: {1}")]
    Destination(String, String),
    #[error("sending audit records to {destination}: {reason}")]
    Send { destination: String, reason: String },
    #[error("audit archive: {0}")]
    Archive(#[from] std::io::Error),
    /// Retention refuses to archive rows whose chain is broken.
    #[error("audit chain broken, nothing archived: {0}")]
    Chain(#[from] crate::chain::ChainBreak),
}
