//! The public HL7 v2 PIX samples (IPF, MESA, NIST toolkit) parse, and the
//! builders produce the same structure as the IPF reference responses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use hl7::cx::{Cx, Demographics, Hd};
use hl7::pix_v2::{
    self, AckCode, ErrDetail, ErrLocation, ErrorCode, FeedTrigger, PatientFeed, PixQuery,
    QueryName, QueryOutcome, ReplyMeta, UpdateNotification,
};
use hl7::v2::{Charset, Message};

fn meta() -> ReplyMeta {
    ReplyMeta {
        control_id: "REPLY-1".into(),
        timestamp: "20260101120000".into(),
    }
}

#[test]
fn every_ipf_and_mesa_hl7_file_parses() {
    let mut count = 0;
    for dir in ["hl7v2/ipf", "hl7v2/mesa"] {
        for path in common::files(dir, "hl7") {
            let bytes = std::fs::read(&path).unwrap();
            let m = Message::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(m.msh().name(), "MSH");
            assert!(!m.message_type().code.is_empty(), "{}", path.display());
            assert!(!m.control_id().is_empty(), "{}", path.display());
            count += 1;
        }
    }
    assert!(count >= 40, "only {count} samples");
}

#[test]
fn nist_toolkit_templates_parse() {
    for name in ["A01.txt", "A43.txt", "ACK.txt"] {
        let bytes = common::read(&format!("hl7v2/nist-toolkit-templates/{name}"));
        Message::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // This template's PID is wrapped onto a second line starting with `|`:
    // a segment without a name, refused rather than guessed.
    let wrapped = common::read("hl7v2/nist-toolkit-templates/A01-2.txt");
    assert!(matches!(
        Message::parse(&wrapped),
        Err(hl7::v2::ParseError::BadSegmentName { index: 4, .. })
    ));
}

#[test]
fn every_mesa_feed_and_query_is_typed() {
    for path in common::files("hl7v2/mesa", "hl7") {
        let m = Message::parse(&std::fs::read(&path).unwrap()).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with("q23.hl7") {
            let q = PixQuery::from_message(&m).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(q.query_name, QueryName::Qry1001);
            assert!(q.query_tag.starts_with("QRY"), "{name}");
            assert!(!q.person_id.id.is_empty());
            assert!(q.what_domains.is_empty());
            assert_eq!(q.response_priority, "I");
        } else {
            let f = PatientFeed::from_message(&m).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(f.control_id, m.control_id());
            for r in &f.records {
                for id in &r.identifiers {
                    assert!(id.authority_oid().is_some(), "{name}: {id:?}");
                }
                assert!(!r.demographics.names.is_empty(), "{name}");
            }
        }
    }
}

#[test]
fn mesa_10501_query_reads_qpd3() {
    let m = Message::parse(&common::read("hl7v2/mesa/10501/10501.108.q23.hl7")).unwrap();
    let q = PixQuery::from_message(&m).unwrap();
    assert_eq!(q.person_id.id, "PIX10501");
    assert_eq!(q.person_id.assigning_authority.namespace_id, "HIMSS2005");
    assert_eq!(
        q.person_id.authority_oid(),
        Some("1.3.6.1.4.1.21367.2005.1.1")
    );
    assert_eq!(q.person_id.identifier_type_code, "PI");
    assert_eq!(q.query_tag, "QRY10501108");
    assert_eq!(q.control_id, "10501108");
}

#[test]
fn mesa_10515_merge_names_surviving_and_subsumed_ids() {
    let m = Message::parse(&common::read("hl7v2/mesa/10515/10515.108.a40.hl7")).unwrap();
    let f = PatientFeed::from_message(&m).unwrap();
    assert_eq!(f.trigger, FeedTrigger::A40);
    assert_eq!(f.records.len(), 1);
    assert_eq!(f.records[0].identifiers[0].id, "PIX10515L");
    assert_eq!(f.records[0].prior_identifiers[0].id, "PIX10515W");
    assert_eq!(
        f.records[0].prior_identifiers[0].authority_oid(),
        Some("1.3.6.1.4.1.21367.2005.1.1")
    );
}

#[test]
fn ipf_a04_has_three_ids_and_demographics() {
    let m = Message::parse(&common::read("hl7v2/ipf/iti8-feed/A04.hl7")).unwrap();
    let f = PatientFeed::from_message(&m).unwrap();
    assert_eq!(f.trigger, FeedTrigger::A04);
    assert!(f.trigger.is_create());
    assert_eq!(f.control_id, "205632");
    assert_eq!(f.version, "2.3.1");
    let r = &f.records[0];
    let ids: Vec<(&str, Option<&str>)> = r
        .identifiers
        .iter()
        .map(|c| (c.id.as_str(), c.authority_oid()))
        .collect();
    assert_eq!(
        ids,
        vec![
            ("305090", Some("2.16.840.1.113883.3.37.4.1.1.2.1.1")),
            ("13278", Some("2.16.840.1.113883.3.37.4.1.1.2.411.1")),
            ("02777", Some("1.3.6.1.4.1.21367.2005.1.2")),
        ]
    );
    let d = &r.demographics;
    assert_eq!(d.names[0].family, "Hiccock");
    assert_eq!(d.names[0].given, "WildBill");
    assert_eq!(d.names[0].name_type_code, "L");
    assert_eq!(d.birth_date, "19770114");
    assert_eq!(d.sex, "U");
    assert_eq!(d.addresses[0].city, "Walldorf");
    assert_eq!(d.addresses[0].postal_code, "69226");
    assert_eq!(d.addresses[0].country, "DEU");
}

#[test]
fn ipf_feed_samples_give_the_expected_result_or_error() {
    let feed = |rel: &str| {
        let m = Message::parse(&common::read(&format!("hl7v2/ipf/iti8-feed/{rel}"))).unwrap();
        PatientFeed::from_message(&m)
    };
    assert_eq!(feed("A01.hl7").unwrap().trigger, FeedTrigger::A01);
    assert_eq!(feed("A08.hl7").unwrap().trigger, FeedTrigger::A08);
    assert_eq!(
        feed("A01_with_BR.hl7").unwrap().records[0]
            .demographics
            .names
            .len(),
        2
    );
    let a40 = feed("A40.hl7").unwrap();
    assert_eq!(a40.records[0].identifiers[0].id, "142025");
    assert_eq!(a40.records[0].prior_identifiers[0].id, "704686");
    for rel in [
        "PIX_FEED_REG_Maximal_Request.hl7",
        "PIX_FEED_REV_Maximal_Request.hl7",
        "PIX_FEED_MERGE_Maximal_Request.hl7",
    ] {
        feed(rel).unwrap_or_else(|e| panic!("{rel}: {e}"));
    }

    // A10 is not a PIX event: AR, 201.
    let e = feed("A10.hl7").unwrap_err();
    assert_eq!(e.ack_code, AckCode::AR);
    assert_eq!(e.detail.code, ErrorCode::UnsupportedEventCode);

    // No PID at all.
    let e = feed("mllp-iti8-a01-incomplete.hl7").unwrap_err();
    assert_eq!(e.ack_code, AckCode::AE);
    assert_eq!(e.detail.code, ErrorCode::SegmentSequenceError);

    // PID-3 without assigning authority.
    let e = feed("mllp-hl7v2message.hl7").unwrap_err();
    assert_eq!(e.detail.code, ErrorCode::RequiredFieldMissing);
    assert_eq!(e.detail.locations[0].to_string(), "PID^1^3^1^4");

    // MRG-1 first repetition without assigning authority.
    let e = feed("mllp-iti8-a40.hl7").unwrap_err();
    assert_eq!(e.detail.locations[0].to_string(), "MRG^1^1^1^4");
}

/// The request a response sample answers: MSH swapped back, MSH-10 = MSA-2,
/// the response's QPD.
fn request_for(response: &Message) -> Message {
    let msh = response.msh();
    let raw = |n| msh.field(n).unwrap().raw().to_owned();
    let msa = response.segment("MSA").unwrap();
    let qpd = response
        .segment("QPD")
        .map(|s| s.raw().to_owned())
        .unwrap_or_else(|| "QPD|IHE PIX Query|TAG|1^^^&1.2.3&ISO".to_owned());
    let text = format!(
        "MSH|^~\\&|{}|{}|{}|{}|20260101||QBP^Q23^QBP_Q21|{}|{}|2.5\r{qpd}\rRCP|I\r",
        raw(5),
        raw(6),
        raw(3),
        raw(4),
        msa.field(2).unwrap().raw(),
        raw(11),
    );
    Message::parse(text.as_bytes()).unwrap()
}

fn pid3(message: &Message) -> Vec<Cx> {
    message
        .segment("PID")
        .and_then(|p| p.field(3))
        .map(|f| f.repetitions().map(|r| Cx::from_repetition(&r)).collect())
        .unwrap_or_default()
}

/// Segment-by-segment comparison, ignoring MSH-7, MSH-10, PID-1 and texts.
fn assert_same_structure(ours: &Message, theirs: &Message, label: &str) {
    let names = |m: &Message| {
        m.segments()
            .map(|s| s.name().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(ours), names(theirs), "{label}: segments");
    let field = |m: &Message, seg: &str, n: usize| {
        m.segment(seg)
            .and_then(|s| s.field(n))
            .map(|f| f.raw().to_owned())
            .unwrap_or_default()
    };
    for n in [3, 4, 5, 6, 9, 12] {
        assert_eq!(
            field(ours, "MSH", n),
            field(theirs, "MSH", n),
            "{label}: MSH-{n}"
        );
    }
    for (seg, fields) in [
        ("MSA", &[1, 2][..]),
        ("QAK", &[1, 2][..]),
        ("QPD", &[1, 2, 3, 4][..]),
        ("PID", &[3, 5][..]),
        ("ERR", &[2, 4][..]),
    ] {
        for &n in fields {
            assert_eq!(
                field(ours, seg, n),
                field(theirs, seg, n),
                "{label}: {seg}-{n}"
            );
        }
    }
    let err3 = |m: &Message| {
        m.segment("ERR")
            .and_then(|s| s.field(3))
            .map(|f| f.component(1).into_owned())
    };
    assert_eq!(err3(ours), err3(theirs), "{label}: ERR-3.1");
}

#[test]
fn rsp_k23_matches_the_ipf_responses() {
    let dir = "hl7v2/ipf/iti9-query-responses";
    for name in [
        "ok-1_Response.hl7",
        "ok-2_Response.hl7",
        "ok-3_Response.hl7",
        "ok-4_Response.hl7",
        "rsp-k23-ok-tplus.hl7",
        "nf-1_Response.hl7",
        "nf-2_Response.hl7",
        "err-1_Response.hl7",
    ] {
        let theirs = Message::parse(&common::read(&format!("{dir}/{name}"))).unwrap();
        let request = request_for(&theirs);
        let query = PixQuery::from_message(&request).unwrap();
        let outcome = match theirs.segment("QAK").unwrap().value(2).as_ref() {
            "OK" => QueryOutcome::Found(pid3(&theirs)),
            "NF" => QueryOutcome::NotFound,
            _ => QueryOutcome::UnknownPersonId,
        };
        let ours = pix_v2::rsp_k23(&request, &outcome, &meta()).unwrap();
        assert_same_structure(&ours, &theirs, name);
        assert_eq!(ours.control_id(), "REPLY-1");
        assert_eq!(query.control_id, theirs.segment("MSA").unwrap().value(2));
    }
}

#[test]
fn unknown_domain_ack_matches_ipf_err_2() {
    let theirs = Message::parse(&common::read(
        "hl7v2/ipf/iti9-query-responses/err-2_Response.hl7",
    ))
    .unwrap();
    let request = request_for(&theirs);
    let detail = ErrDetail {
        code: ErrorCode::UnknownKeyIdentifier,
        locations: [2, 3]
            .into_iter()
            .map(|n| {
                let mut l = ErrLocation::field("QPD", 4);
                l.repetition = Some(n);
                l
            })
            .collect(),
        message: String::new(),
    };
    let ours = pix_v2::ack(&request, AckCode::AR, Some(&detail), &meta()).unwrap();
    assert_eq!(ours.message_type().code, "ACK");
    assert_eq!(ours.message_type().trigger, "Q23");
    let err = |m: &Message, n| m.segment("ERR").unwrap().field(n).unwrap().raw().to_owned();
    assert_eq!(err(&ours, 2), err(&theirs, 2));
    assert_eq!(err(&ours, 3), err(&theirs, 3));
    assert_eq!(err(&ours, 4), "E");
    assert_eq!(ours.segment("MSA").unwrap().value(2), "10501108");
}

#[test]
fn unknown_domain_rsp_lists_every_repetition() {
    let request = Message::parse(
        b"MSH|^~\\&|C|F|HUB|H|20260101||QBP^Q23^QBP_Q21|Q1|P|2.5\r\
QPD|IHE PIX Query|T1|1^^^&1.2.3&ISO|^^^&1.2.4&ISO~^^^&9.9&ISO\rRCP|I\r",
    )
    .unwrap();
    let q = PixQuery::from_message(&request).unwrap();
    assert_eq!(q.query_name, QueryName::IhePixQuery);
    assert_eq!(q.what_domains, vec![Hd::oid("1.2.4"), Hd::oid("9.9")]);
    let rsp = pix_v2::rsp_k23(&request, &QueryOutcome::UnknownDomains(vec![2]), &meta()).unwrap();
    assert_eq!(
        rsp.to_er7(),
        "MSH|^~\\&|HUB|H|C|F|20260101120000||RSP^K23^RSP_K23|REPLY-1|P|2.5\r\
MSA|AE|Q1\r\
ERR||QPD^1^4^2|204^Unknown key identifier^HL70357|E||||Unknown domain requested in QPD-4\r\
QAK|T1|AE\r\
QPD|IHE PIX Query|T1|1^^^&1.2.3&ISO|^^^&1.2.4&ISO~^^^&9.9&ISO\r"
    );
    let with_gap = Message::parse(
        b"MSH|^~\\&|C|F|HUB|H|1||QBP^Q23|Q2|P|2.5\rQPD|IHE PIX Query|T2|1^^^&1.2.3&ISO|^^^&1.2.4&ISO~~^^^&9.9&ISO\r",
    )
    .unwrap();
    let q = PixQuery::from_message(&with_gap).unwrap();
    assert_eq!(q.what_domains[2], Hd::oid("9.9"));
    assert!(q.what_domains[1].is_empty());
    let rsp = pix_v2::rsp_k23(&request, &QueryOutcome::UnknownAuthority, &meta()).unwrap();
    assert_eq!(
        rsp.segment("ERR").unwrap().field(2).unwrap().raw(),
        "QPD^1^3^1^4"
    );
}

#[test]
fn adt_a31_matches_the_ipf_notifications() {
    for name in ["adt-a31-1.hl7", "adt-a31-2.hl7"] {
        let theirs = Message::parse(&common::read(&format!(
            "hl7v2/ipf/iti10-update-notification/{name}"
        )))
        .unwrap();
        let n = UpdateNotification {
            sending_application: theirs.sending_application(),
            sending_facility: theirs.sending_facility(),
            receiving_application: theirs.receiving_application(),
            receiving_facility: theirs.receiving_facility(),
            identifiers: pid3(&theirs),
            demographics: Demographics::default(),
            charset: Charset::Default,
            charset_field: String::new(),
        };
        let ours = pix_v2::adt_a31(&n, &meta()).unwrap();
        let strip = |m: &Message| {
            m.segments()
                .map(|s| {
                    let mut fields: Vec<&str> = s.raw().split('|').collect();
                    match s.name() {
                        // MSH-7, MSH-10, MSH-11 (P vs P^T): split index n-1.
                        "MSH" => {
                            for i in [6, 9, 10] {
                                fields[i] = "";
                            }
                        }
                        "EVN" => fields[2] = "",
                        _ => {}
                    }
                    fields.join("|")
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&ours), strip(&theirs), "{name}");
    }
}

#[test]
fn parse_ack_reads_msa_and_err() {
    let ack = Message::parse(
        b"MSH|^~\\&|C|F|HUB|H|20260101||ACK^A31^ACK|9|P|2.5\rMSA|AE|REPLY-1\rERR||PID^1^3|204^Unknown key identifier^HL70357|E||||no such id\r",
    )
    .unwrap();
    let r = pix_v2::parse_ack(&ack).unwrap();
    assert_eq!(r.code, AckCode::AE);
    assert_eq!(r.acknowledged_control_id, "REPLY-1");
    assert_eq!(r.errors, vec![ErrorCode::UnknownKeyIdentifier]);
    assert_eq!(r.text, "no such id");
    let nist = Message::parse(&common::read("hl7v2/nist-toolkit-templates/ACK.txt")).unwrap();
    let r = pix_v2::parse_ack(&nist).unwrap();
    assert_eq!(
        (r.code, r.acknowledged_control_id.as_str()),
        (AckCode::AA, "HL7MSG00001")
    );
    let no_msa = Message::parse(b"MSH|^~\\&|C|F|HUB|H|20260101||ACK|9|P|2.5\r").unwrap();
    assert!(pix_v2::parse_ack(&no_msa).is_err());
}

#[test]
fn ack_for_v231_feed_has_err1_and_msa3() {
    let request = Message::parse(&common::read("hl7v2/ipf/iti8-feed/A10.hl7")).unwrap();
    let e = PatientFeed::from_message(&request).unwrap_err();
    let ack = pix_v2::ack(&request, e.ack_code, Some(&e.detail), &meta()).unwrap();
    let er7 = ack.to_er7();
    assert!(
        er7.starts_with("MSH|^~\\&|PIXV3FeedTransformer|PIXV3FeedTransformer|ICW_MPI|ICW|20260101120000||ACK^A10^ACK|REPLY-1|P^T|2.3.1\r"),
        "{er7}"
    );
    let msa = ack.segment("MSA").unwrap();
    assert_eq!(msa.value(1), "AR");
    assert_eq!(msa.value(2), "371601");
    assert!(!msa.value(3).is_empty());
    let err = ack.segment("ERR").unwrap();
    assert_eq!(
        err.field(1).unwrap().raw(),
        "MSH^1^9^201&Unsupported event code&HL70357"
    );
    assert_eq!(err.field(3).unwrap().component(1), "201");
}
