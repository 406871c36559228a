//! Fresh, isolated databases for tests of every crate (feature `testing`).
//!
//! Without `RENKEI_TEST_DATABASE_URL` each [`TestDatabase`] is a SQLite file
//! in a temporary directory. With it set to a PostgreSQL server URL (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`) each one is a new database
//! `renkei_test_<random>` on that server, dropped again with the guard. So the
//! whole test suite runs on PostgreSQL just by setting the variable.

use crate::error::StoreError;
use crate::{Backend, Store};
use diesel::{Connection, PgConnection, RunQueryDsl};

/// Environment variable naming a PostgreSQL server for tests.
pub const TEST_DATABASE_URL_ENV: &str = "RENKEI_TEST_DATABASE_URL";

/// A database that exists as long as this guard does.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        /// The server URL we connected to for CREATE DATABASE.
        admin_url: String,
        name: String,
    },
}

impl TestDatabase {
    /// Creates the database (not yet migrated: [`Store::open`] does that).
    pub async fn new() -> Result<TestDatabase, StoreError> {
        tokio::task::spawn_blocking(Self::new_blocking)
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// [`TestDatabase::new`] for synchronous tests.
    pub fn new_blocking() -> Result<TestDatabase, StoreError> {
        match std::env::var(TEST_DATABASE_URL_ENV) {
            Ok(server) if !server.trim().is_empty() => Self::postgres(server.trim()),
            _ => Self::sqlite(),
        }
    }

    /// The URL to hand to [`Store::open`] or a hub configuration.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        match self.kind {
            Kind::Sqlite { .. } => Backend::Sqlite,
            Kind::Postgres { .. } => Backend::Postgres,
        }
    }

    /// Opens (and migrates) a [`Store`] on this database.
    pub async fn open_store(&self) -> Result<Store, StoreError> {
        Store::open(&self.url, 4).await
    }

    /// Migrates this database only up to and including `version` (a
    /// migration folder's date, e.g. `2026-12-02-000000`) and returns a
    /// connection to it, to seed rows as that schema held them before
    /// [`TestDatabase::open_store`] applies the rest.
    pub fn migrate_through(&self, version: &str) -> Result<crate::AnyConnection, StoreError> {
        crate::connection::Target::parse(&self.url)?.migrate_through(version)
    }

    fn sqlite() -> Result<TestDatabase, StoreError> {
        let dir = tempfile::Builder::new().prefix("renkei-test-").tempdir()?;
        let path = dir.path().join("renkei.db");
        let url = format!("sqlite://{}", path.display());
        Ok(TestDatabase {
            url,
            kind: Kind::Sqlite { _dir: dir },
        })
    }

    fn postgres(server: &str) -> Result<TestDatabase, StoreError> {
        let name = format!("renkei_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(server)?;
        // `name` is ours (hex digits), so splicing it into DDL is safe.
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin)?;
        Ok(TestDatabase {
            url: with_database(server, &name)?,
            kind: Kind::Postgres {
                admin_url: server.to_string(),
                name,
            },
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Kind::Postgres { admin_url, name } = &self.kind {
            // Best effort; FORCE ends connections a pool may still hold.
            let dropped = PgConnection::establish(admin_url)
                .map_err(StoreError::from)
                .and_then(|mut c| {
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut c)
                        .map_err(StoreError::from)
                });
            if let Err(e) = dropped {
                tracing::warn!(database = %name, error = %e, "could not drop test database");
            }
        }
    }
}

/// Runs one raw SQL statement: tests that tamper with rows on purpose (e.g.
/// editing an audit record behind the application's back).
pub fn execute_sql(conn: &mut crate::AnyConnection, sql: &str) -> Result<usize, StoreError> {
    Ok(diesel::sql_query(sql).execute(conn)?)
}

/// `server` with its database path replaced by `name`, query kept.
fn with_database(server: &str, name: &str) -> Result<String, StoreError> {
    let scheme_end = server.find("://").map(|i| i + 3).ok_or_else(|| {
        StoreError::Config(format!("{TEST_DATABASE_URL_ENV} must be a postgres:// URL"))
    })?;
    let (head, rest) = server.split_at(scheme_end);
    let (rest, query) = match rest.find('?') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    Ok(format!("{head}{authority}/{name}{query}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::with_database;

    #[test]
    fn database_name_replaces_the_path() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1").unwrap(),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgresql://h", "t1").unwrap(),
            "postgresql://h/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t1").unwrap(),
            "postgres://u:p@h/t1?sslmode=disable"
        );
    }
}
