use bytes::Bytes;
use soap::{
    ContentType, MtomWriter, MultipartEvent, MultipartLimits, MultipartReader, XmlLimits,
    cid_from_href, envelope, new_content_id, parse_content_type, read_envelope, xop_include,
};

use crate::common::read_parts;

#[test]
fn writer_output_reads_back() {
    let writer = MtomWriter::new();
    let ids = [new_content_id(), new_content_id()];
    let body = format!(
        "<xdsb:RetrieveDocumentSetResponse xmlns:xdsb=\"urn:ihe:iti:xds-b:2007\"><xdsb:DocumentResponse><xdsb:Document>{}</xdsb:Document></xdsb:DocumentResponse><xdsb:DocumentResponse><xdsb:Document>{}</xdsb:Document></xdsb:DocumentResponse></xdsb:RetrieveDocumentSetResponse>",
        xop_include(&ids[0]),
        xop_include(&ids[1])
    );
    let env = envelope(
        "urn:ihe:iti:2007:RetrieveDocumentSetResponse",
        Some("urn:uuid:0fbfdced-6c01-4d09-a110-2201afedaa02"),
        &body,
    );
    // Documents that look like framing must survive untouched.
    let documents: [Vec<u8>; 2] = [
        format!(
            "line\r\n--{b}x\r\n\r\n--{b}-\r\nend--{b}",
            b = writer.boundary()
        )
        .into_bytes(),
        (0..=255u8).cycle().take(100_000).collect(),
    ];

    let mut wire = Vec::new();
    wire.extend_from_slice(&writer.root_part(&env));
    for (id, document) in ids.iter().zip(&documents) {
        wire.extend_from_slice(&writer.attachment_header(id, "application/pdf"));
        wire.extend_from_slice(document);
    }
    wire.extend_from_slice(&writer.closing());

    let ContentType::Mtom(mtom) =
        parse_content_type(&writer.content_type("urn:ihe:iti:2007:RetrieveDocumentSetResponse"))
            .unwrap()
    else {
        panic!("not MTOM")
    };
    for chunk in [1, 7, 4096, wire.len()] {
        let parts = read_parts(&mtom.boundary, &wire, chunk).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].headers.content_id, mtom.start);
        assert_eq!(parts[0].body, env.as_bytes());
        for (i, part) in parts[1..].iter().enumerate() {
            assert_eq!(part.headers.content_id.as_deref(), Some(ids[i].as_str()));
            assert_eq!(
                part.headers.content_type.as_deref(),
                Some("application/pdf")
            );
            assert_eq!(part.body, documents[i], "document {i}, chunk {chunk}");
        }
    }

    // The envelope itself reads back, and its includes point at the parts.
    let info = read_envelope(env.as_bytes(), &XmlLimits::default()).unwrap();
    assert_eq!(info.action, "urn:ihe:iti:2007:RetrieveDocumentSetResponse");
    assert_eq!(
        info.relates_to.as_deref(),
        Some("urn:uuid:0fbfdced-6c01-4d09-a110-2201afedaa02")
    );
    assert!(info.message_id.unwrap().starts_with("urn:uuid:"));
    let href = env
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(cid_from_href(href).as_deref(), Some(ids[0].as_str()));
}

#[test]
fn fault_envelope_reads_back() {
    let fault = soap::SoapFault::action_not_supported("urn:bogus");
    let xml = fault.to_xml(Some("urn:uuid:1"));
    let info = read_envelope(xml.as_bytes(), &XmlLimits::default()).unwrap();
    assert_eq!(info.action, soap::WSA_FAULT_ACTION);
    assert_eq!(
        info.body_element,
        Some((soap::SOAP12_NS.to_owned(), "Fault".to_owned()))
    );
}

/// A 20 MB part streamed in 64 KiB chunks: the reader's buffer never holds
/// more than one chunk, and after draining only a boundary's worth.
#[test]
fn large_part_is_streamed_with_bounded_buffer() {
    const SIZE: usize = 20 * 1024 * 1024;
    const CHUNK: usize = 64 * 1024;
    let writer = MtomWriter::new();
    let mut reader = MultipartReader::new(writer.boundary(), MultipartLimits::default()).unwrap();
    let held_back_limit = writer.boundary().len() + 8;

    let mut wire: Vec<Bytes> = vec![
        writer.root_part("<x/>"),
        writer.attachment_header("doc@renkei", "application/octet-stream"),
    ];
    // Pseudo-random content with many CR/LF and dashes.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut produced = 0usize;
    let mut checksum_in = 0u64;
    let mut chunks_of_document = Vec::new();
    while produced < SIZE {
        let len = CHUNK.min(SIZE - produced);
        let mut chunk = Vec::with_capacity(len);
        while chunk.len() < len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let byte = match state % 16 {
                0 => b'\r',
                1 => b'\n',
                2 => b'-',
                _ => (state >> 8) as u8,
            };
            chunk.push(byte);
            checksum_in = checksum_in.wrapping_mul(31).wrapping_add(u64::from(byte));
        }
        produced += len;
        chunks_of_document.push(Bytes::from(chunk));
    }
    wire.extend(chunks_of_document);
    wire.push(writer.closing());

    let mut document_len = 0usize;
    let mut checksum_out = 0u64;
    let mut part = 0;
    let mut max_buffered_after_drain = 0;
    let mut max_buffered = 0;
    let mut ended = false;
    for chunk in wire {
        reader.push(chunk);
        max_buffered = max_buffered.max(reader.buffered_len());
        while let Some(event) = reader.next_event().unwrap() {
            match event {
                MultipartEvent::PartStart(_) => part += 1,
                MultipartEvent::Data(data) if part == 2 => {
                    document_len += data.len();
                    for byte in data.iter() {
                        checksum_out = checksum_out.wrapping_mul(31).wrapping_add(u64::from(*byte));
                    }
                }
                MultipartEvent::End => ended = true,
                _ => {}
            }
        }
        max_buffered_after_drain = max_buffered_after_drain.max(reader.buffered_len());
    }
    reader.finish_input();
    assert_eq!(reader.next_event().unwrap(), None);
    assert!(ended);
    assert_eq!(document_len, SIZE);
    assert_eq!(checksum_out, checksum_in);
    assert!(
        max_buffered <= CHUNK + held_back_limit,
        "buffer grew to {max_buffered}"
    );
    assert!(
        max_buffered_after_drain <= held_back_limit,
        "held back {max_buffered_after_drain} bytes"
    );
}
