use bytes::Bytes;
use soap::{
    FaultCode, MtomError, MultipartEvent, MultipartLimits, MultipartReader, SOAP12_NS, WSA_NS,
    XmlLimits, read_envelope,
};

use crate::common::{read_parts, read_parts_with};

fn envelope_with(header: &str, body: &str) -> String {
    format!(
        "<s:Envelope xmlns:s=\"{SOAP12_NS}\" xmlns:a=\"{WSA_NS}\"><s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    )
}

const ACTION: &str =
    "<a:Action s:mustUnderstand=\"1\">urn:ihe:iti:2007:RegistryStoredQuery</a:Action>";

fn fault_of(xml: &str) -> soap::SoapFault {
    read_envelope(xml.as_bytes(), &XmlLimits::default()).unwrap_err()
}

#[test]
fn doctype_is_refused() {
    let xml = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE s:Envelope [<!ENTITY x \"boom\">]>{}",
        envelope_with(ACTION, "<q/>")
    );
    let fault = fault_of(&xml);
    assert_eq!(fault.code, FaultCode::Sender);
    assert!(fault.reason.contains("document type"), "{}", fault.reason);
}

#[test]
fn unknown_entities_are_errors() {
    let in_text = envelope_with("<a:Action>urn:&xxe;</a:Action>", "<q/>");
    assert!(fault_of(&in_text).reason.contains("xxe"));
    let in_attribute = envelope_with(
        &format!("{ACTION}<h:x xmlns:h=\"urn:h\" v=\"&xxe;\"/>"),
        "<q/>",
    );
    assert_eq!(fault_of(&in_attribute).code, FaultCode::Sender);
    // Predefined and character references are fine.
    let ok = envelope_with("<a:Action>urn:a&amp;b&#x41;</a:Action>", "<q/>");
    let info = read_envelope(ok.as_bytes(), &XmlLimits::default()).unwrap();
    assert_eq!(info.action, "urn:a&bA");
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 100;
    let header = format!(
        "{ACTION}<h:x xmlns:h=\"urn:h\">{}{}</h:x>",
        "<h:x>".repeat(depth),
        "</h:x>".repeat(depth)
    );
    let fault = fault_of(&envelope_with(&header, "<q/>"));
    assert!(fault.reason.contains("nested"), "{}", fault.reason);

    let limits = XmlLimits {
        max_depth: 3,
        ..XmlLimits::default()
    };
    let xml = envelope_with(ACTION, "<q/>");
    // Envelope/Header/Action is depth 3: fine; Body child is depth 3 too.
    assert!(read_envelope(xml.as_bytes(), &limits).is_ok());
    let xml = envelope_with(
        &format!("<a:ReplyTo><a:Address>x</a:Address></a:ReplyTo>{ACTION}"),
        "<q/>",
    );
    assert!(read_envelope(xml.as_bytes(), &limits).is_err());
}

#[test]
fn attribute_floods_are_refused() {
    let many: String = (0..100).map(|i| format!(" a{i}=\"v\"")).collect();
    let fault = fault_of(&envelope_with(
        &format!("<h:x xmlns:h=\"urn:h\"{many}/>{ACTION}"),
        "<q/>",
    ));
    assert!(fault.reason.contains("attributes"), "{}", fault.reason);

    let huge = "v".repeat(2 * 1024 * 1024);
    let xml = envelope_with(
        &format!("<h:x xmlns:h=\"urn:h\" big=\"{huge}\"/>{ACTION}"),
        "<q/>",
    );
    let limits = XmlLimits {
        max_bytes: 1024 * 1024,
        ..XmlLimits::default()
    };
    let fault = read_envelope(xml.as_bytes(), &limits).unwrap_err();
    assert!(fault.reason.contains("limit"), "{}", fault.reason);

    let duplicate = envelope_with(
        &format!("<h:x xmlns:h=\"urn:h\" a=\"1\" a=\"2\"/>{ACTION}"),
        "<q/>",
    );
    assert_eq!(fault_of(&duplicate).code, FaultCode::Sender);
}

#[test]
fn soap11_is_a_version_mismatch() {
    let xml = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><q/></soap:Body></soap:Envelope>";
    let fault = fault_of(xml);
    assert_eq!(fault.code, FaultCode::VersionMismatch);
    assert!(fault.to_xml(None).contains("<env:Upgrade>"));
    assert_eq!(
        fault_of("<Envelope><Body/></Envelope>").code,
        FaultCode::VersionMismatch
    );
}

#[test]
fn must_understand_rules() {
    let security = "<w:Security xmlns:w=\"urn:wsse\" s:mustUnderstand=\"true\"/>";
    let fault = fault_of(&envelope_with(&format!("{ACTION}{security}"), "<q/>"));
    assert_eq!(fault.code, FaultCode::MustUnderstand);
    assert!(fault.reason.contains("urn:wsse"));

    // Not for us (role none), or explicitly optional: ignored.
    for header in [
        "<w:S xmlns:w=\"urn:w\" s:mustUnderstand=\"1\" s:role=\"http://www.w3.org/2003/05/soap-envelope/role/none\"/>",
        "<w:S xmlns:w=\"urn:w\" s:mustUnderstand=\"false\"><w:x/></w:S>",
        "<w:S xmlns:w=\"urn:w\" w:mustUnderstand=\"1\"/>",
        "<a:From s:mustUnderstand=\"1\"><a:Address>urn:x</a:Address></a:From>",
    ] {
        let xml = envelope_with(&format!("{ACTION}{header}"), "<q/>");
        read_envelope(xml.as_bytes(), &XmlLimits::default())
            .unwrap_or_else(|f| panic!("{header}: {f}"));
    }
    let bad_value = envelope_with(
        &format!("{ACTION}<w:S xmlns:w=\"urn:w\" s:mustUnderstand=\"yes\"/>"),
        "<q/>",
    );
    assert_eq!(fault_of(&bad_value).code, FaultCode::Sender);
}

#[test]
fn addressing_header_errors() {
    let twice = envelope_with(&format!("{ACTION}{ACTION}"), "<q/>");
    let fault = fault_of(&twice);
    assert_eq!(fault.subcode.unwrap().1, "InvalidAddressingHeader");
    let empty = envelope_with("<a:Action/>", "<q/>");
    assert_eq!(
        fault_of(&empty).subcode.unwrap().1,
        "InvalidAddressingHeader"
    );
    let nested = envelope_with("<a:Action>urn:<b/></a:Action>", "<q/>");
    assert_eq!(
        fault_of(&nested).subcode.unwrap().1,
        "InvalidAddressingHeader"
    );
    let async_reply = envelope_with(
        &format!("{ACTION}<a:ReplyTo><a:Address>http://consumer/cb</a:Address></a:ReplyTo>"),
        "<q/>",
    );
    let info = read_envelope(async_reply.as_bytes(), &XmlLimits::default()).unwrap();
    assert!(!info.reply_is_anonymous());
}

#[test]
fn structural_errors() {
    for (xml, expect) in [
        (
            format!(
                "<s:Envelope xmlns:s=\"{SOAP12_NS}\" xmlns:a=\"{WSA_NS}\"><s:Header>{ACTION}</s:Header></s:Envelope>"
            ),
            "no Body",
        ),
        (
            envelope_with(ACTION, "").replace("<s:Body></s:Body>", "<s:Body/><s:Header/>"),
            "after the SOAP Body",
        ),
        (
            envelope_with(ACTION, "<q/>").replace("<s:Header>", "<s:Header/><s:Header>"),
            "more than one Header",
        ),
        (
            envelope_with(ACTION, "<q/>").replace("<s:Body>", "<s:Foo/><s:Body>"),
            "unexpected element",
        ),
        (
            envelope_with(ACTION, "<q/>").replace("<s:Body>", "text<s:Body>"),
            "character data",
        ),
        (envelope_with(ACTION, "<p:q/>"), "not declared"),
        (
            format!(
                "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>{}",
                envelope_with(ACTION, "<q/>")
            ),
            "UTF-8",
        ),
        (
            envelope_with(ACTION, "").replace("</s:Envelope>", ""),
            "malformed XML",
        ),
        (String::new(), "no XML document"),
    ] {
        let fault = fault_of(&xml);
        assert_eq!(fault.code, FaultCode::Sender, "{xml}");
        assert!(fault.reason.contains(expect), "{xml}: {}", fault.reason);
    }
}

/// Small xorshift generator so the randomized tests need no extra crates.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Random bytes and random mutations of real samples never panic.
#[test]
fn random_envelopes_never_panic() {
    let seed_doc = envelope_with(
        &format!(
            "{ACTION}<a:ReplyTo><a:Address>x</a:Address></a:ReplyTo><a:MessageID>m</a:MessageID>"
        ),
        "<q:x xmlns:q=\"urn:q\">&amp;</q:x>",
    )
    .into_bytes();
    let alphabet = b"<>/=\"'&;:!-?[] \nsa#xAE";
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for round in 0..20_000 {
        let input: Vec<u8> = if round % 2 == 0 {
            let len = rng.below(200);
            (0..len)
                .map(|_| {
                    if rng.below(2) == 0 {
                        alphabet[rng.below(alphabet.len())]
                    } else {
                        rng.next() as u8
                    }
                })
                .collect()
        } else {
            let mut doc = seed_doc.clone();
            for _ in 0..=rng.below(4) {
                let at = rng.below(doc.len());
                match rng.below(3) {
                    0 => doc[at] = alphabet[rng.below(alphabet.len())],
                    1 => {
                        doc.remove(at);
                    }
                    _ => doc.insert(at, rng.next() as u8),
                }
            }
            doc
        };
        let _ = read_envelope(&input, &XmlLimits::default());
    }
}

#[test]
fn random_multipart_never_panics() {
    let boundary = "b0undary";
    let seed = b"pre\r\n--b0undary\r\nContent-ID: <a>\r\nX-Long: 0123456789\r\n\r\nroot\r\n--b0undary\nContent-Type: x\n\n\r\n--b0undary--\r\n";
    let small = MultipartLimits {
        max_parts: 2,
        max_header_bytes: 40,
        max_header_line: 18,
        max_preamble_bytes: 6,
    };
    let mut outcomes = [0usize; 2];
    let alphabet = b"-\r\n b0undary:<>";
    let mut rng = XorShift(0xDEAD_BEEF_CAFE_F00D);
    for round in 0..20_000 {
        let mut input = seed.to_vec();
        if round % 3 == 0 {
            input = (0..rng.below(120))
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
        } else {
            for _ in 0..=rng.below(4) {
                let at = rng.below(input.len());
                match rng.below(3) {
                    0 => input[at] = alphabet[rng.below(alphabet.len())],
                    1 => {
                        input.remove(at);
                    }
                    _ => input.insert(at, rng.next() as u8),
                }
            }
        }
        let chunk = 1 + rng.below(16);
        // Results must not depend on how the input is chunked.
        let whole = read_parts(boundary, &input, input.len());
        let chunked = read_parts(boundary, &input, chunk);
        assert_eq!(whole, chunked, "{:?}", String::from_utf8_lossy(&input));
        outcomes[usize::from(whole.is_ok())] += 1;
        let whole = read_parts_with(boundary, &input, input.len(), small);
        let chunked = read_parts_with(boundary, &input, chunk, small);
        assert_eq!(
            whole,
            chunked,
            "small limits: {:?}",
            String::from_utf8_lossy(&input)
        );
    }
    // Both outcomes are exercised.
    assert!(outcomes.iter().all(|n| *n > 1000), "{outcomes:?}");
}

fn drain(reader: &mut MultipartReader) -> Result<Vec<MultipartEvent>, MtomError> {
    let mut events = Vec::new();
    while let Some(event) = reader.next_event()? {
        events.push(event);
    }
    Ok(events)
}

#[test]
fn multipart_limits_and_truncation() {
    let limits = MultipartLimits {
        max_parts: 2,
        max_header_bytes: 256,
        max_header_line: 64,
        max_preamble_bytes: 100,
    };
    let run = |input: &[u8]| -> Result<Vec<MultipartEvent>, MtomError> {
        let mut reader = MultipartReader::new("B", limits)?;
        reader.push(Bytes::copy_from_slice(input));
        let mut events = drain(&mut reader)?;
        reader.finish_input();
        events.extend(drain(&mut reader)?);
        Ok(events)
    };
    assert!(run(b"--B\r\n\r\nx\r\n--B--").is_ok());
    assert_eq!(
        run(b"--B\r\n\r\nx\r\n--B"),
        Err(MtomError::Truncated(
            "inside a part body (no closing boundary)"
        ))
    );
    assert_eq!(
        run(b"--B\r\n\r\nxyz"),
        Err(MtomError::Truncated(
            "inside a part body (no closing boundary)"
        ))
    );
    assert_eq!(
        run(b"--B\r\nContent-ID: <a>"),
        Err(MtomError::Truncated("inside part headers"))
    );
    assert_eq!(
        run(b"no boundary at all"),
        Err(MtomError::Truncated("before the first boundary"))
    );
    let long_line = format!("--B\r\nX: {}\r\n\r\n", "v".repeat(100));
    assert_eq!(
        run(long_line.as_bytes()),
        Err(MtomError::HeaderLineTooLong { limit: 64 })
    );
    let many_lines = format!(
        "--B\r\n{}\r\n",
        "X: vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\r\n".repeat(10)
    );
    assert_eq!(
        run(many_lines.as_bytes()),
        Err(MtomError::HeadersTooLarge { limit: 256 })
    );
    let three = b"--B\r\n\r\n1\r\n--B\r\n\r\n2\r\n--B\r\n\r\n3\r\n--B--";
    assert_eq!(run(three), Err(MtomError::TooManyParts { limit: 2 }));
    let preamble = format!("{}\r\n--B\r\n\r\nx\r\n--B--", "p".repeat(200));
    assert_eq!(
        run(preamble.as_bytes()),
        Err(MtomError::PreambleTooLarge { limit: 100 })
    );
    assert!(matches!(
        run(b"--B\r\nno colon\r\n\r\n"),
        Err(MtomError::MalformedHeader(_))
    ));

    assert_eq!(
        MultipartReader::new("", limits).unwrap_err(),
        MtomError::InvalidBoundary
    );
    assert!(MultipartReader::new("a\r\nb", limits).is_err());
    assert!(MultipartReader::new(&"x".repeat(300), limits).is_err());

    // Errors are sticky and input after finish_input is refused.
    let mut reader = MultipartReader::new("B", limits).unwrap();
    reader.finish_input();
    reader.push(Bytes::from_static(b"--B--"));
    assert_eq!(reader.next_event(), Err(MtomError::InputAfterFinish));
    assert_eq!(reader.next_event(), Err(MtomError::InputAfterFinish));
}

#[test]
fn multipart_framing_variants() {
    let body = |parts: &[crate::common::Part]| -> Vec<Vec<u8>> {
        parts.iter().map(|p| p.body.clone()).collect()
    };
    // Preamble, leading CRLF, transport padding, epilogue, bare LF.
    let input = b"preamble\r\n--B \t\r\nContent-ID: <a>\r\n\r\nroot\r\n--B\nContent-ID: <b>\n\nsecond\n--B--  \r\nepilogue --B\r\n";
    let parts = read_parts("B", input, 1).unwrap();
    assert_eq!(body(&parts), vec![b"root".to_vec(), b"second".to_vec()]);
    assert_eq!(parts[1].headers.content_id.as_deref(), Some("b"));

    // Text that starts like a boundary is content.
    let input = b"--B\r\n\r\na\r\n--Bx\r\n--B-\r\n--B \r\n\r\n--B--";
    let parts = read_parts("B", input, 3).unwrap();
    assert_eq!(
        body(&parts),
        vec![b"a\r\n--Bx\r\n--B-".to_vec(), b"".to_vec()]
    );

    // A part with headers but no body, and a part with neither.
    let input = b"--B\r\nContent-ID: <e>\r\n\r\n--B\r\n\r\n--B--";
    let parts = read_parts("B", input, 1).unwrap();
    assert_eq!(parts.len(), 2);
    assert!(parts.iter().all(|p| p.body.is_empty()));

    // No parts at all.
    assert_eq!(read_parts("B", b"--B--", 1).unwrap(), vec![]);
}
