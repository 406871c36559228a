//! MSH-18 character sets: Japanese feeds in ISO-2022-JP (JIS X 0208 bytes
//! include `|^~\&`), UTF-8, Shift_JIS, ISO-8859-1; replies in the request's
//! charset.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hl7::pix_v2::{self, AckCode, PatientFeed, ReplyMeta};
use hl7::v2::{Charset, Message, ParseError};

const YAMADA: &[u8] = b"\x1b$B;3ED\x1b(B"; // 山田
const TARO: &[u8] = b"\x1b$BB@O:\x1b(B"; // 太郎
const HINO: &[u8] = b"\x1b$BF|Ln\x1b(B"; // 日野: second byte of 日 is `|`
const AI: &[u8] = b"\x1b$B0&\x1b(B"; // 愛: second byte is `&`
const TOKYO: &[u8] = b"\x1b$BEl5~ET\x1b(B"; // 東京都: contains `~`
const MINATO: &[u8] = b"\x1b$B9A6h\x1b(B"; // 港区

fn feed(family: &[u8], given: &[u8], city: &[u8], state: &[u8]) -> Vec<u8> {
    let mut m =
        b"MSH|^~\\&|SSMIX|CLINIC|HUB|REGION|20260101||ADT^A04^ADT_A01|J1|P|2.5|||||JPN|~ISO IR87\r\
EVN|A04|20260101\rPID|||0001^^^&1.2.392.200119.6.102.1234567890&ISO^PI||"
            .to_vec();
    m.extend_from_slice(family);
    m.push(b'^');
    m.extend_from_slice(given);
    m.extend_from_slice(b"^^^^^L^I||19700101|M|||^^");
    m.extend_from_slice(city);
    m.push(b'^');
    m.extend_from_slice(state);
    m.extend_from_slice(b"^105-0011^JPN^H\rPV1||O\r");
    m
}

fn meta() -> ReplyMeta {
    ReplyMeta {
        control_id: "R1".into(),
        timestamp: "20260101000000".into(),
    }
}

#[test]
fn iso_2022_jp_name_round_trips() {
    let bytes = feed(YAMADA, TARO, MINATO, TOKYO);
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.charset(), Charset::Iso2022Jp);
    assert_eq!(m.charset_field(), "~ISO IR87");
    let f = PatientFeed::from_message(&m).unwrap();
    let d = &f.records[0].demographics;
    assert_eq!(d.names[0].family, "山田");
    assert_eq!(d.names[0].given, "太郎");
    assert_eq!(d.names[0].representation_code, "I");
    assert_eq!(d.addresses[0].city, "港区");
    assert_eq!(d.addresses[0].state, "東京都");
    assert_eq!(m.encode().unwrap(), bytes);
}

#[test]
fn delimiter_bytes_inside_kanji_are_not_delimiters() {
    let bytes = feed(HINO, AI, MINATO, TOKYO);
    let m = Message::parse(&bytes).unwrap();
    let f = PatientFeed::from_message(&m).unwrap();
    let d = &f.records[0].demographics;
    assert_eq!(d.names[0].family, "日野");
    assert_eq!(d.names[0].given, "愛");
    assert_eq!(d.addresses[0].state, "東京都");
    assert_eq!(d.addresses[0].postal_code, "105-0011");
    assert_eq!(d.birth_date, "19700101");
    assert_eq!(m.encode().unwrap(), bytes);
}

#[test]
fn ack_to_a_jis_request_is_in_iso_2022_jp() {
    let mut bytes = feed(YAMADA, TARO, MINATO, TOKYO);
    // A kanji sending facility: the reply's MSH-5 copies it.
    let pos = bytes.windows(6).position(|w| w == b"CLINIC").unwrap();
    bytes.splice(pos..pos + 6, YAMADA.iter().copied());
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.sending_facility().namespace_id, "山田");
    let ack = pix_v2::ack(&m, AckCode::AA, None, &meta()).unwrap();
    assert_eq!(ack.charset(), Charset::Iso2022Jp);
    let wire = ack.encode().unwrap();
    let mut expected = b"MSH|^~\\&|HUB|REGION|SSMIX|".to_vec();
    expected.extend_from_slice(YAMADA);
    expected
        .extend_from_slice(b"|20260101000000||ACK^A04^ACK|R1|P|2.5||||||~ISO IR87\rMSA|AA|J1\r");
    assert_eq!(wire, expected);
    assert_eq!(
        Message::parse(&wire)
            .unwrap()
            .receiving_facility()
            .namespace_id,
        "山田"
    );
}

#[test]
fn utf8_name_round_trips() {
    let text = "MSH|^~\\&|A|B|C|D|20260101||ADT^A04^ADT_A01|U1|P|2.5||||||UNICODE UTF-8\r\
PID|||1^^^&1.2.3&ISO||山田^太郎||19700101|F\rPV1||O\r";
    let m = Message::parse(text.as_bytes()).unwrap();
    assert_eq!(m.charset(), Charset::Utf8);
    let f = PatientFeed::from_message(&m).unwrap();
    assert_eq!(f.records[0].demographics.names[0].family, "山田");
    assert_eq!(f.records[0].demographics.names[0].given, "太郎");
    assert_eq!(m.encode().unwrap(), text.as_bytes());
}

#[test]
fn shift_jis_is_decoded_when_declared() {
    let mut bytes =
        b"MSH|^~\\&|A|B|C|D|20260101||ADT^A04|S1|P|2.5||||||SJIS\rPID|||1^^^&1.2.3&ISO||".to_vec();
    bytes.extend_from_slice(b"\x8eR\x93c^\x91\xbe\x98Y"); // 山田^太郎
    bytes.extend_from_slice(b"\rPV1||O\r");
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.charset(), Charset::ShiftJis);
    let f = PatientFeed::from_message(&m).unwrap();
    assert_eq!(f.records[0].demographics.names[0].family, "山田");
    assert_eq!(m.encode().unwrap(), bytes);
}

#[test]
fn latin1_is_decoded() {
    let mut bytes =
        b"MSH|^~\\&|A|B|C|D|20260101||ADT^A04|L1|P|2.5||||||8859/1\rPID|||1^^^&1.2.3&ISO||M"
            .to_vec();
    bytes.extend_from_slice(b"\xfcller^J\xfcrgen\r"); // Müller^Jürgen
    let m = Message::parse(&bytes).unwrap();
    let f = PatientFeed::from_message(&m).unwrap();
    assert_eq!(f.records[0].demographics.names[0].family, "Müller");
    assert_eq!(m.encode().unwrap(), bytes);
}

#[test]
fn invalid_iso_2022_jp_is_refused() {
    // ESC $ B followed by bytes outside the JIS X 0208 range.
    let bytes = feed(b"\x1b$B\x01\x02\x1b(B", TARO, MINATO, TOKYO);
    assert!(matches!(
        Message::parse(&bytes),
        Err(ParseError::InvalidText { .. })
    ));
    // Raw 8-bit bytes are not ISO-2022-JP either.
    let bytes = feed(b"\x8eR\x93c", TARO, MINATO, TOKYO);
    assert!(matches!(
        Message::parse(&bytes),
        Err(ParseError::InvalidText { .. })
    ));
}

#[test]
fn invalid_utf8_when_declared_is_refused_and_unknown_charset_too() {
    let bytes = b"MSH|^~\\&|A|B|C|D|20260101||ADT^A04|U1|P|2.5||||||UNICODE UTF-8\rPID|||\xff\r";
    assert!(matches!(
        Message::parse(bytes),
        Err(ParseError::InvalidText { charset: "UTF-8" })
    ));
    let bytes = b"MSH|^~\\&|A|B|C|D|20260101||ADT^A04|U1|P|2.5||||||EBCDIC\r";
    assert!(matches!(
        Message::parse(bytes),
        Err(ParseError::UnsupportedCharset(_))
    ));
}

#[test]
fn reply_with_a_character_the_charset_lacks_is_an_encode_error() {
    let m = Message::parse(b"MSH|^~\\&|A|B|C|D|20260101||ADT^A04|U1|P|2.5||||||ASCII\r").unwrap();
    let meta = ReplyMeta {
        control_id: "é".into(),
        timestamp: "1".into(),
    };
    let ack = pix_v2::ack(&m, AckCode::AA, None, &meta).unwrap();
    assert!(ack.encode().is_err());
}

#[test]
fn jis_x0201_katakana_with_a_caret_byte_decodes() {
    // ﾔﾏﾀﾞ in ISO 2022 JIS X 0201 katakana mode: the dakuten ﾞ is byte 0x5E `^`.
    let bytes = b"MSH|^~\\&|A|B|C|D|20260101||ADT^A04|K1|P|2.5||||||~ISO IR13\r\
PID|||1^^^&1.2.3&ISO||\x1b(ITO@^\x1b(B^\x1b(I[[\x1b(B\rPV1||O\r";
    let m = Message::parse(bytes).unwrap();
    let f = PatientFeed::from_message(&m).unwrap();
    assert_eq!(f.records[0].demographics.names[0].family, "ﾔﾏﾀﾞ");
    assert_eq!(f.records[0].demographics.names[0].given, "ﾛﾛ");
    // Half-width katakana are written back as JIS X 0201, not widened.
    assert_eq!(m.charset(), Charset::Iso2022Jp);
    assert_eq!(m.encode().unwrap(), bytes);
    let mixed = Charset::Iso2022Jp.encode("山ﾀﾞ田a").unwrap();
    assert_eq!(mixed, b"\x1b$B;3\x1b(I@^\x1b$BED\x1b(Ba");
    assert_eq!(
        Message::parse(&[&b"MSH|^~\\&||||||||||||||||~ISO IR87\rNTE|"[..], &mixed].concat())
            .unwrap()
            .segment("NTE")
            .unwrap()
            .value(1),
        "山ﾀﾞ田a"
    );
}

#[test]
fn undeclared_latin1_request_gets_a_latin1_reply() {
    let bytes = b"MSH|^~\\&|A|Z\xfcrich|HUB|H|20260101||ADT^A04|L2|P|2.3.1\rPID|||1^^^&1.2.3&ISO\r";
    let m = Message::parse(bytes).unwrap();
    assert_eq!(m.charset(), Charset::Latin1);
    assert_eq!(m.sending_facility().namespace_id, "Zürich");
    let ack = pix_v2::ack(&m, AckCode::AA, None, &meta()).unwrap();
    let wire = ack.encode().unwrap();
    assert!(wire.starts_with(b"MSH|^~\\&|HUB|H|A|Z\xfcrich|"));
    // The reply declares what it is written in.
    assert_eq!(ack.msh().value(18), "8859/1");
    // Undeclared UTF-8 stays UTF-8.
    let m = Message::parse("MSH|^~\\&|A|Zürich|HUB|H|1||ADT^A04|U|P|2.5\r".as_bytes()).unwrap();
    assert_eq!(m.charset(), Charset::Default);
    assert_eq!(m.sending_facility().namespace_id, "Zürich");
}

#[test]
fn notification_declares_its_charset() {
    use hl7::cx::{Cx, Demographics, Hd, Xpn};
    let n = pix_v2::UpdateNotification {
        sending_application: Hd::oid("1.2.3"),
        sending_facility: Hd::default(),
        receiving_application: Hd::default(),
        receiving_facility: Hd::default(),
        identifiers: vec![Cx::new("1", Hd::oid("1.2.3"), "PI")],
        demographics: Demographics {
            names: vec![Xpn {
                family: "山田".into(),
                given: "太郎".into(),
                ..Xpn::default()
            }],
            ..Demographics::default()
        },
        charset: Charset::Iso2022Jp,
        charset_field: String::new(),
    };
    let m = pix_v2::adt_a31(&n, &meta()).unwrap();
    let wire = m.encode().unwrap();
    let back = Message::parse(&wire).unwrap();
    assert_eq!(back.charset(), Charset::Iso2022Jp);
    assert_eq!(back.charset_field(), "~ISO IR87");
    let pid = back.segment("PID").unwrap();
    assert_eq!(pid.field(5).unwrap().component(1), "山田");
    assert!(wire.windows(YAMADA.len()).any(|w| w == YAMADA));
}
