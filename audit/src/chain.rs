//! The hash chain over audit rows: `hash = SHA-256(prev_hash || fields)`,
//! where `fields` is an unambiguous encoding of every stored column (each
//! value length-prefixed, absent values marked). Changing, removing or
//! reordering a row breaks the chain at that row; [`ChainVerifier`] finds
//! the first break.

use sha2::{Digest, Sha256};
use store::AuditRow;

/// The `prev_hash` of the first row ever written.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Hex SHA-256 of `prev_hash` and the row's fields (its own `hash` excluded).
pub fn row_hash(prev_hash: &str, row: &AuditRow) -> String {
    let mut h = Sha256::new();
    field(&mut h, Some(prev_hash));
    field(&mut h, Some(&row.seq.to_string()));
    field(&mut h, Some(&crate::format_time(row.recorded_at.and_utc())));
    field(&mut h, Some(&row.transaction_label));
    field(&mut h, Some(&row.event_id));
    field(&mut h, Some(&row.action));
    field(&mut h, Some(&row.outcome.to_string()));
    field(&mut h, row.facility.as_deref());
    field(&mut h, row.patient.as_deref());
    field(&mut h, Some(&row.documents));
    field(&mut h, row.access_basis.as_deref());
    field(&mut h, Some(&row.message));
    hex::encode(h.finalize())
}

fn field(h: &mut Sha256, value: Option<&str>) {
    match value {
        Some(v) => {
            h.update([1u8]);
            h.update((v.len() as u64).to_be_bytes());
            h.update(v.as_bytes());
        }
        None => h.update([0u8]),
    }
}

/// Where and how the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// The row's content no longer matches its hash.
    #[error("audit row {seq} was altered: its content does not match its hash")]
    Altered { seq: i64 },
    /// Rows are missing before this one.
    #[error("audit rows {first_missing} to {} were removed", seq - 1)]
    Removed { first_missing: i64, seq: i64 },
    /// The row does not follow the one before it.
    #[error(
        "audit row {seq} does not follow row {} (rows were reordered, removed or replaced)",
        seq - 1
    )]
    Unlinked { seq: i64 },
    /// The newest rows are gone (the head names a later row).
    #[error("audit rows after {last_seen} were removed (the chain head is at {head_seq})")]
    Truncated { last_seen: i64, head_seq: i64 },
    /// The last row is not the one the head recorded.
    #[error("audit row {seq} is not the row the chain head recorded")]
    HeadMismatch { seq: i64 },
}

impl ChainBreak {
    /// The first row at fault.
    pub fn seq(&self) -> i64 {
        match self {
            ChainBreak::Altered { seq }
            | ChainBreak::Unlinked { seq }
            | ChainBreak::HeadMismatch { seq } => *seq,
            ChainBreak::Removed { first_missing, .. } => *first_missing,
            ChainBreak::Truncated { last_seen, .. } => last_seen + 1,
        }
    }
}

/// Walks rows in `seq` order from the pruning anchor.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    last_seq: i64,
    last_hash: String,
    checked: u64,
}

impl ChainVerifier {
    /// Starts after the anchor: the last pruned row (`0` and
    /// [`GENESIS_HASH`] when nothing was pruned).
    pub fn new(anchor_seq: i64, anchor_hash: &str) -> Self {
        Self {
            last_seq: anchor_seq,
            last_hash: anchor_hash.to_string(),
            checked: 0,
        }
    }

    /// Checks the next row.
    pub fn check(&mut self, row: &AuditRow) -> Result<(), ChainBreak> {
        let expected = self.last_seq + 1;
        if row.seq > expected {
            return Err(ChainBreak::Removed {
                first_missing: expected,
                seq: row.seq,
            });
        }
        if row.seq < expected || row.prev_hash != self.last_hash {
            return Err(ChainBreak::Unlinked { seq: row.seq });
        }
        if row_hash(&row.prev_hash, row) != row.hash {
            return Err(ChainBreak::Altered { seq: row.seq });
        }
        self.last_seq = row.seq;
        self.last_hash = row.hash.clone();
        self.checked += 1;
        Ok(())
    }

    /// After the last row: it must be the head the appends recorded.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<u64, ChainBreak> {
        if head_seq > self.last_seq {
            return Err(ChainBreak::Truncated {
                last_seen: self.last_seq,
                head_seq,
            });
        }
        if head_seq != self.last_seq || head_hash != self.last_hash {
            return Err(ChainBreak::HeadMismatch { seq: self.last_seq });
        }
        Ok(self.checked)
    }

    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn chain(n: i64) -> Vec<AuditRow> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let mut row = AuditRow {
                    seq,
                    recorded_at: chrono::DateTime::from_timestamp(1_700_000_000 + seq, 0)
                        .unwrap()
                        .naive_utc(),
                    transaction_label: "ITI-43".into(),
                    event_id: "110106".into(),
                    action: "R".into(),
                    outcome: 0,
                    facility: Some("1.2.3".into()),
                    patient: Some(format!("P{seq}^^^&1.2&ISO")),
                    documents: "[]".into(),
                    access_basis: None,
                    message: format!("<AuditMessage n=\"{seq}\"/>"),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                row.hash = row_hash(&prev, &row);
                prev = row.hash.clone();
                row
            })
            .collect()
    }

    fn verify(rows: &[AuditRow], head: (i64, &str)) -> Result<u64, ChainBreak> {
        let mut v = ChainVerifier::new(0, GENESIS_HASH);
        for r in rows {
            v.check(r)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let rows = chain(5);
        let head = rows.last().unwrap().hash.clone();
        assert_eq!(verify(&rows, (5, &head)), Ok(5));
        assert_eq!(verify(&[], (0, GENESIS_HASH)), Ok(0));
    }

    #[test]
    fn an_edited_field_is_found() {
        let mut rows = chain(5);
        let head = rows[4].hash.clone();
        rows[2].patient = Some("OTHER^^^&1.2&ISO".into());
        assert_eq!(
            verify(&rows, (5, &head)),
            Err(ChainBreak::Altered { seq: 3 })
        );
        let mut rows = chain(5);
        rows[1].facility = None;
        assert_eq!(verify(&rows, (5, &head)).unwrap_err().seq(), 2);
        let mut rows = chain(5);
        rows[3].outcome = 4;
        assert_eq!(verify(&rows, (5, &head)).unwrap_err().seq(), 4);
    }

    #[test]
    fn a_removed_row_is_found() {
        let mut rows = chain(5);
        let head = rows[4].hash.clone();
        rows.remove(1);
        assert_eq!(
            verify(&rows, (5, &head)),
            Err(ChainBreak::Removed {
                first_missing: 2,
                seq: 3
            })
        );
        // The newest row removed: the head still names it.
        let mut rows = chain(5);
        rows.pop();
        assert_eq!(verify(&rows, (5, &head)).unwrap_err().seq(), 5);
    }

    #[test]
    fn reordered_rows_are_found() {
        let mut rows = chain(5);
        let head = rows[4].hash.clone();
        // Swap the contents of rows 2 and 3 but keep the seq order.
        let (a, b) = (rows[1].clone(), rows[2].clone());
        rows[1] = AuditRow { seq: 2, ..b };
        rows[2] = AuditRow { seq: 3, ..a };
        assert_eq!(
            verify(&rows, (5, &head)),
            Err(ChainBreak::Unlinked { seq: 2 })
        );
    }

    #[test]
    fn a_row_removed_and_relinked_is_still_found() {
        // Removing row 3 and renumbering 4, 5 to close the gap breaks the hashes.
        let mut rows = chain(5);
        rows.remove(2);
        rows[2].seq = 3;
        rows[3].seq = 4;
        rows[2].prev_hash = rows[1].hash.clone();
        let head = rows[3].hash.clone();
        assert_eq!(verify(&rows, (4, &head)).unwrap_err().seq(), 3);
    }

    #[test]
    fn field_boundaries_matter() {
        let rows = chain(1);
        let mut moved = rows[0].clone();
        // Moving characters between adjacent fields changes the hash.
        moved.event_id = "110106R".into();
        moved.action = String::new();
        assert_ne!(row_hash(GENESIS_HASH, &moved), rows[0].hash);
    }
}
