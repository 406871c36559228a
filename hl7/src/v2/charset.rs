//! MSH-18 character sets: read the declaration from the raw bytes, decode the
//! whole message to a `String` before any delimiter is looked at, encode
//! replies back into the same character set.
//!
//! ISO-2022-JP (`ISO IR87`) double-byte codes use bytes 0x21-0x7E, so `|`,
//! `^`, `~`, `\` and `&` can occur inside a kanji: splitting before decoding
//! would cut characters in half.

use std::borrow::Cow;

use encoding_rs::{ISO_2022_JP, SHIFT_JIS};

use super::ParseError;

/// The character set a message is written in (from MSH-18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Charset {
    /// MSH-18 empty (HL7 default ASCII). UTF-8 is accepted leniently; bytes that
    /// are not UTF-8 are read as ISO-8859-1 (never fails).
    Default,
    /// `ASCII` / `ISO IR6`.
    Ascii,
    /// `UNICODE UTF-8`.
    Utf8,
    /// `8859/1`.
    Latin1,
    /// `ISO IR87` (JIS X 0208) and/or `ISO IR13` (JIS X 0201) with ISO 2022
    /// escape sequences, i.e. ISO-2022-JP.
    Iso2022Jp,
    /// `SJIS` / `Shift_JIS` (not an HL7 table 0211 value, but seen in Japan),
    /// also `ISO IR13` alone without escape sequences (8-bit JIS X 0201);
    /// a message with ISO 2022 escape sequences is read as [`Charset::Iso2022Jp`].
    ShiftJis,
}

impl Charset {
    /// Reads an MSH-18 value (all repetitions, already split out of the raw
    /// header) into a charset. `None` for values this crate cannot decode.
    pub fn from_msh18(value: &str, repetition: char) -> Option<Charset> {
        let mut ascii = false;
        let mut jis = false;
        let mut katakana_only = false;
        let mut other: Option<Charset> = None;
        for rep in value.split(repetition) {
            // Only the first component (CE-like values are sometimes sent).
            let name = rep.split('^').next().unwrap_or("").trim();
            match name.to_ascii_uppercase().as_str() {
                "" => {}
                "ASCII" | "ISO IR6" | "ISO-IR6" | "ISO_IR 6" => ascii = true,
                "ISO IR87" | "ISO-IR87" | "ISO_IR 87" | "ISO 2022-1994" | "ISO-2022-JP" => {
                    jis = true
                }
                "ISO IR13" | "ISO-IR13" | "ISO_IR 13" => katakana_only = true,
                "UNICODE UTF-8" | "UNICODE" | "UTF-8" | "UTF8" => other = Some(Charset::Utf8),
                "8859/1" | "ISO-8859-1" | "ISO 8859-1" | "ISO IR100" => {
                    other = Some(Charset::Latin1)
                }
                "SJIS" | "SHIFT_JIS" | "SHIFT-JIS" | "MS932" | "CP932" | "WINDOWS-31J" => {
                    other = Some(Charset::ShiftJis)
                }
                _ => return None,
            }
        }
        Some(if jis {
            Charset::Iso2022Jp
        } else if katakana_only {
            // Decided per message: escape sequences mean ISO-2022-JP.
            Charset::ShiftJis
        } else if let Some(c) = other {
            c
        } else if ascii {
            Charset::Ascii
        } else {
            Charset::Default
        })
    }

    /// The MSH-18 value declaring this charset (empty for the HL7 default).
    pub fn msh18_value(self) -> &'static str {
        match self {
            Charset::Default => "",
            Charset::Ascii => "ASCII",
            Charset::Utf8 => "UNICODE UTF-8",
            Charset::Latin1 => "8859/1",
            Charset::Iso2022Jp => "~ISO IR87",
            Charset::ShiftJis => "SJIS",
        }
    }

    /// Decodes raw message bytes. Invalid byte sequences are an error (never
    /// replaced), except for [`Charset::Default`] which falls back to ISO-8859-1.
    pub fn decode<'b>(self, bytes: &'b [u8]) -> Result<Cow<'b, str>, ParseError> {
        let invalid = |charset: &'static str| ParseError::InvalidText { charset };
        match self {
            Charset::Default => match std::str::from_utf8(bytes) {
                Ok(s) => Ok(Cow::Borrowed(s)),
                Err(_) => Ok(Cow::Owned(latin1(bytes))),
            },
            Charset::Ascii => {
                // Lenient: UTF-8 is a superset, many senders declare ASCII wrongly.
                std::str::from_utf8(bytes)
                    .map(Cow::Borrowed)
                    .map_err(|_| invalid("ASCII"))
            }
            Charset::Utf8 => std::str::from_utf8(bytes)
                .map(Cow::Borrowed)
                .map_err(|_| invalid("UTF-8")),
            Charset::Latin1 => Ok(Cow::Owned(latin1(bytes))),
            Charset::Iso2022Jp => ISO_2022_JP
                .decode_without_bom_handling_and_without_replacement(bytes)
                .ok_or_else(|| invalid("ISO-2022-JP")),
            Charset::ShiftJis => SHIFT_JIS
                .decode_without_bom_handling_and_without_replacement(bytes)
                .ok_or_else(|| invalid("Shift_JIS")),
        }
    }

    /// Encodes text for the wire. Characters the charset cannot represent are
    /// an error (never replaced by `?` or numeric references).
    pub fn encode(self, text: &str) -> Result<Vec<u8>, EncodeError> {
        match self {
            Charset::Default | Charset::Utf8 => Ok(text.as_bytes().to_vec()),
            Charset::Ascii => {
                if let Some(c) = text.chars().find(|c| !c.is_ascii()) {
                    return Err(EncodeError::Unrepresentable {
                        character: c,
                        charset: "ASCII",
                    });
                }
                Ok(text.as_bytes().to_vec())
            }
            Charset::Latin1 => text
                .chars()
                .map(|c| {
                    u8::try_from(u32::from(c)).map_err(|_| EncodeError::Unrepresentable {
                        character: c,
                        charset: "ISO-8859-1",
                    })
                })
                .collect(),
            Charset::Iso2022Jp => encode_iso_2022_jp(text),
            Charset::ShiftJis => encode_with(SHIFT_JIS, text),
        }
    }
}

/// ISO-2022-JP as SS-MIX2 feeds use it: JIS X 0208 via `ESC $ B`, and
/// half-width katakana (JIS X 0201, `ISO IR13`) via `ESC ( I` — encoding_rs
/// alone would turn half-width katakana into full-width, changing names.
const ESC_ASCII: &[u8] = b"\x1b(B";

fn encode_iso_2022_jp(text: &str) -> Result<Vec<u8>, EncodeError> {
    let is_katakana = |c: char| ('\u{FF61}'..='\u{FF9F}').contains(&c);
    let mut out = Vec::with_capacity(text.len() + 16);
    let mut rest = text;
    while !rest.is_empty() {
        let split = rest.find(is_katakana).unwrap_or(rest.len());
        let (other, tail) = rest.split_at(split);
        if !other.is_empty() {
            // Each call ends in ASCII state.
            out.extend_from_slice(&encode_with(ISO_2022_JP, other)?);
        }
        let run = tail.find(|c: char| !is_katakana(c)).unwrap_or(tail.len());
        let (katakana, after) = tail.split_at(run);
        if !katakana.is_empty() {
            // Two escape sequences in a row are an error for WHATWG
            // decoders: switch straight from JIS X 0208 to katakana.
            if out.ends_with(ESC_ASCII) {
                out.truncate(out.len() - ESC_ASCII.len());
            }
            out.extend_from_slice(b"\x1b(I");
            for c in katakana.chars() {
                // U+FF61..U+FF9F map to 0x21..0x5F.
                let byte = u32::from(c) - 0xFF61 + 0x21;
                out.push(
                    u8::try_from(byte).map_err(|_| EncodeError::Unrepresentable {
                        character: c,
                        charset: "ISO-2022-JP",
                    })?,
                );
            }
            // Back to ASCII unless the next run starts with its own escape.
            if after.chars().next().is_none_or(|c| c.is_ascii()) {
                out.extend_from_slice(ESC_ASCII);
            }
        }
        rest = after;
    }
    Ok(out)
}

fn encode_with(
    encoding: &'static encoding_rs::Encoding,
    text: &str,
) -> Result<Vec<u8>, EncodeError> {
    let mut encoder = encoding.new_encoder();
    let capacity = encoder
        .max_buffer_length_from_utf8_without_replacement(text.len())
        .ok_or(EncodeError::TooLong)?;
    let mut out = vec![0u8; capacity];
    let (result, _read, written) =
        encoder.encode_from_utf8_without_replacement(text, &mut out, true);
    match result {
        encoding_rs::EncoderResult::InputEmpty => {
            out.truncate(written);
            Ok(out)
        }
        encoding_rs::EncoderResult::Unmappable(character) => Err(EncodeError::Unrepresentable {
            character,
            charset: encoding.name(),
        }),
        encoding_rs::EncoderResult::OutputFull => Err(EncodeError::TooLong),
    }
}

/// Why a message could not be written in its character set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("character {character:?} cannot be written in {charset}")]
    Unrepresentable {
        character: char,
        charset: &'static str,
    },
    #[error("message too long to encode")]
    TooLong,
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Finds the raw MSH-18 value and the repetition separator in the undecoded
/// bytes. Only the MSH segment is read; ISO 2022 double-byte runs are skipped
/// so a kanji byte equal to the field separator is not taken for one.
/// Returns `Ok(None)` when the header has fewer than 18 fields.
pub(crate) fn raw_msh18(bytes: &[u8]) -> Result<Option<(String, char)>, ParseError> {
    if bytes.len() < 8 || !bytes.starts_with(b"MSH") {
        return Err(ParseError::MissingMsh);
    }
    let field = bytes[3];
    let repetition = *bytes.get(5).ok_or(ParseError::MissingMsh)?;
    if !field.is_ascii_graphic() || !repetition.is_ascii_graphic() {
        return Err(ParseError::BadEncodingCharacters(
            "MSH-1/MSH-2 must be printable ASCII".into(),
        ));
    }
    let mut double_byte = false;
    let mut field_no = 1usize;
    let mut start18: Option<usize> = None;
    let mut i = 3usize;
    while let Some(&b) = bytes.get(i) {
        if b == b'\r' || b == b'\n' {
            break;
        }
        if b == 0x1B {
            // Outside ASCII / JIS-Roman, bytes are character codes, not delimiters.
            match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(b'$'), Some(b'B' | b'@' | b'(')) => double_byte = true,
                (Some(b'('), Some(b'I')) => double_byte = true,
                (Some(b'('), Some(_)) => double_byte = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if !double_byte && b == field {
            field_no += 1;
            if field_no == 18 {
                start18 = Some(i + 1);
            } else if field_no == 19 {
                break;
            }
        }
        i += 1;
    }
    let Some(start) = start18 else {
        return Ok(None);
    };
    let value = bytes.get(start..i).unwrap_or_default();
    // Charset names are ASCII; anything else is not a name we know.
    let value = String::from_utf8_lossy(value).into_owned();
    Ok(Some((value, char::from(repetition))))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn msh18_values() {
        assert_eq!(
            Charset::from_msh18("~ISO IR87", '~'),
            Some(Charset::Iso2022Jp)
        );
        assert_eq!(
            Charset::from_msh18("ISO IR6~ISO IR87~ISO IR13", '~'),
            Some(Charset::Iso2022Jp)
        );
        assert_eq!(
            Charset::from_msh18("UNICODE UTF-8", '~'),
            Some(Charset::Utf8)
        );
        assert_eq!(Charset::from_msh18("8859/1", '~'), Some(Charset::Latin1));
        assert_eq!(Charset::from_msh18("SJIS", '~'), Some(Charset::ShiftJis));
        assert_eq!(Charset::from_msh18("", '~'), Some(Charset::Default));
        assert_eq!(Charset::from_msh18("EBCDIC", '~'), None);
    }

    #[test]
    fn invalid_iso_2022_jp_is_an_error() {
        // ESC $ B followed by a byte outside 0x21-0x7E.
        let bytes = b"MSH|\x1b$B\x01\x02\x1b(B";
        assert!(Charset::Iso2022Jp.decode(bytes).is_err());
    }

    #[test]
    fn unrepresentable_character_is_an_error() {
        assert!(Charset::Iso2022Jp.encode("\u{1F600}").is_err());
        assert!(Charset::Latin1.encode("山").is_err());
        assert!(Charset::Ascii.encode("é").is_err());
    }
}
