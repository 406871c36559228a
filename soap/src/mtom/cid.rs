//! Content-ID URLs (RFC 2392) that link xop:Include elements to MIME parts.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::XOP_NS;
use crate::content_type::strip_angle_brackets;

/// Characters kept as is in a cid URL; everything else is percent-encoded
/// (RFC 2392 requires URL-encoding, and `&` or `"` would also break the
/// XML attribute).
const CID_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@')
    .remove(b'$')
    .remove(b'+')
    .remove(b'!')
    .remove(b'*')
    .remove(b',')
    .remove(b'=')
    .remove(b':');

/// Turns an xop:Include `href` into the Content-ID it names (no angle
/// brackets): strips `cid:` and percent-decodes, since senders such as NIST
/// percent-encode. `None` when it is not a usable cid URL.
pub fn cid_from_href(href: &str) -> Option<String> {
    let href = href.trim();
    let scheme = href.get(..4)?;
    if !scheme.eq_ignore_ascii_case("cid:") {
        return None;
    }
    let encoded = href.get(4..)?;
    let decoded = percent_decode_str(encoded).decode_utf8().ok()?;
    // Some senders wrongly keep the brackets of the Content-ID header.
    let id = strip_angle_brackets(&decoded);
    if id.is_empty() || id.chars().any(char::is_control) {
        return None;
    }
    Some(id.to_owned())
}

/// A fresh, globally unique Content-ID (without angle brackets).
pub fn new_content_id() -> String {
    format!("{}@renkei", uuid::Uuid::new_v4())
}

/// The `<xop:Include>` element that stands in for a document part.
pub fn xop_include(content_id: &str) -> String {
    let id = strip_angle_brackets(content_id);
    format!(
        "<xop:Include xmlns:xop=\"{XOP_NS}\" href=\"cid:{}\"/>",
        utf8_percent_encode(id, CID_ENCODE)
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn decodes_nist_percent_encoded_cid() {
        assert_eq!(
            cid_from_href("cid:1.urn%3Auuid%3A3D4B161591CD1DEC0C1286850962319%40apache.org"),
            Some("1.urn:uuid:3D4B161591CD1DEC0C1286850962319@apache.org".to_owned())
        );
        assert_eq!(cid_from_href("CID:a@b"), Some("a@b".to_owned()));
        assert_eq!(cid_from_href("cid:%3Ca@b%3E"), Some("a@b".to_owned()));
        assert_eq!(cid_from_href("http://x"), None);
        assert_eq!(cid_from_href("cid:"), None);
        assert_eq!(cid_from_href("cid:%FF"), None);
        assert_eq!(cid_from_href("ci"), None);
        assert_eq!(cid_from_href("cid:a%0Ab"), None);
    }

    #[test]
    fn include_round_trips() {
        let id = "doc 1&\"x\"@renkei";
        let xml = xop_include(id);
        assert!(xml.starts_with(
            "<xop:Include xmlns:xop=\"http://www.w3.org/2004/08/xop/include\" href=\"cid:"
        ));
        assert!(!xml.contains('&') && !xml.contains(" 1"));
        let href = xml
            .split("href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(cid_from_href(href).as_deref(), Some(id));
        let fresh = new_content_id();
        assert!(fresh.ends_with("@renkei"));
        assert!(xop_include(&fresh).contains(&fresh));
    }
}
