//! Appending to and verifying the audit table.

use crate::chain::{self, ChainBreak, ChainVerifier};
use crate::event::{AuditEvent, AuditSource};
use crate::{audit_time, xml};
use store::{AnyConnection, AuditRow, Store, StoreError};

/// Rows loaded per page while walking the chain.
const PAGE: i64 = 1000;

/// Appends the record of `event` to the chain inside the caller's
/// transaction and returns its seq. Call it last in the transaction: on
/// PostgreSQL it holds the chain head's row lock until commit.
pub fn append(
    conn: &mut AnyConnection,
    source: &AuditSource,
    event: &AuditEvent,
) -> Result<i64, StoreError> {
    if cfg!(feature = "bench-no-audit") {
        return Ok(0);
    }
    let row = prepare(source, event)?;
    chain_rows(conn, vec![row])
}

/// The row of `event` without its place in the chain (seq and hashes):
/// everything that needs no lock, done before taking it.
pub(crate) fn prepare(source: &AuditSource, event: &AuditEvent) -> Result<AuditRow, StoreError> {
    let time = audit_time(event.time);
    let event = AuditEvent {
        time,
        ..event.clone()
    };
    let message = xml::audit_message(source, &event);
    let spec = event.transaction.spec(event.side);
    let documents: Vec<&str> = event
        .documents
        .iter()
        .map(|d| d.unique_id.as_str())
        .collect();
    let documents =
        serde_json::to_string(&documents).map_err(|e| StoreError::Serialization(e.to_string()))?;
    Ok(AuditRow {
        seq: 0,
        recorded_at: time.naive_utc(),
        transaction_label: event.transaction.label().to_string(),
        event_id: spec.event_id.code.to_string(),
        action: spec.action.as_str().to_string(),
        outcome: event.outcome.code(),
        facility: event.requestor.facility_oid.clone(),
        patient: event.patient.clone(),
        documents,
        access_basis: event.access_basis.clone(),
        message,
        prev_hash: String::new(),
        hash: String::new(),
    })
}

/// Links prepared rows onto the chain head, in order, under one lock of the
/// head; returns the last seq.
pub(crate) fn chain_rows(
    conn: &mut AnyConnection,
    mut rows: Vec<AuditRow>,
) -> Result<i64, StoreError> {
    let head = store::lock_audit_head(conn)?;
    let (mut seq, mut prev_hash) = (head.last_seq, head.last_hash);
    for row in &mut rows {
        seq += 1;
        row.seq = seq;
        row.prev_hash = std::mem::take(&mut prev_hash);
        row.hash = chain::row_hash(&row.prev_hash, row);
        prev_hash.clone_from(&row.hash);
    }
    store::append_audit_rows(conn, &rows)?;
    Ok(seq)
}

/// Records events in a transaction of their own: reads (whose work ran in a
/// read-only transaction) and failures (whose transaction rolled back).
/// Returns once they are committed. Concurrent callers share one
/// transaction ([`crate::group`]), so auditing every read does not
/// serialize the reads on the chain head.
pub async fn record(
    store: &Store,
    source: &AuditSource,
    events: Vec<AuditEvent>,
) -> Result<(), StoreError> {
    if events.is_empty() || cfg!(feature = "bench-no-audit") {
        return Ok(());
    }
    crate::group::record(store, source, events).await
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Rows checked and found intact.
    pub checked: u64,
    /// The anchor: rows up to here were archived and pruned.
    pub pruned_seq: i64,
    pub head_seq: i64,
    /// The first break, if any.
    pub broken: Option<ChainBreak>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

impl std::fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.broken {
            None => write!(
                f,
                "audit chain intact: {} records checked (seq {} to {})",
                self.checked,
                self.pruned_seq + 1,
                self.head_seq
            ),
            Some(b) => write!(
                f,
                "audit chain BROKEN at seq {}: {b} ({} records before it are intact)",
                b.seq(),
                self.checked
            ),
        }
    }
}

/// Walks the whole chain, from the pruning anchor to the head, in one
/// consistent snapshot, and reports the first altered, removed or reordered row.
pub async fn verify(store: &Store) -> Result<VerifyReport, StoreError> {
    store
        .read(|conn| {
            let head = store::audit_head(conn)?;
            let mut verifier = ChainVerifier::new(head.pruned_seq, &head.pruned_hash);
            let mut after = head.pruned_seq;
            let mut checked = 0;
            loop {
                let rows = store::audit_rows_after(conn, after, PAGE)?;
                let Some(last) = rows.last() else { break };
                after = last.seq;
                for row in &rows {
                    if let Err(b) = verifier.check(row) {
                        return Ok(VerifyReport {
                            checked,
                            pruned_seq: head.pruned_seq,
                            head_seq: head.last_seq,
                            broken: Some(b),
                        });
                    }
                    checked += 1;
                }
            }
            let broken = verifier.finish(head.last_seq, &head.last_hash).err();
            Ok(VerifyReport {
                checked,
                pruned_seq: head.pruned_seq,
                head_seq: head.last_seq,
                broken,
            })
        })
        .await
}
