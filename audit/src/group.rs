//! Group commit for [`crate::record`]: the records of concurrent requests
//! (every ITI-18 and ITI-43 writes one before its answer leaves the hub)
//! share one database transaction, instead of queueing one by one on the
//! chain head and each waiting for its own commit. A caller is answered only
//! once the transaction holding its records has committed.
//!
//! Each caller renders its own rows (the XML message) before queueing, so
//! only the chaining and the insert run one batch at a time.
//!
//! The queue and its drainer are the store's [`GroupQueue`]; a batch here is
//! one chaining of all its rows under a single lock of the chain head. A
//! failed batch is retried caller by caller, so each gets the error of its
//! own records.

use crate::event::{AuditEvent, AuditSource};
use store::{AuditRow, GroupQueue, Store, StoreError};
use tokio::sync::oneshot;

/// Most records written in one transaction.
const MAX_BATCH: usize = 256;

pub(crate) struct Pending {
    rows: Vec<AuditRow>,
    done: oneshot::Sender<Result<(), StoreError>>,
}

pub(crate) async fn record(
    store: &Store,
    source: &AuditSource,
    events: Vec<AuditEvent>,
) -> Result<(), StoreError> {
    let rows = events
        .iter()
        .map(|event| crate::record::prepare(source, event))
        .collect::<Result<Vec<_>, _>>()?;
    let (done, answer) = oneshot::channel();
    let writer = store.clone();
    store.extension::<GroupQueue<Pending>>().submit(
        Pending { rows, done },
        |p| p.rows.len(),
        MAX_BATCH,
        move |batch| flush(writer.clone(), batch),
    );
    answer.await.unwrap_or_else(|_| Err(abandoned()))
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
