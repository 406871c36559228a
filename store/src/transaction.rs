//! Transactions for [`crate::Store::read`] and [`crate::Store::write`]:
//! diesel's `TransactionManager::transaction`, but with our own BEGIN per
//! backend while still handing the caller the [`AnyConnection`].

use crate::AnyConnection;
use crate::error::{self, StoreError};
use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use std::time::Duration;

/// Attempts to start a transaction while the database is busy.
const BEGIN_ATTEMPTS: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// One snapshot, no writes.
    Read,
    /// SQLite: the write lock from the start, so writers queue instead of
    /// deadlocking when upgrading read locks.
    Write,
}

/// Runs `f` in a transaction: commit on `Ok`, rollback on `Err`. A panic
/// poisons the pooled connection, which is then discarded (the server rolls
/// back). SQLite reads run on connections that refuse writes (the read pool).
pub(crate) fn in_transaction<T, E, F>(conn: &mut AnyConnection, mode: Mode, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<StoreError>,
{
    begin(conn, mode).map_err(StoreError::from)?;
    commit_or_roll_back(conn, f)
}

/// Runs `f` in the transaction (or savepoint) just begun on `conn`: commit
/// (release) on `Ok`, roll back on `Err`.
pub(crate) fn commit_or_roll_back<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<StoreError>,
{
    match f(conn) {
        Ok(value) => <AnyConnection as Connection>::TransactionManager::commit_transaction(conn)
            .map(|()| value)
            .map_err(|e| StoreError::from(e).into()),
        Err(e) => {
            if let Err(rollback) =
                <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn)
            {
                // The pool discards the connection (broken transaction manager).
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}

pub(crate) fn begin(conn: &mut AnyConnection, mode: Mode) -> diesel::QueryResult<()> {
    // We are on a blocking-pool thread: sleeping between attempts is fine.
    error::retry_transient(
        BEGIN_ATTEMPTS,
        Duration::from_millis(50),
        "BEGIN",
        || match (&mut *conn, mode) {
            (AnyConnection::Sqlite(c), Mode::Write) => {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
            }
            (AnyConnection::Sqlite(c), Mode::Read) => {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN")
            }
            (AnyConnection::Postgresql(c), Mode::Write) => {
                AnsiTransactionManager::begin_transaction(c)
            }
            (AnyConnection::Postgresql(c), Mode::Read) => {
                AnsiTransactionManager::begin_transaction_sql(
                    c,
                    "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                )
            }
        },
    )
}
