//! MIME part headers (RFC 2045, RFC 5322 syntax) of one multipart body part.

use crate::content_type::strip_angle_brackets;

use super::reader::MtomError;

/// Headers of one MIME part.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartHeaders {
    /// Content-ID without angle brackets (what `cid:` URLs point at).
    pub content_id: Option<String>,
    pub content_type: Option<String>,
    /// As sent (`binary`, `8bit`, `base64`...); XOP parts use binary.
    pub content_transfer_encoding: Option<String>,
    /// Every header in order, name as sent, value trimmed and unfolded.
    pub raw: Vec<(String, String)>,
}

impl PartHeaders {
    /// First header with this name (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.raw
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// True when the part body is the content itself (no transfer encoding
    /// to undo): absent, `binary`, `8bit` or `7bit`.
    pub fn is_identity_encoded(&self) -> bool {
        self.content_transfer_encoding.as_deref().is_none_or(|cte| {
            ["binary", "8bit", "7bit"]
                .iter()
                .any(|ok| cte.eq_ignore_ascii_case(ok))
        })
    }
}

/// Collects header lines until the blank line.
#[derive(Debug, Default)]
pub(crate) struct HeaderCollector {
    raw: Vec<(String, String)>,
    /// Header bytes consumed so far, line breaks included.
    pub bytes: usize,
    /// Bytes of the current, incomplete line already searched for LF.
    pub scanned: usize,
}

impl HeaderCollector {
    /// Adds one header line (line break removed).
    pub fn push_line(&mut self, line: &[u8]) -> Result<(), MtomError> {
        let line = std::str::from_utf8(line)
            .map_err(|_| MtomError::MalformedHeader("header line is not UTF-8".to_owned()))?;
        if line.chars().any(|c| c.is_control() && c != '\t') {
            return Err(MtomError::MalformedHeader(
                "control character in a header line".to_owned(),
            ));
        }
        if line.starts_with([' ', '\t']) {
            // Obsolete line folding: continues the previous header.
            let (_, value) = self.raw.last_mut().ok_or_else(|| {
                MtomError::MalformedHeader("continuation line before any header".to_owned())
            })?;
            value.push(' ');
            value.push_str(line.trim());
            return Ok(());
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| MtomError::MalformedHeader(format!("no ':' in header line '{line}'")))?;
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
            return Err(MtomError::MalformedHeader(format!(
                "invalid header name '{name}'"
            )));
        }
        self.raw.push((name.to_owned(), value.trim().to_owned()));
        Ok(())
    }

    /// Builds the part headers; a repeated Content-ID, Content-Type or
    /// Content-Transfer-Encoding is refused as ambiguous.
    pub fn finish(self) -> Result<PartHeaders, MtomError> {
        let single = |name: &str| -> Result<Option<String>, MtomError> {
            let mut values = self
                .raw
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone());
            let first = values.next();
            if values.next().is_some() {
                return Err(MtomError::MalformedHeader(format!(
                    "{name} appears more than once in one part"
                )));
            }
            Ok(first)
        };
        let content_id = match single("Content-ID")? {
            Some(raw) => {
                let id = strip_angle_brackets(&raw);
                if id.is_empty() {
                    return Err(MtomError::MalformedHeader("empty Content-ID".to_owned()));
                }
                Some(id.to_owned())
            }
            None => None,
        };
        let content_type = single("Content-Type")?;
        let content_transfer_encoding = single("Content-Transfer-Encoding")?;
        Ok(PartHeaders {
            content_id,
            content_type,
            content_transfer_encoding,
            raw: self.raw,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn parses_and_unfolds() {
        let mut c = HeaderCollector::default();
        c.push_line(b"Content-Type: application/xop+xml;").unwrap();
        c.push_line(b"\tcharset=UTF-8").unwrap();
        c.push_line(b"content-id:  <a@b> ").unwrap();
        c.push_line(b"X-Empty:").unwrap();
        let h = c.finish().unwrap();
        assert_eq!(
            h.content_type.as_deref(),
            Some("application/xop+xml; charset=UTF-8")
        );
        assert_eq!(h.content_id.as_deref(), Some("a@b"));
        assert_eq!(h.get("x-empty"), Some(""));
        assert!(h.is_identity_encoded());
    }

    #[test]
    fn refuses_bad_lines() {
        let mut c = HeaderCollector::default();
        assert!(c.push_line(b" folded first").is_err());
        assert!(c.push_line(b"no colon").is_err());
        assert!(c.push_line(b"Bad Name: x").is_err());
        assert!(c.push_line(b"X: a\rb").is_err());
        assert!(c.push_line(b"X: \xff").is_err());
        let mut c = HeaderCollector::default();
        c.push_line(b"Content-ID: <a>").unwrap();
        c.push_line(b"Content-Id: <b>").unwrap();
        assert!(c.finish().is_err());
    }
}
