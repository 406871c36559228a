//! Appending to and verifying the audit table.

use crate::chain::{self, ChainBreak, ChainVerifier};
use crate::event::{AuditEvent, AuditSource};
use crate::{audit_time, xml};
use store::{AnyConnection, AuditRow, Store, StoreError};

/// Rows loaded per page while walking the chain.
const PAGE: i64 = 1000;

/// Most inbox rows linked in one transaction.
const INBOX_BATCH: i64 = 1000;

/// Appends the record of `event` inside the caller's transaction: it
/// commits with the action or not at all. Call it last in the transaction.
///
/// On SQLite the record is linked into the chain here: writes have one
/// writer, and concurrent registrations already share its transaction. On
/// PostgreSQL, linking here would hold the chain head's row lock from this
/// INSERT to COMMIT, so concurrent actions would commit one at a time; the
/// record goes to the inbox instead (no lock) and is linked after commit
/// ([`link_inbox`]), before anything reads the chain.
pub fn append(
    conn: &mut AnyConnection,
    source: &AuditSource,
    event: &AuditEvent,
) -> Result<(), StoreError> {
    if cfg!(feature = "bench-no-audit") {
        return Ok(());
    }
    let row = prepare(source, event)?;
    match conn {
        AnyConnection::Postgresql(_) => store::queue_audit_row(conn, row),
        AnyConnection::Sqlite(_) => chain_rows(conn, vec![row]).map(drop),
    }
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
/// head, after the inbox's waiting rows (they committed first); returns how
/// many rows it linked, those of the inbox included.
pub(crate) fn chain_rows(
    conn: &mut AnyConnection,
    rows: Vec<AuditRow>,
) -> Result<usize, StoreError> {
    let head = store::lock_audit_head(conn)?;
    let (inbox_ids, mut all) = match conn {
        AnyConnection::Postgresql(_) => store::audit_inbox(conn, INBOX_BATCH)?.into_iter().unzip(),
        AnyConnection::Sqlite(_) => (Vec::new(), Vec::new()),
    };
    all.extend(rows);
    let (mut seq, mut prev_hash) = (head.last_seq, head.last_hash);
    for row in &mut all {
        seq += 1;
        row.seq = seq;
        row.prev_hash = std::mem::take(&mut prev_hash);
        row.hash = chain::row_hash(&row.prev_hash, row);
        prev_hash.clone_from(&row.hash);
    }
    store::append_audit_rows(conn, &all)?;
    store::remove_from_audit_inbox(conn, &inbox_ids)?;
    Ok(all.len())
}

/// Links the records waiting in the inbox (PostgreSQL; see [`append`]) into
/// the chain; returns how many. Whoever reads the chain calls it first, so
/// a record is found as soon as its action has committed; the hub also runs
/// it in the background ([`run_inbox_linker`]). On SQLite the inbox stays
/// empty and nothing is done.
pub async fn link_inbox(store: &Store) -> Result<usize, StoreError> {
    if store.backend() != store::Backend::Postgres || cfg!(feature = "bench-no-audit") {
        return Ok(0);
    }
    let mut linked = 0;
    loop {
        let n = store
            .write(|conn| {
                // Most calls find it empty: no lock for them.
                if !store::audit_inbox_waiting(conn)? {
                    return Ok::<usize, StoreError>(0);
                }
                chain_rows(conn, Vec::new())
            })
            .await?;
        linked += n;
        if n < INBOX_BATCH as usize {
            return Ok(linked);
        }
    }
}

/// How often [`run_inbox_linker`] looks at the inbox.
const LINK_INTERVAL: std::time::Duration = std::time::Duration::from_millis(200);

/// Links the inbox every [`LINK_INTERVAL`] for as long as the task runs, so
/// records reach the chain (and the syslog forwarders) when nothing reads
/// it. A failure is logged once until linking works again.
pub async fn run_inbox_linker(store: Store) {
    if store.backend() != store::Backend::Postgres {
        return;
    }
    let mut failing = false;
    let mut tick = tokio::time::interval(LINK_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match link_inbox(&store).await {
            Ok(_) if failing => {
                tracing::info!("audit inbox linking works again");
                failing = false;
            }
            Ok(_) => {}
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "linking the audit inbox failed; retrying every {LINK_INTERVAL:?}");
                }
                failing = true;
            }
        }
    }
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
    link_inbox(store).await?;
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
