//! MTOM package writer for responses (ITI-43) and our own requests.
//!
//! It only produces the framing; the caller streams document bytes between
//! [`MtomWriter::attachment_header`] and the next header or
//! [`MtomWriter::closing`], so documents are never copied into one buffer.

use bytes::Bytes;

use super::cid::new_content_id;
use crate::content_type::strip_angle_brackets;

/// Framing for one MTOM package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtomWriter {
    boundary: String,
    root_content_id: String,
}

impl Default for MtomWriter {
    fn default() -> Self {
        Self::new()
    }
}

/// Drops characters that could end a header line or break a quoted string.
fn header_safe(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).collect()
}

fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in header_safe(value).chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

impl MtomWriter {
    /// A writer with a random boundary and root Content-ID.
    pub fn new() -> Self {
        Self {
            boundary: format!("MIMEBoundary_{}", uuid::Uuid::new_v4().simple()),
            root_content_id: format!("root.{}", new_content_id()),
        }
    }

    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// Content-ID of the root (SOAP envelope) part, without angle brackets.
    pub fn root_content_id(&self) -> &str {
        &self.root_content_id
    }

    /// The HTTP Content-Type header value of the package.
    pub fn content_type(&self, action: &str) -> String {
        let mut value = format!(
            "multipart/related; boundary={}; type=\"application/xop+xml\"; start=\"<{}>\"; start-info=\"application/soap+xml\"",
            self.boundary, self.root_content_id
        );
        if !action.is_empty() {
            value.push_str("; action=");
            value.push_str(&quoted(action));
        }
        value
    }

    /// First boundary, root part headers and the envelope.
    pub fn root_part(&self, envelope_xml: &str) -> Bytes {
        let mut part = format!(
            "--{}\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <{}>\r\n\r\n",
            self.boundary, self.root_content_id
        );
        part.push_str(envelope_xml);
        Bytes::from(part)
    }

    /// Boundary and headers of a document part; its bytes follow unchanged.
    /// `content_id` is the one used in the xop:Include (brackets optional).
    pub fn attachment_header(&self, content_id: &str, mime: &str) -> Bytes {
        let mime = header_safe(mime);
        let mime = if mime.trim().is_empty() {
            "application/octet-stream".to_owned()
        } else {
            mime
        };
        Bytes::from(format!(
            "\r\n--{}\r\nContent-Type: {}\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <{}>\r\n\r\n",
            self.boundary,
            mime.trim(),
            header_safe(strip_angle_brackets(content_id))
        ))
    }

    /// The close delimiter that ends the package.
    pub fn closing(&self) -> Bytes {
        Bytes::from(format!("\r\n--{}--\r\n", self.boundary))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::{ContentType, parse_content_type};

    #[test]
    fn content_type_parses_back() {
        let writer = MtomWriter::new();
        let value = writer.content_type("urn:ihe:iti:2007:RetrieveDocumentSetResponse");
        let ContentType::Mtom(mtom) = parse_content_type(&value).unwrap() else {
            panic!("not MTOM")
        };
        assert_eq!(mtom.boundary, writer.boundary());
        assert_eq!(mtom.start.as_deref(), Some(writer.root_content_id()));
        assert_eq!(
            mtom.action.as_deref(),
            Some("urn:ihe:iti:2007:RetrieveDocumentSetResponse")
        );
    }

    #[test]
    fn header_injection_is_neutralised() {
        let writer = MtomWriter::new();
        let header = writer.attachment_header("<a@b>", "text/plain\r\nX-Evil: 1");
        let text = String::from_utf8(header.to_vec()).unwrap();
        assert!(text.contains("Content-Type: text/plainX-Evil: 1\r\n"));
        assert!(text.contains("Content-ID: <a@b>\r\n"));
        let header = writer.attachment_header("x", "");
        assert!(
            String::from_utf8(header.to_vec())
                .unwrap()
                .contains("application/octet-stream")
        );
    }
}
