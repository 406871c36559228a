//! The content of an `xds:Document`: an XOP reference to a MIME part or
//! inline base64.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use percent_encoding::percent_decode_str;

use super::ParseError;
use super::cursor::{Cursor, Ev, Key, Ns, trimmed};
use crate::model::DocumentContent;

/// Lenient on padding and trailing bits: senders differ, the bytes do not.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Read the content of an `xds:Document` (or `xds:DocumentResponse/xds:Document`)
/// whose start was just read. `id` names the document in messages.
pub(crate) fn document_content(
    cur: &mut Cursor<'_>,
    id: &str,
) -> Result<DocumentContent, ParseError> {
    let mut encoded = String::new();
    let mut include: Option<String> = None;
    loop {
        match cur.next()? {
            Ev::Text(piece) => {
                if piece.is_blank() {
                    continue;
                }
                if include.is_some() {
                    return Err(mixed(id));
                }
                let content = piece.content();
                for part in content.split(is_space) {
                    encoded.push_str(part);
                }
                let limit = cur.limits().max_inline_document_bytes;
                if cur.inline_bytes.saturating_add(encoded.len() / 4 * 3) > limit {
                    return Err(ParseError::malformed(format!(
                        "inline documents exceed the limit of {limit} bytes"
                    )));
                }
            }
            Ev::Start(child) => {
                if !child.is(Ns::Xop, "Include") {
                    return Err(ParseError::invalid(format!(
                        "unexpected element {} in xds:Document",
                        child.display()
                    ))
                    .within(id));
                }
                if include.is_some() || !encoded.is_empty() {
                    return Err(mixed(id));
                }
                let [href] = cur.attrs(&child, [Key::Plain("href")])?;
                let href = href.ok_or_else(|| {
                    ParseError::invalid("xop:Include is missing required attribute href").within(id)
                })?;
                include = Some(content_id(&href).map_err(|e| e.within(id))?);
                // XOP receivers ignore anything inside xop:Include.
                cur.skip()?;
            }
            Ev::End => break,
            Ev::Eof => return Err(ParseError::malformed("unexpected end of document")),
        }
    }
    if let Some(cid) = include {
        return Ok(DocumentContent::XopInclude(cid));
    }
    let bytes = BASE64.decode(encoded.as_bytes()).map_err(|e| {
        ParseError::invalid(format!("xds:Document content is not valid base64: {e}")).within(id)
    })?;
    cur.inline_bytes = cur.inline_bytes.saturating_add(bytes.len());
    Ok(DocumentContent::Inline(bytes))
}

fn mixed(id: &str) -> ParseError {
    ParseError::invalid("xds:Document must hold either one xop:Include or base64 text, not both")
        .within(id)
}

/// `cid:` URL to Content-ID (RFC 2392): strip the scheme, percent-decode.
fn content_id(href: &str) -> Result<String, ParseError> {
    let href = trimmed(href.to_owned());
    let rest = href
        .get(..4)
        .filter(|scheme| scheme.eq_ignore_ascii_case("cid:"))
        .and_then(|_| href.get(4..))
        .ok_or_else(|| {
            ParseError::invalid(format!("xop:Include href {href:?} is not a cid: URL"))
        })?;
    let cid = percent_decode_str(rest).decode_utf8().map_err(|_| {
        ParseError::invalid(format!(
            "xop:Include href {href:?} does not percent-decode to UTF-8"
        ))
    })?;
    if cid.is_empty() {
        return Err(ParseError::invalid(
            "xop:Include href has an empty Content-ID",
        ));
    }
    Ok(cid.into_owned())
}
