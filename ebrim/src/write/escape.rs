//! Escaping that survives a parse unchanged: besides `&`, `<`, `>` and `"`,
//! carriage returns everywhere and tab/newline in attributes are written as
//! character references, since XML parsing normalizes them otherwise.
//! Characters XML 1.0 cannot carry at all become U+FFFD.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Bytes that force the slow path. 0xEF starts U+FFFE/U+FFFF.
fn needs_escape(b: u8, in_attribute: bool) -> bool {
    match b {
        b'&' | b'<' | b'>' | b'\r' | 0xEF => true,
        b'"' | b'\t' | b'\n' => in_attribute,
        _ => b < 0x20,
    }
}

fn escape_into(out: &mut String, value: &str, in_attribute: bool) {
    if !value.bytes().any(|b| needs_escape(b, in_attribute)) {
        out.push_str(value);
        return;
    }
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '"' if in_attribute => out.push_str("&quot;"),
            '\t' if in_attribute => out.push_str("&#9;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\t' | '\n' => out.push(c),
            c if crate::parse::is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
}

/// Append ` name="value"`.
pub(crate) fn attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    escape_into(out, value, true);
    out.push('"');
}

/// Append ` name="value"` when there is a value.
pub(crate) fn opt_attr(out: &mut String, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        attr(out, name, value);
    }
}

/// Append character data.
pub(crate) fn text(out: &mut String, value: &str) {
    escape_into(out, value, false);
}

/// Append `<tag>value</tag>`.
pub(crate) fn text_element(out: &mut String, tag: &str, value: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    text(out, value);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// What a Content-ID must not carry raw inside a `cid:` URL (RFC 2392 /
/// RFC 3986): controls, space, delimiters and `%` itself. Non-ASCII is
/// always encoded (as UTF-8).
const CID: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Append `<xop:Include href="cid:…"/>` for a Content-ID (without angle brackets).
pub(crate) fn xop_include(out: &mut String, content_id: &str) {
    let href = format!("cid:{}", utf8_percent_encode(content_id, CID));
    out.push_str("<xop:Include");
    attr(out, "href", &href);
    out.push_str("/>");
}
