//! The one error type of the storage layer.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Everything that can go wrong in the database or the blob store.
///
/// Callers' own error types implement `From<StoreError>` so that
/// [`crate::Store::write`] closures can mix their failures with ours.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL or another setting cannot be used.
    #[error("invalid storage configuration: {0}")]
    Config(String),
    /// A new database connection could not be made.
    #[error("cannot connect to the database: {0}")]
    Connection(#[from] diesel::ConnectionError),
    /// A statement failed.
    #[error("database error: {0}")]
    Database(#[from] DieselError),
    /// Applying the embedded migrations failed.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// No pooled connection became available (pool exhausted or database down).
    #[error("database pool: {0}")]
    Pool(String),
    /// The blocking database task panicked or was cancelled.
    #[error("database task failed: {0}")]
    Task(String),
    /// A stored row could not be (de)serialized by the caller.
    #[error("stored data cannot be (de)serialized: {0}")]
    Serialization(String),
    /// The blob store failed.
    #[error("blob store: {0}")]
    Blob(#[from] object_store::Error),
    /// A blob key is not a valid object path.
    #[error("invalid blob key {key:?}: {reason}")]
    BlobKey { key: String, reason: String },
    /// Local file system access (creating directories) failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// True for a unique or primary-key violation (a concurrent insert of the same key).
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            StoreError::Database(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }

    /// True for a blob that does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, StoreError::Blob(object_store::Error::NotFound { .. }))
    }
}

/// Worth retrying the whole transaction: PostgreSQL serialization failure or
/// SQLite "database is locked" after `busy_timeout` ran out.
pub(crate) fn is_transient(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let m = info.message();
            m.contains("database is locked") || m.contains("database table is locked")
        }
        _ => false,
    }
}

/// Runs `f` until it succeeds, fails other than [`is_transient`]ly, or has
/// run `attempts` times, sleeping `step` × the attempt number in between;
/// `what` names the step in the warning. Blocking: call it where sleeping
/// is fine (a blocking-pool thread, start-up).
pub(crate) fn retry_transient<T>(
    attempts: u32,
    step: std::time::Duration,
    what: &str,
    mut f: impl FnMut() -> Result<T, DieselError>,
) -> Result<T, DieselError> {
    let mut attempt = 1;
    loop {
        match f() {
            Err(e) if attempt < attempts && is_transient(&e) => {
                tracing::warn!(attempt, error = %e, "database busy at {what}; retrying");
                std::thread::sleep(step * attempt);
                attempt += 1;
            }
            other => return other,
        }
    }
}
