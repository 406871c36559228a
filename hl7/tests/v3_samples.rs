//! The official (IHE ITI-Info) and IPF HL7 v3 PIX samples parse into the
//! expected values; the builders' output validates against the NE2008 XSDs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use hl7::cx::{Demographics, Xpn};
use hl7::v3::{
    self, FeedInteraction, Ii, V3AckCode, V3Limits, V3Message, V3Notification, V3QueryOutcome,
    V3ReplyMeta,
};

fn limits() -> V3Limits {
    V3Limits::default()
}

fn root_name(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let start = text
        .match_indices('<')
        .map(|(i, _)| i + 1)
        .find(|&i| text[i..].starts_with(|c: char| c.is_ascii_uppercase()))
        .unwrap();
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '>')
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn every_v3_sample_parses() {
    let mut seen = 0;
    for dir in ["hl7v3/ipf", "hl7v3/ihe-iti-info"] {
        for path in common::files(dir, "xml") {
            let xml = std::fs::read(&path).unwrap();
            let name = root_name(&path);
            let label = path.display();
            match name.as_str() {
                "PRPA_IN201301UV02" | "PRPA_IN201302UV02" | "PRPA_IN201304UV02" => {
                    let feed =
                        v3::parse_feed(&xml, &limits()).unwrap_or_else(|e| panic!("{label}: {e}"));
                    assert_eq!(feed.interaction.interaction_id(), name, "{label}");
                    assert_eq!(feed.header.interaction_id, name, "{label}");
                    assert!(!feed.header.message_id.root.is_empty());
                    assert!(!feed.header.sender_device.root.is_empty());
                    assert!(!feed.header.receiver_device.root.is_empty());
                    for p in &feed.patients {
                        assert!(!p.ids.is_empty(), "{label}");
                        assert!(p.ids.iter().all(|i| i.extension.is_some()));
                        if feed.interaction == FeedInteraction::DuplicatesResolved {
                            assert!(!p.subsumed_ids.is_empty(), "{label}");
                        } else {
                            assert!(p.subsumed_ids.is_empty(), "{label}");
                        }
                    }
                    assert!(matches!(
                        v3::parse_message(&xml, &limits()).unwrap(),
                        V3Message::Feed(_)
                    ));
                }
                "PRPA_IN201309UV02" => {
                    let q =
                        v3::parse_query(&xml, &limits()).unwrap_or_else(|e| panic!("{label}: {e}"));
                    assert_eq!(q.patient_identifiers.len(), 1, "{label}");
                    assert!(!q.query_id.root.is_empty());
                    assert!(matches!(
                        v3::parse_message(&xml, &limits()).unwrap(),
                        V3Message::Query(_)
                    ));
                    assert!(v3::parse_feed(&xml, &limits()).is_err());
                }
                "MCCI_IN000002UV01" | "PRPA_IN201310UV02" => {
                    let ack =
                        v3::parse_ack(&xml, &limits()).unwrap_or_else(|e| panic!("{label}: {e}"));
                    assert!(ack.is_accept(), "{label}: {}", ack.code);
                    assert!(ack.target_message.is_some(), "{label}");
                    assert!(v3::parse_message(&xml, &limits()).is_err());
                }
                other => panic!("{label}: unexpected sample {other}"),
            }
            seen += 1;
        }
    }
    assert!(seen >= 30, "{seen}");
}

#[test]
fn record_added_values() {
    let xml = common::read("hl7v3/ihe-iti-info/01_PatientRegistryRecordAdded1.xml");
    let feed = v3::parse_feed(&xml, &limits()).unwrap();
    assert_eq!(feed.interaction, FeedInteraction::Add);
    let h = &feed.header;
    assert_eq!(
        h.message_id,
        Ii::root("22a0f9e0-4454-11dc-a6be-3603d6866807")
    );
    assert_eq!(h.creation_time, "20070803130624");
    assert_eq!(h.processing_code, "P");
    assert_eq!(h.sender_device, Ii::root("1.2.840.114350.1.13.99998.8734"));
    assert_eq!(
        h.receiver_device,
        Ii::root("1.2.840.114350.1.13.99999.4567")
    );
    assert_eq!(feed.patients.len(), 1);
    let p = &feed.patients[0];
    assert_eq!(
        p.ids,
        vec![Ii::new(
            "1.2.840.114350.1.13.99998.8734",
            Some("34827G234".into())
        )]
    );
    assert_eq!(
        p.other_ids,
        vec![Ii::new(
            "1.2.840.114350.1.13.99997.2.3412",
            Some("38273N237".into())
        )]
    );
    let d = &p.demographics;
    assert_eq!(d.names[0].family, "Dean");
    assert_eq!(d.names[0].given, "Jimmy");
    assert_eq!(d.sex, "M");
    assert_eq!(d.birth_date, "19570323");
    assert_eq!(d.addresses[0].street, "3443 S Beach Ave");
    assert_eq!(d.addresses[0].city, "Some City");
    assert_eq!(d.addresses[0].state, "IL");
    assert_eq!(
        p.provider_organization,
        Some(Ii::root("1.2.840.114350.1.13.99998.8734"))
    );
}

#[test]
fn duplicates_resolved_values() {
    let xml = common::read("hl7v3/ihe-iti-info/05_PatientRegistryDuplicatesResolved.xml");
    let feed = v3::parse_feed(&xml, &limits()).unwrap();
    assert_eq!(feed.interaction, FeedInteraction::DuplicatesResolved);
    let p = &feed.patients[0];
    assert_eq!(p.ids[0].extension.as_deref(), Some("34827G409"));
    assert_eq!(
        p.subsumed_ids,
        vec![Ii::new(
            "1.2.840.114350.1.13.99998.8734",
            Some("34827G234".into())
        )]
    );
    let xml = common::read("hl7v3/ipf/iti44-feed/PIX_FEED_MERGE_Maximal_Request.xml");
    let feed = v3::parse_feed(&xml, &limits()).unwrap();
    let p = &feed.patients[0];
    assert_eq!(
        p.ids,
        vec![Ii::new("1.2.3.4.5.1000", Some("120-01".into()))]
    );
    assert_eq!(
        p.subsumed_ids,
        vec![Ii::new("1.2.3.4.666", Some("120-02".into()))]
    );
    assert_eq!(feed.header.message_id.extension.as_deref(), Some("123"));
}

#[test]
fn multi_patient_feed_keeps_every_subject() {
    let xml = common::read("hl7v3/ipf/iti44-feed/iti44-multipatient-request-1.xml");
    let feed = v3::parse_feed(&xml, &limits()).unwrap();
    assert_eq!(feed.patients.len(), 2);
    assert_eq!(feed.patients[0].ids.len(), 2);
}

#[test]
fn query_values() {
    let xml = common::read("hl7v3/ihe-iti-info/06_PIXQuery1.xml");
    let q = v3::parse_query(&xml, &limits()).unwrap();
    assert_eq!(
        q.query_id,
        Ii::new("1.2.840.114350.1.13.99999.4567.34", Some("33452".into()))
    );
    assert_eq!(
        q.patient_identifiers,
        vec![Ii::new(
            "1.2.840.114350.1.13.99997.2.3412",
            Some("38273N237".into())
        )]
    );
    assert!(q.data_sources.is_empty());
    let xml = common::read("hl7v3/ipf/iti45-query/NistPixpdq_Mesa10501-05_Example_01.xml");
    let q = v3::parse_query(&xml, &limits()).unwrap();
    assert_eq!(
        q.data_sources,
        vec!["1.3.6.1.4.1.21367.2005.1.2".to_owned()]
    );
    assert_eq!(
        q.patient_identifiers[0].extension.as_deref(),
        Some("ABC10501")
    );
}

fn meta() -> V3ReplyMeta {
    V3ReplyMeta {
        message_id: Ii::root("7f2a1c4e-0b1d-4d8e-9f00-000000000001"),
        creation_time: "20260101120000".into(),
    }
}

/// Validates with xmllint against a NE2008 multicache schema.
fn assert_valid(xml: &str, interaction: &str) {
    let xsd = common::conformance_dir().join(format!(
        "schemas/ihe-iti/schema/HL7V3/NE2008/multicacheschemas/{interaction}.xsd"
    ));
    let file = std::env::temp_dir().join(format!(
        "hl7-v3-{interaction}-{}-{:?}.xml",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&file, xml).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&xsd)
        .arg(&file)
        .output()
        .expect("xmllint (libxml2-utils) must be installed to validate v3 output");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{interaction} does not validate:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn mcci_ack_validates_and_answers_the_request() {
    let xml = common::read("hl7v3/ihe-iti-info/01_PatientRegistryRecordAdded1.xml");
    let feed = v3::parse_feed(&xml, &limits()).unwrap();
    for (code, detail) in [
        (V3AckCode::AA, None),
        (V3AckCode::CA, None),
        (V3AckCode::AE, Some("Unknown assigning authority 1.2.3 <&>")),
        (V3AckCode::CE, Some("x")),
    ] {
        let ack = v3::mcci_ack(&feed.header, code, detail, &meta());
        assert_valid(&ack, "MCCI_IN000002UV01");
        let back = v3::parse_ack(ack.as_bytes(), &limits()).unwrap();
        assert_eq!(back.code, code.as_str());
        assert_eq!(back.target_message.as_ref(), Some(&feed.header.message_id));
        assert_eq!(
            back.details,
            detail.into_iter().map(str::to_owned).collect::<Vec<_>>()
        );
    }
}

#[test]
fn prpa_in201310_validates_for_every_outcome() {
    let xml = common::read("hl7v3/ipf/iti45-query/NistPixpdq_Mesa10501-05_Example_01.xml");
    let q = v3::parse_query(&xml, &limits()).unwrap();
    let found = vec![
        Ii::new("1.3.6.1.4.1.21367.2005.1.2", Some("XYZ10501".into())),
        Ii::new("1.2.392.200119.6.102.1", Some("0001".into())),
    ];
    for (outcome, ack, response) in [
        (V3QueryOutcome::Found(found.clone()), "AA", "OK"),
        (V3QueryOutcome::NotFound, "AA", "NF"),
        (V3QueryOutcome::UnknownPatientId, "AE", "AE"),
        (
            V3QueryOutcome::UnknownDataSources(vec!["9.9.9".into()]),
            "AE",
            "AE",
        ),
        (
            V3QueryOutcome::Failed("database unavailable".into()),
            "AE",
            "AE",
        ),
    ] {
        let out = v3::prpa_in201310(&q, &outcome, &meta());
        assert_valid(&out, "PRPA_IN201310UV02");
        let back = v3::parse_ack(out.as_bytes(), &limits()).unwrap();
        assert_eq!(back.code, ack, "{outcome:?}");
        assert_eq!(back.target_message.as_ref(), Some(&q.header.message_id));
        assert!(
            out.contains(&format!("<queryResponseCode code=\"{response}\"/>")),
            "{out}"
        );
        let ids_written = found.iter().all(|i| {
            out.contains(&format!(
                "extension=\"{}\"",
                i.extension.as_deref().unwrap()
            ))
        });
        assert_eq!(
            ids_written,
            matches!(outcome, V3QueryOutcome::Found(_)),
            "{out}"
        );
    }
    // The official example's query, answered like the official response.
    let xml = common::read("hl7v3/ihe-iti-info/06_PIXQuery1.xml");
    let q = v3::parse_query(&xml, &limits()).unwrap();
    let out = v3::prpa_in201310(&q, &V3QueryOutcome::Found(found), &meta());
    assert_valid(&out, "PRPA_IN201310UV02");
    assert!(out.contains(
        "<queryId root=\"1.2.840.114350.1.13.99999.4567.34\" extension=\"33452\"/><queryResponseCode code=\"OK\"/>"
    ));
    assert!(out.contains("<receiver typeCode=\"RCV\"><device classCode=\"DEV\" determinerCode=\"INSTANCE\"><id root=\"1.2.840.114350.1.13.99997.2.7788\"/>"));
}

#[test]
fn prpa_in201302_notification_validates_and_reparses() {
    let n = V3Notification {
        sender_device: Ii::root("1.2.392.999.1"),
        receiver_device: Ii::root("1.2.392.999.2"),
        patient_ids: vec![
            Ii::new("1.2.392.999.10", Some("R0001".into())),
            Ii::new("1.2.392.999.11", Some("L-77".into())),
        ],
        demographics: Demographics {
            names: vec![Xpn {
                family: "山田".into(),
                given: "太郎".into(),
                ..Xpn::default()
            }],
            birth_date: "19700101".into(),
            sex: "M".into(),
            addresses: vec![],
        },
        custodian: Ii::root("1.2.392.999"),
    };
    let out = v3::prpa_in201302_notification(&n, &meta());
    assert_valid(&out, "PRPA_IN201302UV02");
    let back = v3::parse_feed(out.as_bytes(), &limits()).unwrap();
    assert_eq!(back.interaction, FeedInteraction::Revise);
    assert_eq!(back.patients[0].ids, n.patient_ids);
    assert_eq!(back.patients[0].demographics, n.demographics);
    assert_eq!(back.header.sender_device, n.sender_device);
    // Without demographics: name nullFlavor, still valid.
    let bare = V3Notification {
        demographics: Demographics::default(),
        ..n
    };
    assert_valid(
        &v3::prpa_in201302_notification(&bare, &meta()),
        "PRPA_IN201302UV02",
    );
}
