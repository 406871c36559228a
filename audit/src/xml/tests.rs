#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::catalogue::{Outcome, Side};
use crate::event::{DocumentRef, QueryRef, Requestor};
use std::io::Write as _;
use std::process::{Command, Stdio};

/// `../shared/conformance` beside the workspace (the nearest one up, so a
/// git worktree one level deeper finds it too).
pub(crate) fn conformance_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .skip(2)
        .map(|dir| dir.join("shared/conformance"))
        .find(|dir| dir.is_dir())
        .expect("../shared/conformance beside the workspace")
}

/// Validates against dicom2017c.xsd with xmllint (offline, via the catalog).
pub(crate) fn validate(xml: &str) {
    let mut child = Command::new("xmllint")
        .args(["--nonet", "--noout", "--schema"])
        .arg(conformance_dir().join("schemas/audit/dicom2017c.xsd"))
        .arg("-")
        .env(
            "XML_CATALOG_FILES",
            conformance_dir().join("schemas/catalog.xml"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xmllint (package libxml2-utils) must be installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(xml.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "schema validation failed:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn source() -> AuditSource {
    AuditSource {
        source_id: "urn:oid:2.25.1.3".into(),
        enterprise_site_id: "2.25.1.1".into(),
        node: "hub.example.jp".into(),
        base_url: "https://hub.example.jp:8443".into(),
        repository_unique_id: "2.25.1.2".into(),
        home_community_id: "urn:oid:2.25.1.3".into(),
    }
}

fn requestor() -> Requestor {
    Requestor::facility("1.2.392.100.1").at(Some("192.0.2.7".into()))
}

/// Attribute values of every `element` start tag, in document order.
fn attrs(xml: &str, element: &str, attr: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if AsRef::<str>::as_ref(&e.name()) == element =>
            {
                if let Some(a) = e.try_get_attribute(attr).unwrap() {
                    out.push(
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .unwrap()
                            .into_owned(),
                    );
                }
            }
            quick_xml::events::Event::Eof => return out,
            _ => {}
        }
    }
}

#[test]
fn provide_and_register_import_validates_and_names_everything() {
    let event = AuditEvent::new(Transaction::Iti41, requestor())
        .with_patient(Some("P1^^^&2.25.1.1&ISO".into()))
        .with_submission_set(Some("1.2.3.99".into()))
        .with_documents(vec![
            DocumentRef::new("1.2.3.100"),
            DocumentRef::new("1.2.3.101"),
        ]);
    let xml = audit_message(&source(), &event);
    validate(&xml);
    assert_eq!(attrs(&xml, "EventIdentification", "EventActionCode"), ["C"]);
    assert_eq!(
        attrs(&xml, "EventIdentification", "EventOutcomeIndicator"),
        ["0"]
    );
    assert_eq!(attrs(&xml, "EventID", "csd-code"), ["110107"]);
    assert_eq!(attrs(&xml, "EventTypeCode", "csd-code"), ["ITI-41"]);
    assert_eq!(
        attrs(&xml, "ActiveParticipant", "UserID"),
        [
            "1.2.392.100.1",
            "https://hub.example.jp:8443/xds/repository"
        ]
    );
    assert_eq!(
        attrs(&xml, "ActiveParticipant", "UserIsRequestor"),
        ["true", "false"]
    );
    assert_eq!(attrs(&xml, "RoleIDCode", "csd-code"), ["110153", "110152"]);
    assert_eq!(
        attrs(&xml, "ActiveParticipant", "NetworkAccessPointTypeCode"),
        ["2", "1"]
    );
    assert_eq!(
        attrs(
            &xml,
            "ParticipantObjectIdentification",
            "ParticipantObjectID"
        ),
        ["P1^^^&2.25.1.1&ISO", "1.2.3.99", "1.2.3.100", "1.2.3.101"]
    );
    assert_eq!(
        attrs(
            &xml,
            "ParticipantObjectIdentification",
            "ParticipantObjectTypeCodeRole"
        ),
        ["1", "20", "3", "3"]
    );
    assert_eq!(
        attrs(&xml, "ParticipantObjectIDTypeCode", "csd-code"),
        [
            "2",
            "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd",
            "9",
            "9"
        ]
    );
    // Repository Unique Id detail, base64.
    assert_eq!(
        attrs(&xml, "ParticipantObjectDetail", "value"),
        [BASE64.encode("2.25.1.2"), BASE64.encode("2.25.1.2")]
    );
    assert_eq!(
        attrs(&xml, "AuditSourceIdentification", "AuditSourceID"),
        ["urn:oid:2.25.1.3"]
    );
}

#[test]
fn retrieve_export_puts_the_hub_first_as_source() {
    let mut doc = DocumentRef::new("1.2.3.100");
    doc.home_community_id = Some("urn:oid:1.2.3".into());
    let event = AuditEvent::new(Transaction::Iti43, requestor())
        .with_patient(Some("P1^^^&2.25.1.1&ISO".into()))
        .with_documents(vec![doc]);
    let xml = audit_message(&source(), &event);
    validate(&xml);
    assert_eq!(attrs(&xml, "EventID", "csd-code"), ["110106"]);
    assert_eq!(attrs(&xml, "EventIdentification", "EventActionCode"), ["R"]);
    assert_eq!(attrs(&xml, "RoleIDCode", "csd-code"), ["110153", "110152"]);
    assert_eq!(
        attrs(&xml, "ActiveParticipant", "UserIsRequestor"),
        ["false", "true"]
    );
    assert_eq!(
        attrs(&xml, "ParticipantObjectDetail", "type"),
        ["Repository Unique Id", "ihe:homeCommunityID"]
    );
}

#[test]
fn stored_query_carries_the_request_base64() {
    let request = b"<query:AdhocQueryRequest>...</query:AdhocQueryRequest>".to_vec();
    let event = AuditEvent::new(Transaction::Iti18, requestor())
        .with_patient(Some("P1^^^&2.25.1.1&ISO".into()))
        .with_query(QueryRef {
            query_id: "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d".into(),
            request: request.clone(),
            home_community_id: None,
        });
    let xml = audit_message(&source(), &event);
    validate(&xml);
    assert_eq!(attrs(&xml, "EventID", "csd-code"), ["110112"]);
    assert_eq!(
        attrs(
            &xml,
            "ParticipantObjectIdentification",
            "ParticipantObjectTypeCodeRole"
        ),
        ["1", "24"]
    );
    assert_eq!(
        attrs(&xml, "ParticipantObjectIDTypeCode", "csd-code"),
        ["2", "ITI-18"]
    );
    assert!(xml.contains(&format!(
        "<ParticipantObjectQuery>{}</ParticipantObjectQuery>",
        BASE64.encode(&request)
    )));
    assert_eq!(
        attrs(&xml, "ParticipantObjectDetail", "value"),
        [BASE64.encode("UTF-8")]
    );
}

#[test]
fn failures_and_security_events_validate() {
    let failed = AuditEvent::new(Transaction::Iti42, requestor()).failed(
        Outcome::MinorFailure,
        "XDSUnknownPatientId: patient\nunknown",
    );
    let xml = audit_message(&source(), &failed);
    validate(&xml);
    assert_eq!(
        attrs(&xml, "EventIdentification", "EventOutcomeIndicator"),
        ["4"]
    );
    assert!(xml.contains(
        "<EventOutcomeDescription>XDSUnknownPatientId: patient unknown</EventOutcomeDescription>"
    ));

    for t in [
        Transaction::NodeAuthFailure,
        Transaction::CertRevoke,
        Transaction::FacilitySuspend,
        Transaction::ConsentGrant,
        Transaction::EmergencyAccessOpen,
        Transaction::AccessDenied,
        Transaction::ApplicationStart,
        Transaction::Iti8(crate::catalogue::Action::Update),
        Transaction::Iti9,
        Transaction::Iti45,
        Transaction::Iti57,
        Transaction::Iti62,
    ] {
        let event = AuditEvent::new(t, Requestor::operator_cli())
            .with_target_detail(
                crate::event::TargetKind::Certificate,
                "0a1b2c",
                "keyCompromise",
            )
            .with_target(crate::event::TargetKind::Facility, "1.2.392.100.1")
            .on_side(Side::Responder);
        validate(&audit_message(&source(), &event));
    }
}

#[test]
fn untrusted_text_cannot_break_the_message() {
    let event = AuditEvent::new(
        Transaction::Iti41,
        Requestor::default().at(Some("::1".into())),
    )
    .with_patient(Some("P\u{1}<x>&\"'\n  \tY^^^&1.2&ISO".into()))
    .failed(Outcome::SeriousFailure, "bad \u{0} <tag> & more");
    let xml = audit_message(&source(), &event);
    validate(&xml);
    assert!(!xml.contains('\n'));
    assert_eq!(
        attrs(
            &xml,
            "ParticipantObjectIdentification",
            "ParticipantObjectID"
        ),
        ["P\u{FFFD}<x>&\"' Y^^^&1.2&ISO"]
    );
    assert_eq!(attrs(&xml, "ActiveParticipant", "UserID")[0], "::1");
}

#[test]
fn the_ipf_samples_validate_with_the_same_schema() {
    // Guards the validation helper itself: real ATNA messages pass.
    let dir = conformance_dir().join("atna/audit-samples/ipf");
    for name in ["pixfeed.xml", "pixquery.xml"] {
        let xml = std::fs::read_to_string(dir.join(name)).unwrap();
        validate(&xml);
    }
}
