//! Retention: records older than the configured period, and already
//! acknowledged by every destination, are written to an archive file (JSON
//! lines, hashes included) and then removed. The last removed row becomes the
//! chain's anchor, so `verify` still checks everything that remains; the
//! archive files can be checked against the same chain.

use crate::chain::ChainVerifier;
use crate::error::AuditError;
use crate::report::AuditRecord;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use store::{AuditRow, Store, StoreError};

/// Most rows archived in one run (one file).
const MAX_ROWS_PER_RUN: i64 = 100_000;
const PAGE: i64 = 1000;

/// One archived row: the record plus the chain links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedRow {
    #[serde(flatten)]
    pub record: AuditRecord,
    pub prev_hash: String,
    pub hash: String,
}

/// What a retention run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pruned {
    pub rows: usize,
    pub archive: Option<PathBuf>,
}

/// Archives and removes rows recorded before `cutoff` that every destination
/// in `destinations` (cursor keys = their URLs) has acknowledged.
pub async fn archive_and_prune(
    store: &Store,
    cutoff: DateTime<Utc>,
    destinations: &[String],
    archive_dir: &Path,
) -> Result<Pruned, AuditError> {
    let destinations = destinations.to_vec();
    let (anchor_seq, anchor_hash, rows) = store
        .read(move |conn| {
            let head = store::audit_head(conn)?;
            let mut upto = store::last_audit_seq_before(conn, cutoff.naive_utc())?
                .unwrap_or(head.pruned_seq)
                .min(head.pruned_seq + MAX_ROWS_PER_RUN);
            for d in &destinations {
                upto = upto.min(store::audit_cursor(conn, d)?.unwrap_or(head.pruned_seq));
            }
            let mut rows: Vec<AuditRow> = Vec::new();
            let mut after = head.pruned_seq;
            while after < upto {
                let page = store::audit_rows_after(conn, after, PAGE.min(upto - after))?;
                let Some(last) = page.last() else { break };
                after = last.seq;
                rows.extend(page);
            }
            Ok::<_, StoreError>((head.pruned_seq, head.pruned_hash, rows))
        })
        .await?;
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok(Pruned {
            rows: 0,
            archive: None,
        });
    };
    // Only an intact stretch is archived: a broken chain stays as evidence.
    let mut verifier = ChainVerifier::new(anchor_seq, &anchor_hash);
    for row in &rows {
        verifier.check(row)?;
    }
    let path = archive_dir.join(format!("audit-{:012}-{:012}.jsonl", first.seq, last.seq));
    write_archive(&path, &rows)?;
    let (last_seq, last_hash) = (last.seq, last.hash.clone());
    let removed = store
        .write(move |conn| {
            // A concurrent run may have pruned already: then do nothing.
            let head = store::lock_audit_head(conn)?;
            if head.pruned_seq != anchor_seq {
                return Ok(0);
            }
            store::prune_audit_through(conn, last_seq, &last_hash)
        })
        .await
        .map_err(AuditError::from)?;
    tracing::info!(rows = removed, archive = %path.display(), "audit records archived and pruned");
    Ok(Pruned {
        rows: removed,
        archive: Some(path),
    })
}

/// Writes the archive durably: temporary file, fsync, rename.
fn write_archive(path: &Path, rows: &[AuditRow]) -> Result<(), AuditError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension("jsonl.tmp");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        for row in rows {
            let archived = ArchivedRow {
                prev_hash: row.prev_hash.clone(),
                hash: row.hash.clone(),
                record: AuditRecord::from(row.clone()),
            };
            serde_json::to_writer(&mut file, &archived).map_err(std::io::Error::other)?;
            file.write_all(b"\n")?;
        }
        file.flush()?;
        file.get_ref().sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
