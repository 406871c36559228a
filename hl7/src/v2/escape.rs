//! ER7 escape sequences (HL7 v2.5 §2.7): `\F\ \S\ \T\ \R\ \E\` and `\Xhh..\`.
//! Unknown sequences (formatting `\.br\`, `\H\`, charset switches `\C..\`…)
//! are left intact, as is an escape character without a closing one.

use std::borrow::Cow;

use super::Delimiters;

/// Replaces escape sequences in a value by the characters they stand for.
/// Borrows when the value holds no escape character.
pub fn unescape<'a>(value: &'a str, d: &Delimiters) -> Cow<'a, str> {
    if !value.contains(d.escape) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find(d.escape) {
        out.push_str(&rest[..start]);
        let after = &rest[start + d.escape.len_utf8()..];
        let Some(len) = after.find(d.escape) else {
            // No closing escape: keep the rest as it is.
            out.push_str(&rest[start..]);
            return Cow::Owned(out);
        };
        let sequence = &after[..len];
        match sequence {
            "F" => out.push(d.field),
            "S" => out.push(d.component),
            "T" => out.push(d.subcomponent),
            "R" => out.push(d.repetition),
            "E" => out.push(d.escape),
            _ => match hex_text(sequence) {
                Some(text) => out.push_str(&text),
                None => {
                    out.push(d.escape);
                    out.push_str(sequence);
                    out.push(d.escape);
                }
            },
        }
        rest = &after[len + d.escape.len_utf8()..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// `Xhhhh`: hex bytes that form UTF-8 text (ASCII in practice).
fn hex_text(sequence: &str) -> Option<String> {
    let hex = sequence.strip_prefix('X')?;
    if hex.is_empty() || hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    String::from_utf8(bytes?).ok()
}

/// Escapes delimiter characters (and CR/LF, which would end the segment) in a
/// value. Borrows when nothing needs escaping.
pub fn escape<'a>(value: &'a str, d: &Delimiters) -> Cow<'a, str> {
    let special = |c: char| {
        c == d.field
            || c == d.component
            || c == d.repetition
            || c == d.escape
            || c == d.subcomponent
            || c == '\r'
            || c == '\n'
    };
    if !value.contains(special) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        let code = if c == d.field {
            "F"
        } else if c == d.component {
            "S"
        } else if c == d.subcomponent {
            "T"
        } else if c == d.repetition {
            "R"
        } else if c == d.escape {
            "E"
        } else if c == '\r' {
            "X0D"
        } else if c == '\n' {
            "X0A"
        } else {
            out.push(c);
            continue;
        };
        out.push(d.escape);
        out.push_str(code);
        out.push(d.escape);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_sequences() {
        let d = Delimiters::default();
        assert_eq!(unescape(r"a\F\b\S\c\T\d\R\e\E\f", &d), "a|b^c&d~e\\f");
        assert_eq!(unescape(r"\X414243\", &d), "ABC");
        assert_eq!(unescape(r"line\.br\two", &d), r"line\.br\two");
        assert_eq!(unescape(r"dangling\F", &d), r"dangling\F");
        assert_eq!(unescape(r"\XZZ\", &d), r"\XZZ\");
        assert!(matches!(unescape("plain", &d), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_round_trips() {
        let d = Delimiters::default();
        let raw = "a|b^c&d~e\\f\rg";
        let escaped = escape(raw, &d);
        assert_eq!(escaped, r"a\F\b\S\c\T\d\R\e\E\f\X0D\g");
        assert_eq!(unescape(&escaped, &d), raw);
    }

    #[test]
    fn other_delimiters() {
        let d = Delimiters {
            field: '#',
            component: '!',
            repetition: '$',
            escape: '%',
            subcomponent: '@',
        };
        assert_eq!(unescape("%F%%S%", &d), "#!");
        assert_eq!(escape("#!", &d), "%F%%S%");
    }
}
