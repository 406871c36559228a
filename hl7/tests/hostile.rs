//! Hostile input: every case is an error, never a panic or a hang.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::{BufMut, BytesMut};
use hl7::mllp::{MllpCodec, MllpError};
use hl7::pix_v2::{PatientFeed, PixQuery, parse_ack};
use hl7::v2::{Message, ParseError, ParseLimits};
use hl7::v3::{self, V3Error, V3Limits};
use tokio_util::codec::Decoder;

#[test]
fn missing_msh() {
    assert_eq!(Message::parse(b""), Err(ParseError::Empty));
    assert_eq!(Message::parse(b"\r\n \r"), Err(ParseError::Empty));
    assert_eq!(
        Message::parse(b"PID|||1\rMSH|^~\\&|A\r"),
        Err(ParseError::MissingMsh)
    );
    assert_eq!(Message::parse(b"MSH"), Err(ParseError::MissingMsh));
    assert_eq!(Message::parse(b"MS"), Err(ParseError::MissingMsh));
}

#[test]
fn bad_encoding_characters() {
    for bad in [
        &b"MSH|^~\\|A|B\r"[..], // MSH-2 too short
        b"MSH|^~^&|A|B\r",      // duplicate delimiter
        b"MSH|^~\\&&&&|A|B\r",  // MSH-2 too long
        b"MSH|^~\\|",           // too short, no more fields
        b"MSHA^~\\&A|B\r",      // alphanumeric field separator
        b"MSH ^~\\& A B\r",     // space as field separator
        b"MSH|^ \\&|A\r",       // space as repetition separator
        b"MSH|||||\r",          // empty MSH-2
    ] {
        let err = Message::parse(bad).unwrap_err();
        assert!(
            matches!(
                err,
                ParseError::BadEncodingCharacters(_) | ParseError::MissingMsh
            ),
            "{:?}: {err:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn other_legal_delimiters_work() {
    let m = Message::parse(
        b"MSH#!$%@#SRC#FAC#HUB#HUB#2026##ADT!A04!ADT_A01#C1#P#2.5\rPID###7!!!@1.2.3@ISO$8!!!@1.2.4@ISO##A%F%B!C\r",
    )
    .unwrap();
    let f = PatientFeed::from_message(&m).unwrap();
    let ids = &f.records[0].identifiers;
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[1].authority_oid(), Some("1.2.4"));
    assert_eq!(f.records[0].demographics.names[0].family, "A#B");
    assert_eq!(f.records[0].demographics.names[0].given, "C");
}

#[test]
fn bad_segment_names_and_garbage() {
    assert!(matches!(
        Message::parse(b"MSH|^~\\&|A\r\x00\x01\x02|x\r"),
        Err(ParseError::BadSegmentName { index: 2, .. })
    ));
    assert!(matches!(
        Message::parse(b"MSH|^~\\&|A\rpid|x\r"),
        Err(ParseError::BadSegmentName { .. })
    ));
    // Random bytes (deterministic LCG): never a panic, whatever the prefix.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as u8
    };
    let alphabet = b"MSH|^~\\&\r\n\x1bA$B(0123PIDQ\x80\xff";
    for round in 0..20_000 {
        let len = (next() as usize) % 200;
        let mut bytes: Vec<u8> = if round % 2 == 0 {
            b"MSH|^~\\&|".to_vec()
        } else {
            Vec::new()
        };
        bytes.extend((0..len).map(|_| {
            let b = next();
            alphabet[(b as usize) % alphabet.len()]
        }));
        if let Ok(m) = Message::parse(&bytes) {
            let _ = PatientFeed::from_message(&m);
            let _ = PixQuery::from_message(&m);
            let _ = parse_ack(&m);
            let _ = m.encode();
            for s in m.segments() {
                for n in 0..s.field_count() + 2 {
                    if let Some(f) = s.field(n) {
                        let _ = f.component(2);
                        let _ = f.value();
                    }
                }
            }
        }
    }
}

#[test]
fn size_segment_and_field_limits() {
    let limits = ParseLimits::default();
    let mut huge = b"MSH|^~\\&|A|B|C|D|1||ADT^A04|1|P|2.5\rPID|||".to_vec();
    huge.extend(std::iter::repeat_n(b'A', 10 * 1024 * 1024));
    assert!(matches!(
        Message::parse(&huge),
        Err(ParseError::TooLarge { .. })
    ));
    let mut many = b"MSH|^~\\&|A\r".to_vec();
    for _ in 0..=limits.max_segments {
        many.extend_from_slice(b"NTE|x\r");
    }
    assert!(matches!(
        Message::parse(&many),
        Err(ParseError::TooManySegments { .. })
    ));
    let mut wide = b"MSH|^~\\&|A\rNTE".to_vec();
    wide.extend(std::iter::repeat_n(b'|', limits.max_fields + 1));
    assert!(matches!(
        Message::parse(&wide),
        Err(ParseError::TooManyFields { .. })
    ));
}

#[test]
fn mllp_truncated_and_oversized_and_garbage() {
    let mut codec = MllpCodec::new();
    let mut buf = BytesMut::from(&b"\x0bMSH|^~\\&|A"[..]);
    assert!(codec.decode(&mut buf).unwrap().is_none());
    assert!(matches!(
        codec.decode_eof(&mut buf),
        Err(MllpError::Truncated { .. })
    ));

    let mut codec = MllpCodec::new();
    let mut buf = BytesMut::new();
    buf.put_u8(0x0b);
    buf.put_slice(&vec![b'X'; 10 * 1024 * 1024]);
    assert!(matches!(
        codec.decode(&mut buf),
        Err(MllpError::FrameTooLarge { .. })
    ));

    let mut codec = MllpCodec::new();
    let mut buf = BytesMut::from(&b"\x16\x03\x01\x02\x00"[..]); // a TLS ClientHello on a plain port
    assert!(matches!(
        codec.decode(&mut buf),
        Err(MllpError::BytesBeforeStartBlock { byte: 0x16 })
    ));
}

const V3_HEAD: &str = r#"<PRPA_IN201309UV02 xmlns="urn:hl7-org:v3" ITSVersion="XML_1.0">"#;

#[test]
fn v3_dtd_and_entities_are_refused() {
    let xxe = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{V3_HEAD}<id root=\"&x;\"/></PRPA_IN201309UV02>"
    );
    assert!(matches!(
        v3::parse_query(xxe.as_bytes(), &V3Limits::default()),
        Err(V3Error::Xml(soap::XmlLimitError::DocType))
    ));
    let entity = format!("{V3_HEAD}<id root=\"&x;\"/></PRPA_IN201309UV02>");
    assert!(v3::parse_query(entity.as_bytes(), &V3Limits::default()).is_err());
    let text_entity = format!("{V3_HEAD}<x>&lol;</x></PRPA_IN201309UV02>");
    assert!(v3::parse_query(text_entity.as_bytes(), &V3Limits::default()).is_err());
}

#[test]
fn v3_deep_huge_and_garbage_are_refused() {
    let deep = format!(
        "{V3_HEAD}{}{}</PRPA_IN201309UV02>",
        "<a>".repeat(10_000),
        "</a>".repeat(10_000)
    );
    assert!(matches!(
        v3::parse_query(deep.as_bytes(), &V3Limits::default()),
        Err(V3Error::Xml(soap::XmlLimitError::TooDeep { .. }))
    ));
    let huge = format!(
        "{V3_HEAD}<x>{}</x></PRPA_IN201309UV02>",
        "A".repeat(5 * 1024 * 1024)
    );
    assert!(matches!(
        v3::parse_query(huge.as_bytes(), &V3Limits::default()),
        Err(V3Error::Xml(soap::XmlLimitError::TooLarge { .. }))
    ));
    let long_text = format!(
        "{V3_HEAD}<x>{}</x></PRPA_IN201309UV02>",
        "A".repeat(100 * 1024)
    );
    assert!(matches!(
        v3::parse_query(long_text.as_bytes(), &V3Limits::default()),
        Err(V3Error::Limit(_))
    ));
    let wide = format!("{V3_HEAD}{}</PRPA_IN201309UV02>", "<x/>".repeat(30_000));
    assert!(matches!(
        v3::parse_query(wide.as_bytes(), &V3Limits::default()),
        Err(V3Error::Limit(_))
    ));
    for garbage in [
        &b""[..],
        b"\xff\xfe\x00<",
        b"<a><b></a>",
        b"<PRPA_IN201309UV02 xmlns=\"urn:hl7-org:v3\">",
        b"<x:PRPA_IN201309UV02/>",
        b"not xml at all",
        b"<a/><b/>",
    ] {
        assert!(
            v3::parse_message(garbage, &V3Limits::default()).is_err(),
            "{:?}",
            String::from_utf8_lossy(garbage)
        );
    }
    // Right name, wrong namespace.
    assert!(matches!(
        v3::parse_query(b"<PRPA_IN201309UV02/>", &V3Limits::default()),
        Err(V3Error::UnsupportedInteraction(_))
    ));
}

#[test]
fn v3_control_characters_are_refused() {
    let xml = format!("{V3_HEAD}<id root=\"1\x01\"/></PRPA_IN201309UV02>");
    assert!(matches!(
        v3::parse_query(xml.as_bytes(), &V3Limits::default()),
        Err(V3Error::Malformed(_))
    ));
}

#[test]
fn mllp_unbounded_limit_does_not_overflow() {
    let mut codec = MllpCodec::with_max_frame_len(usize::MAX);
    let mut buf = BytesMut::from(&b"\x0bMSH|"[..]);
    assert!(codec.decode(&mut buf).unwrap().is_none());
    buf.extend_from_slice(b"\x1c\x0d");
    assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), &b"MSH|"[..]);
}

#[test]
fn unparsable_body_is_still_answered_from_its_header() {
    use hl7::pix_v2::{self, AckCode, ErrDetail, ErrorCode, ReplyMeta};
    let mut bytes =
        b"MSH|^~\\&|SRC|FAC|HUB|HUB|20260101||ADT^A04^ADT_A01|C-77|P|2.5||||||~ISO IR87\r\
PID|||1^^^&1.2.3&ISO||\x1b$B\x01\x02\x1b(B\r"
            .to_vec();
    let err = Message::parse(&bytes).unwrap_err();
    assert!(matches!(err, ParseError::InvalidText { .. }));
    let header = Message::parse_header(&bytes).unwrap();
    assert_eq!(header.segment_count(), 1);
    let detail = ErrDetail::from(&err);
    assert_eq!(detail.code, ErrorCode::DataTypeError);
    let meta = ReplyMeta {
        control_id: "R".into(),
        timestamp: "1".into(),
    };
    let ack = pix_v2::ack(&header, AckCode::AR, Some(&detail), &meta).unwrap();
    let reply = pix_v2::parse_ack(&Message::parse(&ack.encode().unwrap()).unwrap()).unwrap();
    assert_eq!(reply.code, AckCode::AR);
    assert_eq!(reply.acknowledged_control_id, "C-77");
    assert_eq!(reply.errors, vec![ErrorCode::DataTypeError]);
    // A header that is itself broken stays an error.
    bytes.splice(4..8, b"^~^&".iter().copied());
    assert!(Message::parse_header(&bytes).is_err());
}

#[test]
fn truncation_character_is_checked_and_survives_a_round_trip() {
    // Fuzzer finding: a 5th MSH-2 character and no segment terminator.
    assert!(Message::parse(b"MSH|^%~\\\xd8").is_err());
    let m = Message::parse(b"MSH|^~\\&#|A").unwrap();
    let again = Message::parse(&m.encode().unwrap()).unwrap();
    assert_eq!(again.to_er7(), m.to_er7());
    assert!(Message::parse(b"MSH|^~\\&^|A").is_err());
}
