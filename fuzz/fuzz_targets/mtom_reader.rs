//! MultipartReader on arbitrary bytes: the first byte chooses the chunk size,
//! the rest is pushed chunk by chunk with every event drained in between.
//! Must never panic, and must agree with a single-chunk read.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use soap::{MtomError, MultipartEvent, MultipartLimits, MultipartReader};

const BOUNDARY: &str = "MIMEBoundary_fuzz";

fn run(input: &[u8], chunk: usize) -> Result<Vec<MultipartEvent>, MtomError> {
    let limits = MultipartLimits {
        max_parts: 64,
        max_header_bytes: 4096,
        max_header_line: 1024,
        max_preamble_bytes: 4096,
    };
    let mut reader = MultipartReader::new(BOUNDARY, limits)?;
    let mut events = Vec::new();
    for piece in input.chunks(chunk) {
        reader.push(Bytes::copy_from_slice(piece));
        while let Some(event) = reader.next_event()? {
            events.push(event);
        }
        // Memory stays bounded by one chunk plus a boundary's worth.
        assert!(reader.buffered_len() <= chunk + limits.max_header_bytes + 128);
    }
    reader.finish_input();
    while let Some(event) = reader.next_event()? {
        events.push(event);
    }
    Ok(events)
}

/// Part headers and concatenated bodies: independent of chunking.
fn parts(events: &[MultipartEvent]) -> Vec<(soap::PartHeaders, Vec<u8>)> {
    let mut parts: Vec<(soap::PartHeaders, Vec<u8>)> = Vec::new();
    for event in events {
        match event {
            MultipartEvent::PartStart(headers) => parts.push((headers.clone(), Vec::new())),
            MultipartEvent::Data(data) => {
                if let Some((_, body)) = parts.last_mut() {
                    body.extend_from_slice(data);
                }
            }
            MultipartEvent::PartEnd | MultipartEvent::End => {}
        }
    }
    parts
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first % 64) + 1;
    let chunked = run(rest, chunk);
    let whole = run(rest, rest.len().max(1));
    match (&chunked, &whole) {
        (Ok(a), Ok(b)) => assert_eq!(parts(a), parts(b)),
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("chunking changed the outcome: {chunked:?} vs {whole:?}"),
    }
});
