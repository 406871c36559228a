//! Group commit for [`crate::record`]: the records of concurrent requests
//! (every ITI-18 and ITI-43 writes one before its answer leaves the hub)
//! share one database transaction, instead of queueing one by one on the
//! chain head and each waiting for its own commit. A caller is answered only
//! once the transaction holding its records has committed.
//!
//! Each caller renders its own rows (the XML message) before queueing, so
//! only the chaining and the insert run one batch at a time.
//!
//! No task of its own: a caller that finds no flush in progress becomes the
//! leader and writes everything queued so far (in a spawned task, so a
//! cancelled request cannot abandon the others); the rest wait for their
//! answer. A failed batch is retried caller by caller, so each gets the
//! error of its own records.

use crate::event::{AuditEvent, AuditSource};
use std::sync::{Mutex, MutexGuard, PoisonError};
use store::{AuditRow, Store, StoreError};
use tokio::sync::oneshot;

/// Most records written in one transaction.
const MAX_BATCH: usize = 256;

struct Pending {
    rows: Vec<AuditRow>,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The queue of one database ([`Store::extension`]).
#[derive(Default)]
pub(crate) struct GroupCommit {
    queue: Mutex<Vec<Pending>>,
    flushing: tokio::sync::Mutex<()>,
}

impl GroupCommit {
    pub(crate) async fn record(
        &self,
        store: &Store,
        source: &AuditSource,
        events: Vec<AuditEvent>,
    ) -> Result<(), StoreError> {
        let rows = events
            .iter()
            .map(|event| crate::record::prepare(source, event))
            .collect::<Result<Vec<_>, _>>()?;
        let (done, mut answer) = oneshot::channel();
        self.queue().push(Pending { rows, done });
        loop {
            let leader = tokio::select! {
                biased;
                result = &mut answer => return result.unwrap_or_else(|_| Err(abandoned())),
                guard = self.flushing.lock() => guard,
            };
            let batch = self.take_batch();
            if !batch.is_empty() {
                let flush = tokio::spawn(flush(store.clone(), batch));
                if let Err(e) = flush.await {
                    tracing::error!(error = %e, "audit group commit task failed");
                }
            }
            drop(leader);
        }
    }

    /// The oldest waiting callers, up to [`MAX_BATCH`] records.
    fn take_batch(&self) -> Vec<Pending> {
        let mut queue = self.queue();
        let mut records = 0;
        let mut callers = 0;
        for p in queue.iter() {
            if records >= MAX_BATCH {
                break;
            }
            records += p.rows.len();
            callers += 1;
        }
        queue.drain(..callers).collect()
    }

    fn queue(&self) -> MutexGuard<'_, Vec<Pending>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn abandoned() -> StoreError {
    StoreError::Task("the audit write was abandoned".into())
}

async fn flush(store: Store, batch: Vec<Pending>) {
    let all: Vec<AuditRow> = batch.iter().flat_map(|p| p.rows.iter().cloned()).collect();
    if write(&store, all).await.is_ok() {
        for p in batch {
            let _ = p.done.send(Ok(()));
        }
        return;
    }
    for p in batch {
        let result = write(&store, p.rows).await;
        let _ = p.done.send(result);
    }
}

async fn write(store: &Store, rows: Vec<AuditRow>) -> Result<(), StoreError> {
    store
        .write(move |conn| crate::record::chain_rows(conn, rows).map(drop))
        .await
}
