//! XML escaping for text we write into envelopes.
//!
//! Reasons and header values can echo what a client sent (an unsupported
//! action, a bad header name), so everything is escaped, and characters XML 1.0
//! cannot carry at all are replaced with U+FFFD instead of producing a document
//! the client cannot parse.

use std::borrow::Cow;

/// True for characters XML 1.0 allows in a document (production `Char`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn escape_with(raw: &str, in_attribute: bool) -> Cow<'_, str> {
    let needs_work = raw.chars().any(|c| {
        matches!(c, '&' | '<' | '>' | '\r') || !is_xml_char(c) || {
            in_attribute && matches!(c, '"' | '\'' | '\t' | '\n')
        }
    });
    if !needs_work {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // A literal CR would be normalised away by the reader.
            '\r' => out.push_str("&#13;"),
            '"' if in_attribute => out.push_str("&quot;"),
            '\'' if in_attribute => out.push_str("&apos;"),
            // Attribute-value normalisation would turn these into spaces.
            '\t' if in_attribute => out.push_str("&#9;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            c if !is_xml_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Escapes text for use as element content.
pub fn escape_text(raw: &str) -> Cow<'_, str> {
    escape_with(raw, false)
}

/// Escapes text for use inside a single- or double-quoted attribute value.
pub fn escape_attribute(raw: &str) -> Cow<'_, str> {
    escape_with(raw, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(escape_text("a<b>&c"), "a&lt;b&gt;&amp;c");
        assert_eq!(escape_text("plain"), Cow::Borrowed("plain"));
        assert_eq!(escape_text("x\u{0}y\u{1B}"), "x\u{FFFD}y\u{FFFD}");
        assert_eq!(escape_text("a\r\nb"), "a&#13;\nb");
        assert_eq!(
            escape_attribute("\"q\" 'a'\t\n"),
            "&quot;q&quot; &apos;a&apos;&#9;&#10;"
        );
    }
}
