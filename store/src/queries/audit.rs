//! The audit trail tables. The `audit` crate owns the record format and the
//! hash chain; these functions only store and find rows. Appends go through
//! [`lock_audit_head`] + [`append_audit_rows`] inside the caller's
//! transaction, or through the inbox ([`queue_audit_row`]), whose rows the
//! audit crate links later ([`audit_inbox`], [`remove_from_audit_inbox`]).

use super::per_backend;
use crate::AnyConnection;
use crate::error::StoreError;
use crate::models::{AuditHeadRow, AuditRow, InboxRow};
use crate::schema::{audit_cursors, audit_head, audit_inbox, audit_log};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The single `audit_head` row's key.
const HEAD_ID: i32 = 1;

/// Reads the chain head inside a write transaction. On PostgreSQL the row
/// stays locked until commit, so concurrent appends take turns; SQLite write
/// transactions are already serialized by `BEGIN IMMEDIATE`.
pub fn lock_audit_head(conn: &mut AnyConnection) -> Result<AuditHeadRow, StoreError> {
    Ok(match conn {
        AnyConnection::Postgresql(c) => audit_head::table
            .find(HEAD_ID)
            .select(AuditHeadRow::as_select())
            .for_update()
            .first(c)?,
        AnyConnection::Sqlite(c) => audit_head::table
            .find(HEAD_ID)
            .select(AuditHeadRow::as_select())
            .first(c)?,
    })
}

/// Reads the chain head without locking it (verification, reports).
pub fn audit_head(conn: &mut AnyConnection) -> Result<AuditHeadRow, StoreError> {
    Ok(audit_head::table
        .find(HEAD_ID)
        .select(AuditHeadRow::as_select())
        .first(conn)?)
}

/// Inserts the next rows, in order, and moves the head to the last. The
/// caller holds the head lock ([`lock_audit_head`]) and computed each row's
/// `seq` and `hash` from it.
pub fn append_audit_rows(conn: &mut AnyConnection, rows: &[AuditRow]) -> Result<(), StoreError> {
    let Some(last) = rows.last() else {
        return Ok(());
    };
    for row in rows {
        diesel::insert_into(audit_log::table)
            .values(row)
            .execute(conn)?;
    }
    diesel::update(audit_head::table.find(HEAD_ID))
        .set((
            audit_head::last_seq.eq(last.seq),
            audit_head::last_hash.eq(&last.hash),
        ))
        .execute(conn)?;
    Ok(())
}

/// Files `row` in the audit inbox, without its place in the chain: no lock
/// is taken, so concurrent transactions file their records side by side.
/// The row commits or rolls back with the caller's transaction.
pub fn queue_audit_row(conn: &mut AnyConnection, row: AuditRow) -> Result<(), StoreError> {
    diesel::insert_into(audit_inbox::table)
        .values(InboxRow::of(row))
        .execute(conn)?;
    Ok(())
}

/// Up to `limit` inbox rows, oldest first, each with its inbox id, and
/// without seq or hashes. Call it holding the chain head's lock.
pub fn audit_inbox(
    conn: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<(i64, AuditRow)>, StoreError> {
    let rows: Vec<(i64, InboxRow)> = audit_inbox::table
        .order(audit_inbox::id)
        .limit(limit)
        .select((audit_inbox::id, InboxRow::as_select()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, row)| (id, row.unchained()))
        .collect())
}

/// Whether any record waits in the inbox; takes no lock.
pub fn audit_inbox_waiting(conn: &mut AnyConnection) -> Result<bool, StoreError> {
    Ok(diesel::select(diesel::dsl::exists(
        audit_inbox::table.select(audit_inbox::id),
    ))
    .get_result(conn)?)
}

/// Removes the inbox rows `ids` once they are linked into the chain. By id,
/// not by range: a lower id may commit after a higher one was read.
pub fn remove_from_audit_inbox(conn: &mut AnyConnection, ids: &[i64]) -> Result<(), StoreError> {
    for chunk in ids.chunks(super::IN_LIST_CHUNK) {
        diesel::delete(audit_inbox::table.filter(audit_inbox::id.eq_any(chunk))).execute(conn)?;
    }
    Ok(())
}

/// Up to `limit` rows after `after_seq`, in chain order.
pub fn audit_rows_after(
    conn: &mut AnyConnection,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<AuditRow>, StoreError> {
    Ok(audit_log::table
        .filter(audit_log::seq.gt(after_seq))
        .order(audit_log::seq)
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?)
}

/// What an audit search narrows by; `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub patient: Option<String>,
    pub facility: Option<String>,
    /// Inclusive lower bound on `recorded_at`.
    pub since: Option<NaiveDateTime>,
    /// Exclusive upper bound on `recorded_at`.
    pub until: Option<NaiveDateTime>,
    pub transaction_label: Option<String>,
    pub event_id: Option<String>,
    /// Only rows after this seq (paging).
    pub after_seq: Option<i64>,
}

/// Rows matching `filter`, in chain order, at most `limit`.
pub fn search_audit(
    conn: &mut AnyConnection,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditRow>, StoreError> {
    let mut query = audit_log::table
        .select(AuditRow::as_select())
        .order(audit_log::seq)
        .limit(limit)
        .into_boxed();
    if let Some(p) = &filter.patient {
        query = query.filter(audit_log::patient.eq(p.clone()));
    }
    if let Some(f) = &filter.facility {
        query = query.filter(audit_log::facility.eq(f.clone()));
    }
    if let Some(t) = filter.since {
        query = query.filter(audit_log::recorded_at.ge(t));
    }
    if let Some(t) = filter.until {
        query = query.filter(audit_log::recorded_at.lt(t));
    }
    if let Some(t) = &filter.transaction_label {
        query = query.filter(audit_log::transaction_label.eq(t.clone()));
    }
    if let Some(e) = &filter.event_id {
        query = query.filter(audit_log::event_id.eq(e.clone()));
    }
    if let Some(s) = filter.after_seq {
        query = query.filter(audit_log::seq.gt(s));
    }
    Ok(query.load(conn)?)
}

/// The last seq `destination` acknowledged, if it was ever sent anything.
pub fn audit_cursor(
    conn: &mut AnyConnection,
    destination: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(audit_cursors::table
        .find(destination)
        .select(audit_cursors::last_seq)
        .first(conn)
        .optional()?)
}

/// Records that `destination` acknowledged every row up to `last_seq`.
pub fn set_audit_cursor(
    conn: &mut AnyConnection,
    destination: &str,
    last_seq: i64,
) -> Result<(), StoreError> {
    let now = chrono::Utc::now().naive_utc();
    let upsert = diesel::insert_into(audit_cursors::table)
        .values((
            audit_cursors::destination.eq(destination),
            audit_cursors::last_seq.eq(last_seq),
            audit_cursors::updated_at.eq(now),
        ))
        .on_conflict(audit_cursors::destination)
        .do_update()
        .set((
            audit_cursors::last_seq.eq(last_seq),
            audit_cursors::updated_at.eq(now),
        ));
    per_backend!(conn, c => upsert.execute(c))?;
    Ok(())
}

/// The newest seq recorded before `time`, if any.
pub fn last_audit_seq_before(
    conn: &mut AnyConnection,
    time: NaiveDateTime,
) -> Result<Option<i64>, StoreError> {
    Ok(audit_log::table
        .filter(audit_log::recorded_at.lt(time))
        .select(diesel::dsl::max(audit_log::seq))
        .first(conn)?)
}

/// Retention: removes the rows up to `seq` (already archived) and makes the
/// last of them, whose hash is `hash`, the anchor the remaining chain
/// starts from. Returns the rows removed.
pub fn prune_audit_through(
    conn: &mut AnyConnection,
    seq: i64,
    hash: &str,
) -> Result<usize, StoreError> {
    let removed = diesel::delete(audit_log::table.filter(audit_log::seq.le(seq))).execute(conn)?;
    diesel::update(audit_head::table.find(HEAD_ID))
        .set((
            audit_head::pruned_seq.eq(seq),
            audit_head::pruned_hash.eq(hash),
        ))
        .execute(conn)?;
    Ok(removed)
}
