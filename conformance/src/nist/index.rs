//! INDEX.md of the NIST copy (titles, expected outcomes) and which tests
//! this replay can run.

use super::NistError;
use super::plan::{TestCase, TransactionKind};
use super::report::Scope;
use std::path::Path;

/// One row of INDEX.md's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub test: String,
    pub title: String,
    /// `(section, step, expected status)` of each non-success step.
    pub non_success: Vec<(String, String, String)>,
}

/// Reads the table rows of INDEX.md (`| test | title | transactions | collections | non-success | note |`).
pub fn load_index(path: &Path) -> Result<Vec<IndexEntry>, NistError> {
    let text = std::fs::read_to_string(path).map_err(|source| NistError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(parse_index(&text))
}

pub fn parse_index(text: &str) -> Vec<IndexEntry> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let (Some(test), Some(title), Some(non_success)) =
            (cells.first(), cells.get(1), cells.get(4))
        else {
            continue;
        };
        if *test == "test" || test.starts_with("---") || test.is_empty() {
            continue;
        }
        let mut steps = Vec::new();
        for part in non_success.split("<br>") {
            let Some((where_, rest)) = part.split_once(" -> ") else {
                continue;
            };
            let Some((section, step)) = where_.trim().split_once(':') else {
                continue;
            };
            let status = rest.split_whitespace().next().unwrap_or_default();
            steps.push((
                section.trim().to_string(),
                step.trim().to_string(),
                status.to_string(),
            ));
        }
        out.push(IndexEntry {
            test: (*test).to_string(),
            title: (*title).to_string(),
            non_success: steps,
        });
    }
    out
}

/// Why a test cannot be replayed here, by the transaction it needs.
fn unsupported_reason(element: &str) -> String {
    match element {
        "MuTransaction" => "needs ITI-57 Metadata Update".into(),
        "RmuTransaction" => "needs ITI-92 Restricted Metadata Update".into(),
        "RemoveMetadataTransaction" => "needs ITI-62 Remove Metadata".into(),
        "RdTransaction" => "needs ITI-86 Remove Documents".into(),
        "MPQTransaction" => "needs ITI-51 Multi-Patient Stored Query".into(),
        "RegisterODDETransaction" => "needs ITI-61 On-Demand Document Entry registration".into(),
        "PatientMoveTransaction" => "needs ITI-8 ADT^A40/A43 patient merge and move".into(),
        other => format!("needs {other}"),
    }
}

/// In scope = every step is ITI-41/42/43/18, a patient feed or bookkeeping.
pub fn scope_of(test: &TestCase) -> Scope {
    if test.sections.is_empty() {
        return Scope::Empty(if test.missing_sections.is_empty() {
            "no test plan in the copy".into()
        } else {
            format!(
                "index.idx lists sections {} but the copy has no test plan for them",
                test.missing_sections.join(", ")
            )
        });
    }
    let mut reasons: Vec<String> = test
        .transactions()
        .into_iter()
        .filter(|t| t.kind == TransactionKind::Unsupported)
        .map(|t| unsupported_reason(&t.element))
        .collect();
    reasons.sort();
    reasons.dedup();
    if reasons.is_empty() {
        Scope::InScope
    } else {
        Scope::OutOfScope(reasons.join(", "))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::nist::plan::load_test;
    use std::path::PathBuf;

    fn dir() -> PathBuf {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/conformance/xds/nist-tests"
        ))
    }

    #[test]
    fn parses_the_index_table() {
        let entries = load_index(&dir().join("INDEX.md")).unwrap();
        assert!(entries.len() > 130, "{}", entries.len());
        let e = entries.iter().find(|e| e.test == "15816").unwrap();
        assert_eq!(e.title, "Retrieve tests");
        assert!(e.non_success.contains(&(
            "Retrieve".to_string(),
            "retrieve_partial_uid".to_string(),
            "PartialSuccess".to_string()
        )));
        let ok = entries.iter().find(|e| e.test == "11990").unwrap();
        assert!(ok.non_success.is_empty());
    }

    #[test]
    fn scope_follows_the_transactions() {
        assert_eq!(
            scope_of(&load_test(&dir().join("11990"), &[]).unwrap()),
            Scope::InScope
        );
        assert_eq!(
            scope_of(&load_test(&dir().join("15800"), &[]).unwrap()),
            Scope::OutOfScope("needs ITI-57 Metadata Update".into())
        );
        assert!(matches!(
            scope_of(&load_test(&dir().join("12029a"), &[]).unwrap()),
            Scope::Empty(_)
        ));
        assert!(matches!(
            scope_of(&load_test(&dir().join("16101"), &[]).unwrap()),
            Scope::OutOfScope(r) if r.contains("merge")
        ));
    }
}
