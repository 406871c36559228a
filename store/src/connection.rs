//! Choosing the backend from the database URL, per-connection setup, the
//! embedded migrations and the connection pool.

use crate::error::StoreError;
use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use deadpool_diesel::Runtime;
use diesel::connection::{SimpleConnection, TransactionManager};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One connection type for both backends; query code is written once against it.
///
/// Only SQL both backends understand compiles against this type. For a
/// backend-specific statement match on the variants.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    // Keep SQLite last (diesel's advice: its `establish` accepts any string).
    Sqlite(SqliteConnection),
}

/// The diesel backend type of [`AnyConnection`], for boxed queries.
pub type Db = <AnyConnection as Connection>::Backend;

/// Which database server a [`crate::Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// Tries at applying migrations (see [`Target::migrate`]).
const MIGRATION_ATTEMPTS: u32 = 3;
/// Attempts at a new SQLite connection's setup (journal mode) while
/// another connection holds the file's lock.
const SETUP_ATTEMPTS: u32 = 10;

/// Run on every new SQLite connection. `busy_timeout` comes first so the
/// journal-mode switch waits for other connections; `synchronous = FULL`
/// syncs the WAL at every commit, so a registration the hub acknowledged
/// survives a power loss or OS crash (NORMAL syncs only at checkpoints and
/// may lose the last commits; FULL cost 0-9 % of ITI-42 throughput,
/// BENCHMARKS.md "Fifth pass"); `case_sensitive_like`
/// makes LIKE behave as on PostgreSQL; checkpoints are the background
/// task's job ([`crate::checkpoint`]), commits only checkpoint past its
/// backstop ([`crate::checkpoint::BACKSTOP_PAGES`]).
const SQLITE_SETUP: &str = "PRAGMA busy_timeout = 5000;\
    PRAGMA foreign_keys = ON;\
    PRAGMA journal_mode = WAL;\
    PRAGMA synchronous = FULL;\
    PRAGMA case_sensitive_like = ON;";

/// Run once more on the connections of the SQLite read pool: writes fail, as
/// in PostgreSQL's READ ONLY transactions. Set once per connection and never
/// toggled, because changing a flag pragma expires every prepared statement
/// of the connection (SQLite's OP_Expire): toggling it around each read
/// transaction made SQLite re-parse every statement, a fifth of the hub's
/// CPU in the ITI-18 profile (BENCHMARKS.md "Profiles").
const SQLITE_READ_ONLY: &str = "PRAGMA query_only = ON;";

/// A parsed database URL.
#[derive(Clone)]
pub(crate) enum Target {
    Postgres(String),
    Sqlite(PathBuf),
}

impl std::fmt::Debug for Target {
    // The PostgreSQL URL may hold a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Postgres(_) => f.write_str("Postgres(..)"),
            Target::Sqlite(p) => f.debug_tuple("Sqlite").field(p).finish(),
        }
    }
}

impl Target {
    /// `postgres://` or `postgresql://` URLs select PostgreSQL; `sqlite://PATH`
    /// or a plain path selects SQLite.
    pub(crate) fn parse(url: &str) -> Result<Target, StoreError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_string()));
        }
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        if path.is_empty() {
            return Err(StoreError::Config("empty SQLite database path".into()));
        }
        if path.contains("://") {
            return Err(StoreError::Config(
                "unsupported database URL scheme; use postgres://, postgresql://, sqlite:// or a file path"
                    .into(),
            ));
        }
        if path == ":memory:" || path.starts_with("file:") {
            // Each pooled connection would get its own in-memory database.
            return Err(StoreError::Config(
                "SQLite needs a database file path (in-memory and URI forms are not supported)"
                    .into(),
            ));
        }
        Ok(Target::Sqlite(PathBuf::from(path)))
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Target::Postgres(_) => Backend::Postgres,
            Target::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Opens one connection of the chosen backend and prepares it; a
    /// `read_only` SQLite connection refuses writes.
    pub(crate) fn establish(&self, read_only: bool) -> Result<AnyConnection, StoreError> {
        match self {
            Target::Postgres(url) => Ok(AnyConnection::Postgresql(PgConnection::establish(url)?)),
            Target::Sqlite(_) => {
                let mut conn = self.establish_sqlite()?;
                if read_only {
                    conn.batch_execute(SQLITE_READ_ONLY)?;
                }
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    /// A SQLite connection with [`SQLITE_SETUP`] applied.
    pub(crate) fn establish_sqlite(&self) -> Result<SqliteConnection, StoreError> {
        let Target::Sqlite(path) = self else {
            return Err(StoreError::Config("not a SQLite database".into()));
        };
        let mut conn = SqliteConnection::establish(&path_str(path)?)?;
        // Turning a new file to WAL needs its exclusive lock. Hub nodes
        // opening one new database together can each hold a lock the others
        // wait for, and SQLite then answers "database is locked" at once
        // instead of calling the busy handler: try again shortly.
        crate::error::retry_transient(
            SETUP_ATTEMPTS,
            Duration::from_millis(20),
            "connection setup",
            || conn.batch_execute(SQLITE_SETUP),
        )?;
        conn.batch_execute(&format!(
            "PRAGMA wal_autocheckpoint = {};",
            crate::checkpoint::BACKSTOP_PAGES
        ))?;
        Ok(conn)
    }

    /// Applies pending migrations of the matching set. Blocking.
    ///
    /// Several processes opening one database together race; the loser fails
    /// inside a migration transaction and, on retry, finds the work done.
    pub(crate) fn migrate(&self) -> Result<(), StoreError> {
        let mut attempt = 1;
        loop {
            match self.migrate_once() {
                Err(StoreError::Migration(e)) if attempt < MIGRATION_ATTEMPTS => {
                    tracing::warn!(attempt, error = %e, "migration failed; retrying");
                    std::thread::sleep(std::time::Duration::from_millis(500));
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Applies migrations one by one up to and including `version` (its
    /// folder name's date part, e.g. `2026-12-02-000000`), and returns the
    /// connection: tests seed a database as an older release left it, then
    /// let [`crate::Store::open`] upgrade it. Fails if `version` is not pending.
    #[cfg(feature = "testing")]
    pub(crate) fn migrate_through(&self, version: &str) -> Result<AnyConnection, StoreError> {
        let wanted = version.replace('-', "");
        let mut conn = self.establish(false)?;
        loop {
            let applied = match &mut conn {
                AnyConnection::Postgresql(c) => c.run_next_migration(POSTGRES_MIGRATIONS),
                AnyConnection::Sqlite(c) => c.run_next_migration(SQLITE_MIGRATIONS),
            }
            .map_err(|e| StoreError::Migration(e.to_string()))?;
            if applied.to_string().replace('-', "") == wanted {
                return Ok(conn);
            }
        }
    }

    fn migrate_once(&self) -> Result<(), StoreError> {
        let mut conn = self.establish(false)?;
        let applied = match &mut conn {
            AnyConnection::Postgresql(c) => c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len()),
            AnyConnection::Sqlite(c) => {
                c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len())
            }
        }
        .map_err(|e| StoreError::Migration(e.to_string()))?;
        if applied > 0 {
            tracing::info!(applied, backend = ?self.backend(), "database migrations applied");
        }
        Ok(())
    }
}

fn path_str(path: &Path) -> Result<String, StoreError> {
    path.to_str()
        .map(str::to_string)
        .ok_or_else(|| StoreError::Config(format!("database path {} is not UTF-8", path.display())))
}

/// A pooled connection: deadpool-diesel's blocking wrapper (`interact`).
pub(crate) type PooledConnection = deadpool_diesel::Connection<AnyConnection>;

/// A pooled connection used within this long needs no ping before reuse: a
/// busy pool pays no extra round trip per checkout, while one idle longer
/// (e.g. across a PostgreSQL restart) is checked and replaced if dead.
const TRUSTED_IDLE: Duration = Duration::from_secs(2);

/// Creates connections of the backend the URL named. Unlike the derive's
/// `establish`, a PostgreSQL outage reports PostgreSQL's own error.
#[derive(Debug)]
pub(crate) struct ConnectionManager {
    pub(crate) target: Target,
    /// SQLite: the connections refuse writes (the read pool).
    pub(crate) read_only: bool,
}

impl managed::Manager for ConnectionManager {
    type Type = PooledConnection;
    type Error = StoreError;

    async fn create(&self) -> Result<PooledConnection, StoreError> {
        let target = self.target.clone();
        let read_only = self.read_only;
        PooledConnection::new(Runtime::Tokio1, move || target.establish(read_only)).await
    }

    async fn recycle(&self, obj: &mut PooledConnection, m: &Metrics) -> RecycleResult<StoreError> {
        if obj.is_mutex_poisoned() {
            return Err(RecycleError::message("connection mutex poisoned"));
        }
        if m.last_used() < TRUSTED_IDLE {
            // Hot path: no blocking-pool hop. The connection is idle, so
            // the lock is free; only the transaction state is checked.
            let mut guard = obj
                .try_lock()
                .map_err(|_| RecycleError::message("connection busy or poisoned"))?;
            return not_in_transaction(&mut guard);
        }
        obj.interact(|conn| {
            not_in_transaction(conn)?;
            diesel::sql_query("SELECT 1")
                .execute(conn)
                .map(|_| ())
                .map_err(|e| RecycleError::Backend(StoreError::Database(e)))
        })
        .await
        .map_err(|e| RecycleError::message(format!("recycle check failed: {e}")))?
    }
}

/// A connection left inside a transaction must never be reused.
fn not_in_transaction(conn: &mut AnyConnection) -> RecycleResult<StoreError> {
    if <AnyConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn) {
        return Err(RecycleError::message("connection left in a transaction"));
    }
    Ok(())
}

pub(crate) type Pool = managed::Pool<ConnectionManager>;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn urls_select_the_backend() {
        assert_eq!(
            Target::parse("postgres://u@h/db").unwrap().backend(),
            Backend::Postgres
        );
        assert_eq!(
            Target::parse("postgresql://h/db").unwrap().backend(),
            Backend::Postgres
        );
        assert!(
            matches!(Target::parse("sqlite:///tmp/a.db").unwrap(), Target::Sqlite(p) if p == Path::new("/tmp/a.db"))
        );
        assert!(
            matches!(Target::parse("data/renkei.db").unwrap(), Target::Sqlite(p) if p == Path::new("data/renkei.db"))
        );
        assert!(Target::parse("mysql://h/db").is_err());
        assert!(Target::parse("sqlite://").is_err());
        assert!(Target::parse(":memory:").is_err());
    }

    /// SQLite 3.51.1 could deadlock when two connections to one WAL file
    /// closed at once: `unixClose` takes the unix VFS mutex and then the
    /// file's lock mutex, while the last connection's WAL close took them
    /// the other way round (`unixLock` → `unixIsSharingShmNode`). The hub hit
    /// it at shutdown, when the checkpoint task's connection and the pool's
    /// were dropped on two runtime threads. A watchdog turns a hang into a
    /// failure.
    #[test]
    fn connections_to_one_file_close_together_without_deadlock() {
        // With 3.51.1 this hung within 500 rounds on every try.
        const ROUNDS: usize = 2_000;
        const CONNECTIONS: usize = 2;
        let dir = tempfile::tempdir().unwrap();
        let target = Target::Sqlite(dir.path().join("close.db"));
        target
            .establish_sqlite()
            .unwrap()
            .batch_execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .unwrap();
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for _ in 0..ROUNDS {
                let conns: Vec<SqliteConnection> = (0..CONNECTIONS)
                    .map(|_| {
                        let mut c = target.establish_sqlite().unwrap();
                        c.batch_execute("SELECT x FROM t;").unwrap();
                        c
                    })
                    .collect();
                let start = std::sync::Arc::new(std::sync::Barrier::new(CONNECTIONS));
                let closers: Vec<_> = conns
                    .into_iter()
                    .map(|c| {
                        let start = start.clone();
                        std::thread::spawn(move || {
                            start.wait();
                            drop(c);
                        })
                    })
                    .collect();
                for closer in closers {
                    closer.join().unwrap();
                }
            }
            done.send(()).unwrap();
        });
        finished
            .recv_timeout(Duration::from_secs(120))
            .expect("closing SQLite connections deadlocked");
    }

    #[test]
    fn debug_hides_postgres_credentials() {
        let t = Target::parse("postgres://u:secret@h/db").unwrap();
        assert!(!format!("{t:?}").contains("secret"));
    }
}
