//! Every stored query of the NIST toolkit tests 11897-11909 and 15803,
//! read with [`crate::parse::adhoc_query_request`] and decoded: the steps
//! the test plans expect to succeed must decode, the ones they expect to
//! fail (11897 classcode_scheme_mismatch, old_scheme) must be refused.
//! Only sections listed in each test's `index.idx` run, as in the toolkit
//! (11897/no_matching_classcode is not listed: its query is well formed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::parse::{Limits, adhoc_query_request};
use crate::query::parse_stored_query;
use std::path::{Path, PathBuf};

const TESTS: &[&str] = &[
    "11897", "11898", "11899", "11901", "11902", "11903", "11904", "11905", "11906", "11907",
    "11908", "11909", "15803",
];

fn nist_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/xds/nist-tests")
}

/// Replaces the toolkit's `$name$` tokens with values of the right shape.
fn substitute(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    let mut counter = 0;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if len > 0 && after[len..].starts_with('$') {
            let name = &after[..len];
            counter += 1;
            let value = if name.contains("uuid") {
                format!("urn:uuid:00000000-0000-4000-8000-{counter:012}")
            } else if name.contains("patient") {
                "P-11897^^^&amp;1.3.6.1.4.1.21367.2005.3.7&amp;ISO".to_owned()
            } else if name == "now" {
                "20240615".to_owned()
            } else if name == "lastyear" {
                "20230615".to_owned()
            } else {
                format!("1.3.6.1.4.1.21367.2005.3.99.{counter}")
            };
            out.push_str(&value);
            rest = &after[len + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// `(query file, expected Success)` for each stored-query step of a
/// section's testplan.xml.
fn steps(testplan: &str) -> Vec<(String, bool)> {
    let tag = |text: &str, name: &str| -> Option<String> {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{name}>"))?;
        Some(text[start..start + end].trim().to_owned())
    };
    testplan
        .split("<TestStep")
        .skip(1)
        .filter(|step| step.contains("<StoredQueryTransaction>"))
        .map(|step| {
            let file = tag(step, "MetadataFile").expect("MetadataFile");
            let status = tag(step, "ExpectedStatus").expect("ExpectedStatus");
            (file, status == "Success")
        })
        .collect()
}

#[test]
fn nist_stored_queries_decode_as_the_test_plans_expect() {
    let root = nist_dir();
    let (mut decoded, mut refused) = (0, 0);
    for test in TESTS {
        let dir = root.join(test);
        let index = std::fs::read_to_string(dir.join("index.idx")).expect("index.idx");
        for section in index.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let section_dir = dir.join(section);
            let plan =
                std::fs::read_to_string(section_dir.join("testplan.xml")).expect("testplan.xml");
            for (file, success) in steps(&plan) {
                let where_ = format!("{test}/{section}/{file}");
                let xml = std::fs::read_to_string(section_dir.join(&file)).expect(&where_);
                let request = adhoc_query_request(substitute(&xml).as_bytes(), &Limits::default())
                    .unwrap_or_else(|e| panic!("{where_}: the parser refused it: {e}"));
                match (parse_stored_query(&request), success) {
                    (Ok(_), true) => decoded += 1,
                    (Err(_), false) => refused += 1,
                    (Ok(q), false) => panic!("{where_}: expected Failure, decoded {q:#?}"),
                    (Err(e), true) => panic!("{where_}: expected Success, got {e:#?}"),
                }
            }
        }
    }
    assert_eq!(decoded, 82, "stored-query steps expected to succeed");
    assert_eq!(refused, 2, "11897 classcode_scheme_mismatch and old_scheme");
}

#[test]
fn the_message_validator_samples() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance/xds/samples/nist-messagevalidator");
    let decode = |name: &str| {
        let xml = std::fs::read(dir.join(name)).expect(name);
        let request = adhoc_query_request(&xml, &Limits::default()).expect(name);
        parse_stored_query(&request)
    };
    assert!(decode("sq-req.xml").is_ok());
    use crate::XdsErrorCode::{RegistryError, StoredQueryMissingParam};
    for (name, code) in [
        ("sq-req-bad-code.xml", RegistryError),
        ("sq-req-bad-pid-format.xml", RegistryError),
        ("sq-req-bad-stat-format1.xml", RegistryError),
        ("sq-req-bad-stat-format2.xml", RegistryError),
        ("sq-req-missing-stat.xml", StoredQueryMissingParam),
    ] {
        assert_eq!(decode(name).expect_err(name).code, code, "{name}");
    }
}

#[test]
fn token_substitution() {
    let out = substitute(
        "<a name=\"$XDSDocumentEntryPatientId\">'$patient_id$' ('$uuid1$','$uuid2$') $now$</a>",
    );
    assert!(out.contains("\"$XDSDocumentEntryPatientId\""));
    assert!(out.contains("'P-11897^^^&amp;1.3.6.1.4.1.21367.2005.3.7&amp;ISO'"));
    assert!(out.contains("urn:uuid:00000000-0000-4000-8000-000000000002"));
    assert!(out.contains("20240615"));
}
