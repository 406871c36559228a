//! Hostile input: every parser returns an error, never panics, and never
//! expands entities.

use super::corpus::{CONFORMANCE, Parsed, parse, rewrite, samples};
use crate::parse::{self, Limits, ParseError};

/// Run every parser entry point on `xml`; return the results' error kinds.
fn all_parsers(xml: &[u8]) -> Vec<Result<(), ParseError>> {
    let limits = Limits::default();
    vec![
        parse::submit_objects_request(xml, &limits).map(drop),
        parse::provide_and_register_request(xml, &limits).map(drop),
        parse::adhoc_query_request(xml, &limits).map(drop),
        parse::retrieve_document_set_request(xml, &limits).map(drop),
        parse::remove_documents_request(xml, &limits).map(drop),
        parse::remove_objects_request(xml, &limits).map(drop),
        parse::registry_response(xml).map(drop),
        parse::adhoc_query_response(xml).map(drop),
        parse::retrieve_document_set_response(xml).map(drop),
    ]
}

fn assert_all_malformed(xml: &[u8], what: &str) {
    for result in all_parsers(xml) {
        assert!(
            matches!(result, Err(ParseError::Malformed(_))),
            "{what}: {result:?}"
        );
    }
}

const BODY_NS: &str = r#"xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0""#;

#[test]
fn doctype_is_refused() {
    let xml = format!(
        r#"<?xml version="1.0"?><!DOCTYPE lcm:SubmitObjectsRequest [<!ENTITY x "y">]><lcm:SubmitObjectsRequest {BODY_NS}><rim:RegistryObjectList/></lcm:SubmitObjectsRequest>"#
    );
    assert_all_malformed(xml.as_bytes(), "internal subset");
    let xml = format!(
        r#"<!DOCTYPE foo SYSTEM "file:///etc/passwd"><lcm:SubmitObjectsRequest {BODY_NS}><rim:RegistryObjectList/></lcm:SubmitObjectsRequest>"#
    );
    assert_all_malformed(xml.as_bytes(), "external DTD");
}

#[test]
fn billion_laughs_is_refused() {
    let mut xml = String::from("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        xml.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
    }
    xml.push_str(&format!(
        "]><lcm:SubmitObjectsRequest {BODY_NS}><rim:RegistryObjectList><rim:RegistryPackage id=\"&lol9;\"/></rim:RegistryObjectList></lcm:SubmitObjectsRequest>"
    ));
    assert_all_malformed(xml.as_bytes(), "billion laughs");
}

#[test]
fn undefined_entities_and_bad_characters() {
    for (value, what) in [
        ("&lol;", "undefined entity"),
        ("&#1;", "control character reference"),
        ("&#xFFFE;", "non-character reference"),
        ("&#0;", "NUL reference"),
        ("a\u{1}b", "raw control character"),
        ("a\u{FFFF}b", "raw non-character"),
        ("&amp", "dangling ampersand"),
    ] {
        let xml = format!(
            r#"<lcm:SubmitObjectsRequest {BODY_NS}><rim:RegistryObjectList><rim:RegistryPackage id="p"><rim:Slot name="s"><rim:ValueList><rim:Value>{value}</rim:Value></rim:ValueList></rim:Slot></rim:RegistryPackage></rim:RegistryObjectList></lcm:SubmitObjectsRequest>"#
        );
        assert_all_malformed(xml.as_bytes(), what);
        let xml = format!(
            r#"<lcm:SubmitObjectsRequest {BODY_NS}><rim:RegistryObjectList><rim:RegistryPackage id="{value}"/></rim:RegistryObjectList></lcm:SubmitObjectsRequest>"#
        );
        assert_all_malformed(xml.as_bytes(), what);
    }
}

/// The character pre-scan works in chunks: a non-character may straddle
/// a chunk boundary, and a control character may sit at either end.
#[test]
fn bad_characters_at_every_offset() {
    for pad in 0..140 {
        for bad in ["\u{FFFF}", "\u{FFFE}", "\u{1}", "\u{1F}"] {
            let xml = format!(
                r#"<lcm:SubmitObjectsRequest {BODY_NS}><rim:RegistryObjectList><rim:RegistryPackage id="{}{bad}"/></rim:RegistryObjectList></lcm:SubmitObjectsRequest>"#,
                "p".repeat(pad)
            );
            assert_all_malformed(xml.as_bytes(), &format!("{bad:?} after {pad}"));
        }
        // U+FFFD and U+EFBF-like neighbours are fine.
        let xml = format!(
            r#"<lcm:SubmitObjectsRequest {BODY_NS}><rim:RegistryObjectList><rim:RegistryPackage id="{}\u{{FFFD}}\u{{EFBF}}\u{{F0000}}"/></rim:RegistryObjectList></lcm:SubmitObjectsRequest>"#,
            "p".repeat(pad)
        );
        assert!(parse::submit_objects_request(xml.as_bytes(), &Limits::default()).is_ok());
    }
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 10_000;
    let xml = format!(
        "<lcm:SubmitObjectsRequest {BODY_NS}>{}{}</lcm:SubmitObjectsRequest>",
        "<rim:RegistryObjectList>".repeat(depth),
        "</rim:RegistryObjectList>".repeat(depth)
    );
    assert_all_malformed(xml.as_bytes(), "depth 10000");
    let xml = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    assert_all_malformed(xml.as_bytes(), "depth 10000, unknown elements");
}

#[test]
fn syntax_errors() {
    for xml in [
        "",
        "   ",
        "<",
        "<a",
        "<a></b>",
        "</a>",
        "<a b=c/>",
        "<a b=\"1\" b=\"2\"/>",
        "<p:a/>",
        "<a/><b/>",
        "<a><!-- -- --></a>",
        "\u{FEFF}",
    ] {
        assert_all_malformed(xml.as_bytes(), xml);
    }
    assert_all_malformed(b"<a>\xff\xfe</a>", "invalid UTF-8");
    assert_all_malformed(
        &std::fs::read(format!(
            "{CONFORMANCE}/xds/samples/nist-messagevalidator/xml-parse-error.xml"
        ))
        .unwrap(),
        "NIST xml-parse-error",
    );
}

/// Every prefix of a real message is an error (never a panic, never success).
#[test]
fn truncated_messages() {
    for relative in [
        "xds/samples/ihe-iti-info/XDS.b/ProvideAndRegisterDocumentSet-bRequest_SOAP.xml",
        "xds/samples/ihe-iti-info/XDS.b/RegistryStoredQueryRequest_SOAP.xml",
        "xds/samples/ihe-iti-info/XDS.b/RetrieveDocumentSetResponse_SOAP.xml",
    ] {
        let xml = std::fs::read(format!("{CONFORMANCE}/{relative}")).unwrap();
        let end = xml.iter().rposition(|b| *b == b'>').unwrap();
        for cut in (0..end).step_by(7) {
            for result in all_parsers(&xml[..cut]) {
                assert!(result.is_err(), "{relative} cut at {cut} parsed");
            }
        }
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng::new(0x5eed);
    for _ in 0..2_000 {
        let len = rng.below(300);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        for result in all_parsers(&bytes) {
            assert!(result.is_err());
        }
    }
}

/// Mutated corpus files: byte flips, deletions and duplications.
#[test]
fn mutated_samples_never_panic() {
    let mut rng = Rng::new(42);
    let corpus = samples();
    for sample in corpus.iter().step_by(7) {
        for _ in 0..8 {
            let mut bytes = sample.bytes.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len());
                match rng.below(3) {
                    0 => {
                        if let Some(b) = bytes.get_mut(at) {
                            *b = b"<>/=\"&;:x \n"[rng.below(11)];
                        }
                    }
                    1 => {
                        bytes.remove(at.min(bytes.len().saturating_sub(1)));
                    }
                    _ => {
                        let end = (at + rng.below(40)).min(bytes.len());
                        let chunk = bytes[at..end].to_vec();
                        bytes.splice(at..at, chunk);
                    }
                }
            }
            let _ = all_parsers(&bytes);
            // Whatever still parses survives a write/parse round trip.
            if let Ok(first) = parse(sample.kind, &bytes)
                && let Some(written) = rewrite(&first)
                && !matches!(
                    first,
                    Parsed::AdhocQueryResponse(_) | Parsed::RetrieveResponse(_)
                )
            {
                assert_eq!(
                    parse(sample.kind, written.as_bytes()).as_ref(),
                    Ok(&first),
                    "{written}"
                );
            }
        }
    }
}
