//! All database knowledge of the renkei hub: schema, embedded per-backend
//! migrations, the connection pool, query functions and the document blob store.
//!
//! One diesel code base serves SQLite (embedded default) and PostgreSQL
//! (production) through [`AnyConnection`]. Callers run their work as a closure
//! on the blocking pool with [`Store::read`] or, inside one transaction,
//! [`Store::write`] (or [`Store::write_grouped`], which on SQLite lets
//! concurrent writes share one transaction, each under a savepoint); the closures call the query functions of this crate
//! (`objects_by_ids`, `find_documents`, ...), which all take `&mut AnyConnection`.
//!
//! Design rules: application-generated text ids, no triggers or stored
//! functions, `patient_id` on every registry table (future distribution key),
//! an index behind every query filter, UTC `Timestamp`s, XDS DTM values as
//! 14-digit text ([`dtm_key`]).

mod blob;
mod checkpoint;
mod connection;
mod error;
mod group;
mod models;
mod models_consent;
mod queries;
mod schema;
#[cfg(feature = "testing")]
pub mod testing;
mod transaction;

pub use blob::{BlobStore, BlobWriter};
pub use connection::{AnyConnection, Backend, Db};
pub use error::StoreError;
pub use group::GroupQueue;
pub use models::*;
pub use models_consent::*;
pub use queries::associations::*;
pub use queries::audit::*;
pub use queries::consent::*;
pub use queries::documents::*;
pub use queries::dtm_key;
pub use queries::facilities::*;
pub use queries::filters::*;
pub use queries::objects::*;
pub use queries::patients::*;
pub use queries::pix::*;
pub use queries::submission::*;

use connection::{ConnectionManager, Pool, Target};
use deadpool::managed::PoolError;
use deadpool_diesel::{InteractError, Runtime};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use transaction::{Mode, in_transaction};

/// How long a caller waits for a free pooled connection before failing.
const POOL_WAIT: Duration = Duration::from_secs(30);
/// Most closures in one transaction of [`Store::write_grouped`].
const MAX_GROUPED_WRITES: usize = 64;
/// How long opening one new connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// The hub's database: pools of connections of one backend.
///
/// Cheap to clone (the pools are shared).
#[derive(Clone)]
pub struct Store {
    /// Write transactions ([`Store::write`]); on PostgreSQL reads too.
    pool: Pool,
    /// Read transactions ([`Store::read`]). SQLite: connections that refuse
    /// writes, so a read transaction cannot write without toggling a pragma
    /// per transaction. PostgreSQL: the same pool as `pool` (READ ONLY is
    /// part of BEGIN there).
    reads: Pool,
    backend: Backend,
    /// Held by every clone; the SQLite checkpointer stops once all are gone.
    _alive: Arc<()>,
    /// Per-database state of the crates above ([`Store::extension`]).
    extensions: Arc<Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (writes, reads) = (self.pool.status(), self.reads.status());
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("pool_size", &writes.size)
            .field("pool_max_size", &writes.max_size)
            .field("read_pool_size", &reads.size)
            .finish()
    }
}

impl Store {
    /// Opens the database and applies pending migrations.
    ///
    /// `postgres://` / `postgresql://` URLs select PostgreSQL; `sqlite://PATH`
    /// or a plain path selects SQLite (the file and its directory are created).
    /// `pool_size` is the most connections kept open (at least 1); SQLite
    /// keeps up to that many for reads and one writer (SQLite has one
    /// writer at a time: waiting writers queue here, in order, instead of
    /// polling the file lock in SQLite's busy handler).
    pub async fn open(database_url: &str, pool_size: usize) -> Result<Store, StoreError> {
        let target = Target::parse(database_url)?;
        if let Target::Sqlite(path) = &target
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            tokio::fs::create_dir_all(dir).await?;
        }
        let migrating = target.clone();
        tokio::task::spawn_blocking(move || migrating.migrate())
            .await
            .map_err(|e| StoreError::Task(e.to_string()))??;
        let backend = target.backend();
        let pool_size = pool_size.max(1);
        let (pool, reads) = match backend {
            Backend::Postgres => {
                let pool = build_pool(target.clone(), false, pool_size)?;
                (pool.clone(), pool)
            }
            Backend::Sqlite => (
                build_pool(target.clone(), false, 1)?,
                build_pool(target.clone(), true, pool_size)?,
            ),
        };
        let alive = Arc::new(());
        if backend == Backend::Sqlite {
            checkpoint::spawn(target, Arc::downgrade(&alive));
        }
        Ok(Store {
            pool,
            reads,
            _alive: alive,
            backend,
            extensions: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// State a crate above keeps once per database (e.g. the audit trail's
    /// group commit): one `T` per store and its clones, made on first use.
    pub fn extension<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let mut map = self
            .extensions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let slot = map
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()));
        Arc::clone(slot)
            .downcast::<T>()
            .unwrap_or_else(|_| Arc::new(T::default()))
    }

    /// Runs `f` on a pooled connection in the blocking pool, inside a
    /// read-only transaction: all its statements see one consistent snapshot
    /// (PostgreSQL REPEATABLE READ; SQLite's deferred transaction), and a
    /// write fails on both backends.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.interact(&self.reads, move |conn| in_transaction(conn, Mode::Read, f))
            .await
    }

    /// Runs `f` inside one transaction: committed when `f` returns `Ok`,
    /// rolled back when it returns `Err` (or panics).
    ///
    /// SQLite transactions start with `BEGIN IMMEDIATE`, taking the write lock
    /// up front so two writers never deadlock upgrading read locks. A busy
    /// database at BEGIN is retried a few times (after SQLite's own 5 s
    /// `busy_timeout`); `f` itself runs at most once. PostgreSQL uses its
    /// default READ COMMITTED; serialize conflicting writers explicitly
    /// (e.g. [`lock_patient`]).
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.interact(&self.pool, move |conn| in_transaction(conn, Mode::Write, f))
            .await
    }

    /// [`Store::write`] for the writes of requests that arrive together (a
    /// registration): on SQLite, concurrent callers' closures run in one
    /// transaction, each under its own savepoint, so an error rolls back the
    /// caller's own changes only, and each caller is answered once that
    /// transaction has committed (or with the failure if it did not). Their
    /// single writer then commits once per batch instead of once per
    /// request. A caller that stops waiting before its closure ran is
    /// skipped: nothing of it is written.
    ///
    /// PostgreSQL runs each closure in a transaction of its own, as
    /// [`Store::write`] does: its writers run side by side, and one shared
    /// transaction would hold every row lock its closures take (the audit
    /// chain head first of all) until the last of them is done.
    pub async fn write_grouped<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        if self.backend == Backend::Postgres {
            return self.write(f).await;
        }
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Box<dyn group::GroupedWrite> = Box::new(group::Job::new(f, answer));
        let store = self.clone();
        self.extension::<GroupQueue<Box<dyn group::GroupedWrite>>>()
            .submit(
                job,
                |_| 1,
                MAX_GROUPED_WRITES,
                move |batch| {
                    let store = store.clone();
                    async move {
                        let ran = store
                            .interact(&store.pool, move |conn| {
                                group::run_batch(conn, batch);
                                Ok::<(), StoreError>(())
                            })
                            .await;
                        if let Err(e) = ran {
                            // The batch's callers see their channels closed.
                            tracing::error!(error = %e, "group transaction task failed");
                        }
                    }
                },
            );
        answered.await.unwrap_or_else(|_| {
            Err(
                StoreError::Task("the group transaction holding this write was abandoned".into())
                    .into(),
            )
        })
    }

    /// Checks that a connection can be had and the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn interact<T, E, F>(&self, pool: &Pool, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let conn = connection(pool).await?;
        match conn.interact(f).await {
            Ok(result) => result,
            Err(InteractError::Panic(_)) => {
                Err(StoreError::Task("a database task panicked".into()).into())
            }
            Err(InteractError::Cancelled) => {
                Err(StoreError::Task("a database task was cancelled".into()).into())
            }
        }
    }
}

fn build_pool(target: Target, read_only: bool, size: usize) -> Result<Pool, StoreError> {
    Pool::builder(ConnectionManager { target, read_only })
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(POOL_WAIT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .recycle_timeout(Some(CONNECT_TIMEOUT))
        .build()
        .map_err(|e| StoreError::Config(e.to_string()))
}

async fn connection(
    pool: &Pool,
) -> Result<deadpool::managed::Object<ConnectionManager>, StoreError> {
    pool.get().await.map_err(|e| match e {
        PoolError::Backend(e) => e,
        PoolError::Timeout(_) => {
            StoreError::Pool("timed out waiting for a database connection".into())
        }
        other => StoreError::Pool(other.to_string()),
    })
}
