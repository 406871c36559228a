use bytes::Bytes;
use soap::{MultipartEvent, MultipartLimits, MultipartReader, PartHeaders};

/// A file under shared/conformance/xds/samples.
pub fn sample(relative: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../shared/conformance/xds/samples/{relative}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Splits a captured HTTP request into its Content-Type value and body.
pub fn split_http(capture: &[u8]) -> (String, Vec<u8>) {
    let (head_end, body_start) = match find(capture, b"\r\n\r\n") {
        Some(at) => (at, at + 4),
        None => {
            let at = find(capture, b"\n\n").expect("no blank line after HTTP headers");
            (at, at + 2)
        }
    };
    let head = std::str::from_utf8(&capture[..head_end]).unwrap();
    let content_type = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_owned())
        })
        .expect("no Content-Type");
    (content_type, capture[body_start..].to_vec())
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One part as read back: headers and the concatenated body.
#[derive(Debug, PartialEq, Eq)]
pub struct Part {
    pub headers: PartHeaders,
    pub body: Vec<u8>,
}

/// Feeds `body` in chunks of `chunk` bytes, draining events after every
/// push, and checks the event grammar (PartStart Data* PartEnd)* End.
pub fn read_parts(boundary: &str, body: &[u8], chunk: usize) -> Result<Vec<Part>, soap::MtomError> {
    read_parts_with(boundary, body, chunk, MultipartLimits::default())
}

/// [`read_parts`] with explicit limits.
pub fn read_parts_with(
    boundary: &str,
    body: &[u8],
    chunk: usize,
    limits: MultipartLimits,
) -> Result<Vec<Part>, soap::MtomError> {
    let mut reader = MultipartReader::new(boundary, limits)?;
    let mut parts: Vec<Part> = Vec::new();
    let mut in_part = false;
    let mut ended = false;
    let mut handle = |event: MultipartEvent| match event {
        MultipartEvent::PartStart(headers) => {
            assert!(!in_part && !ended, "PartStart inside a part");
            in_part = true;
            parts.push(Part {
                headers,
                body: Vec::new(),
            });
        }
        MultipartEvent::Data(data) => {
            assert!(in_part, "Data outside a part");
            assert!(!data.is_empty(), "empty Data event");
            parts.last_mut().unwrap().body.extend_from_slice(&data);
        }
        MultipartEvent::PartEnd => {
            assert!(in_part, "PartEnd outside a part");
            in_part = false;
        }
        MultipartEvent::End => {
            assert!(!in_part && !ended, "End inside a part");
            ended = true;
        }
    };
    for piece in body.chunks(chunk.max(1)) {
        reader.push(Bytes::copy_from_slice(piece));
        while let Some(event) = reader.next_event()? {
            handle(event);
        }
    }
    reader.finish_input();
    while let Some(event) = reader.next_event()? {
        handle(event);
    }
    assert!(ended, "no End event");
    Ok(parts)
}
