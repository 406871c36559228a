//! Searches over the audit trail and their output: one JSON object per line
//! (DESIGN.md "Audit search output") or CSV. The patient report ("who read
//! or changed my records") is a search by patient.

use chrono::{DateTime, Utc};
use serde::Serialize;
use store::{AuditFilter, AuditRow, Store, StoreError};

/// Rows loaded per page.
const PAGE: i64 = 1000;

/// What to search for; `None` fields do not narrow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub patient: Option<String>,
    pub facility: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// `ITI-43`, `cert-revoke`, ...
    pub transaction: Option<String>,
    /// DICOM EventID code.
    pub event_id: Option<String>,
    /// Most records returned (`None`: all).
    pub limit: Option<usize>,
}

/// One audit record as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AuditRecord {
    pub seq: i64,
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    pub transaction: String,
    pub event_id: String,
    pub action: String,
    pub outcome: i32,
    pub facility: Option<String>,
    pub patient: Option<String>,
    pub documents: Vec<String>,
    /// The consent or emergency access the access relied on.
    pub access_basis: Option<String>,
    /// The DICOM audit message XML.
    pub message: String,
}

impl From<AuditRow> for AuditRecord {
    fn from(row: AuditRow) -> Self {
        let documents = serde_json::from_str(&row.documents).unwrap_or_else(|e| {
            tracing::warn!(seq = row.seq, error = %e, "audit row with unreadable documents");
            Vec::new()
        });
        AuditRecord {
            seq: row.seq,
            time: crate::format_time(row.recorded_at.and_utc()),
            transaction: row.transaction_label,
            event_id: row.event_id,
            action: row.action,
            outcome: row.outcome,
            facility: row.facility,
            patient: row.patient,
            documents,
            access_basis: row.access_basis,
            message: row.message,
        }
    }
}

/// Records matching `query`, oldest first.
pub async fn search(store: &Store, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
    let filter = AuditFilter {
        patient: query.patient.clone(),
        facility: query.facility.clone(),
        since: query.since.map(|t| t.naive_utc()),
        until: query.until.map(|t| t.naive_utc()),
        transaction_label: query.transaction.clone(),
        event_id: query.event_id.clone(),
        after_seq: None,
    };
    let limit = query.limit;
    crate::link_inbox(store).await?;
    store
        .read(move |conn| {
            let mut out: Vec<AuditRecord> = Vec::new();
            let mut filter = filter;
            loop {
                let want = match limit {
                    Some(l) => (l.saturating_sub(out.len()) as i64).min(PAGE),
                    None => PAGE,
                };
                if want == 0 {
                    break;
                }
                let rows = store::search_audit(conn, &filter, want)?;
                let done = (rows.len() as i64) < want;
                filter.after_seq = rows.last().map(|r| r.seq).or(filter.after_seq);
                out.extend(rows.into_iter().map(AuditRecord::from));
                if done {
                    break;
                }
            }
            Ok(out)
        })
        .await
}

/// One page of the records matching `query` (its `limit` is ignored): at
/// most `limit` records with seq after `after_seq`, oldest first. Callers
/// that serve the trail (the admin API) page with the last seq they got,
/// so no result is ever held whole in memory.
pub async fn search_page(
    store: &Store,
    query: &AuditQuery,
    after_seq: Option<i64>,
    limit: usize,
) -> Result<Vec<AuditRecord>, StoreError> {
    let filter = AuditFilter {
        patient: query.patient.clone(),
        facility: query.facility.clone(),
        since: query.since.map(|t| t.naive_utc()),
        until: query.until.map(|t| t.naive_utc()),
        transaction_label: query.transaction.clone(),
        event_id: query.event_id.clone(),
        after_seq,
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    // Only the first page: later pages continue after rows already read.
    if after_seq.is_none() {
        crate::link_inbox(store).await?;
    }
    store
        .read(move |conn| {
            Ok(store::search_audit(conn, &filter, limit)?
                .into_iter()
                .map(AuditRecord::from)
                .collect())
        })
        .await
}

/// "Who read or changed this patient's records": every record about the
/// patient since `since`.
pub async fn patient_report(
    store: &Store,
    patient: &str,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<AuditRecord>, StoreError> {
    search(
        store,
        &AuditQuery {
            patient: Some(patient.to_string()),
            since,
            ..AuditQuery::default()
        },
    )
    .await
}

/// One JSON object per line.
pub fn to_json_lines(records: &[AuditRecord]) -> String {
    let mut out = String::new();
    for r in records {
        match serde_json::to_string(r) {
            Ok(line) => {
                out.push_str(&line);
                out.push('\n');
            }
            Err(e) => tracing::error!(seq = r.seq, error = %e, "audit record not serializable"),
        }
    }
    out
}

/// CSV with a header row; documents separated by spaces.
pub fn to_csv(records: &[AuditRecord]) -> String {
    let mut out = String::from(
        "seq,time,transaction,event_id,action,outcome,facility,patient,documents,access_basis,message\n",
    );
    for r in records {
        let fields = [
            r.seq.to_string(),
            r.time.clone(),
            r.transaction.clone(),
            r.event_id.clone(),
            r.action.clone(),
            r.outcome.to_string(),
            r.facility.clone().unwrap_or_default(),
            r.patient.clone().unwrap_or_default(),
            r.documents.join(" "),
            r.access_basis.clone().unwrap_or_default(),
            r.message.clone(),
        ];
        let cells: Vec<String> = fields.iter().map(|f| csv_cell(f)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// RFC 4180 quoting, and a leading `'` on values a spreadsheet would take
/// for a formula (values come partly from requests).
fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> AuditRecord {
        AuditRecord {
            seq: 7,
            time: "2025-01-02T03:04:05.006Z".into(),
            transaction: "ITI-43".into(),
            event_id: "110106".into(),
            action: "R".into(),
            outcome: 0,
            facility: Some("1.2.3".into()),
            patient: Some("P1^^^&1.2&ISO".into()),
            documents: vec!["1.2.3.4".into(), "1.2.3.5".into()],
            access_basis: None,
            message: "<AuditMessage a=\"b\"/>".into(),
        }
    }

    #[test]
    fn json_lines_carry_the_contract_fields() {
        let out = to_json_lines(&[record(), record()]);
        assert_eq!(out.lines().count(), 2);
        let v: serde_json::Value =
            serde_json::from_str(out.lines().next().unwrap_or_default()).unwrap_or_default();
        for key in [
            "time",
            "transaction",
            "event_id",
            "outcome",
            "facility",
            "patient",
            "documents",
            "message",
        ] {
            assert!(v.get(key).is_some(), "{key} missing in {out}");
        }
        assert_eq!(v["documents"][1], "1.2.3.5");
    }

    #[test]
    fn csv_quotes_and_guards() {
        let out = to_csv(&[record()]);
        let line = out.lines().nth(1).unwrap_or_default();
        assert!(line.starts_with("7,2025-01-02T03:04:05.006Z,ITI-43,110106,R,0,1.2.3,"));
        assert!(line.ends_with(",\"<AuditMessage a=\"\"b\"\"/>\""), "{line}");
        assert_eq!(csv_cell("=cmd()"), "'=cmd()");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
    }
}
