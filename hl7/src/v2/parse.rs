//! The parsed message and borrowed views of its parts.

use std::borrow::Cow;
use std::ops::Range;

use super::charset::{self, Charset, EncodeError};
use super::{Delimiters, ParseError, ParseLimits, unescape};
use crate::cx::Hd;

/// A decoded HL7 v2 message: the text plus where each segment is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    text: String,
    delimiters: Delimiters,
    charset: Charset,
    /// MSH-18 exactly as received (empty when absent), echoed in replies.
    charset_field: String,
    segments: Vec<Range<usize>>,
}

/// MSH-9: message code, trigger event, message structure.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageType {
    pub code: String,
    pub trigger: String,
    pub structure: String,
}

impl Message {
    /// Parses raw bytes (as they came out of an MLLP frame) with default limits.
    pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
        Self::parse_with_limits(bytes, &ParseLimits::default())
    }

    /// Parses raw bytes: size check, MSH-18 charset from the ASCII header,
    /// decode, delimiters, segment boundaries (CR; CR LF and LF accepted).
    pub fn parse_with_limits(bytes: &[u8], limits: &ParseLimits) -> Result<Message, ParseError> {
        if bytes.len() > limits.max_bytes {
            return Err(ParseError::TooLarge {
                size: bytes.len(),
                limit: limits.max_bytes,
            });
        }
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let bytes = bytes.get(skip..).unwrap_or_default();
        if bytes.is_empty() {
            return Err(ParseError::Empty);
        }
        let (charset, charset_field) = match charset::raw_msh18(bytes)? {
            None => (Charset::Default, String::new()),
            Some((value, repetition)) => match Charset::from_msh18(&value, repetition) {
                Some(c) => (c, value),
                None => return Err(ParseError::UnsupportedCharset(value)),
            },
        };
        // Undeclared and not UTF-8: ISO-8859-1; `ISO IR13` (or SJIS) with ISO
        // 2022 escape sequences: ISO-2022-JP. Replies are written the same way.
        let charset = match charset {
            Charset::Default if std::str::from_utf8(bytes).is_err() => Charset::Latin1,
            Charset::ShiftJis if bytes.contains(&0x1B) => Charset::Iso2022Jp,
            other => other,
        };
        let text = charset.decode(bytes)?.into_owned();
        Self::from_text(text, charset, charset_field, limits)
    }

    /// Only the MSH segment of raw bytes, for answering (AR) a message whose
    /// body [`Message::parse`] refused: MSA-2 needs MSH-10, and the reply
    /// needs the sender, delimiters and charset. Bytes after the first
    /// segment terminator are not looked at.
    pub fn parse_header(bytes: &[u8]) -> Result<Message, ParseError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let bytes = bytes.get(skip..).unwrap_or_default();
        let end = memchr::memchr2(b'\r', b'\n', bytes).unwrap_or(bytes.len());
        let header = bytes.get(..end).unwrap_or_default();
        // The caller's frame limit already bounds the size.
        let limits = ParseLimits {
            max_bytes: usize::MAX,
            ..ParseLimits::default()
        };
        Self::parse_with_limits(header, &limits)
    }

    /// Builds a message from already decoded text.
    pub(crate) fn from_text(
        text: String,
        charset: Charset,
        charset_field: String,
        limits: &ParseLimits,
    ) -> Result<Message, ParseError> {
        let delimiters = read_delimiters(&text)?;
        let mut segments = Vec::new();
        let mut start = 0usize;
        // CR and LF are ASCII, so their byte positions are char boundaries.
        let ends =
            memchr::memchr2_iter(b'\r', b'\n', text.as_bytes()).chain(std::iter::once(text.len()));
        for i in ends {
            if i > start {
                if segments.len() >= limits.max_segments {
                    return Err(ParseError::TooManySegments {
                        limit: limits.max_segments,
                    });
                }
                let range = start..i;
                check_segment(
                    &text[range.clone()],
                    segments.len() + 1,
                    &delimiters,
                    limits,
                )?;
                segments.push(range);
            }
            start = i + 1;
        }
        Ok(Message {
            text,
            delimiters,
            charset,
            charset_field,
            segments,
        })
    }

    /// The decoded text as received (segment separators untouched).
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn delimiters(&self) -> &Delimiters {
        &self.delimiters
    }

    /// The character set from MSH-18.
    pub fn charset(&self) -> Charset {
        self.charset
    }

    /// MSH-18 as received (empty when absent).
    pub fn charset_field(&self) -> &str {
        &self.charset_field
    }

    /// All segments in order.
    pub fn segments(&self) -> impl Iterator<Item = Segment<'_>> + '_ {
        self.segments.iter().map(move |r| Segment {
            text: &self.text[r.clone()],
            d: &self.delimiters,
        })
    }

    /// Number of segments.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// The first segment with this name.
    pub fn segment(&self, name: &str) -> Option<Segment<'_>> {
        self.segments().find(|s| s.name() == name)
    }

    /// Every segment with this name, in order.
    pub fn segments_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = Segment<'a>> + 'a {
        self.segments().filter(move |s| s.name() == name)
    }

    /// The MSH segment (always present in a parsed message).
    pub fn msh(&self) -> Segment<'_> {
        let range = self.segments.first().cloned().unwrap_or(0..0);
        Segment {
            text: &self.text[range],
            d: &self.delimiters,
        }
    }

    fn msh_hd(&self, field: usize) -> Hd {
        self.msh()
            .field(field)
            .and_then(|f| f.repetition(1))
            .map(|r| Hd::from_repetition(&r))
            .unwrap_or_default()
    }

    /// MSH-3.
    pub fn sending_application(&self) -> Hd {
        self.msh_hd(3)
    }

    /// MSH-4.
    pub fn sending_facility(&self) -> Hd {
        self.msh_hd(4)
    }

    /// MSH-5.
    pub fn receiving_application(&self) -> Hd {
        self.msh_hd(5)
    }

    /// MSH-6.
    pub fn receiving_facility(&self) -> Hd {
        self.msh_hd(6)
    }

    /// MSH-9 (code, trigger event, structure).
    pub fn message_type(&self) -> MessageType {
        let Some(field) = self.msh().field(9) else {
            return MessageType::default();
        };
        let c = |n| field.component(n).trim().to_owned();
        MessageType {
            code: c(1),
            trigger: c(2),
            structure: c(3),
        }
    }

    /// MSH-10 message control id.
    pub fn control_id(&self) -> Cow<'_, str> {
        self.msh_value(10)
    }

    /// MSH-11 first component (`P`, `T`, `D`).
    pub fn processing_id(&self) -> Cow<'_, str> {
        self.msh()
            .field(11)
            .map(|f| f.component(1))
            .unwrap_or_default()
    }

    /// MSH-12 first component (`2.3.1`, `2.5`…).
    pub fn version(&self) -> Cow<'_, str> {
        self.msh()
            .field(12)
            .map(|f| f.component(1))
            .unwrap_or_default()
    }

    fn msh_value(&self, n: usize) -> Cow<'_, str> {
        self.msh().field(n).map(|f| f.value()).unwrap_or_default()
    }

    /// The message as ER7 text with CR segment separators (trailing CR included).
    pub fn to_er7(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 1);
        for s in self.segments() {
            out.push_str(s.text);
            out.push('\r');
        }
        out
    }

    /// The message as bytes in its own character set, ready for MLLP.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        self.charset.encode(&self.to_er7())
    }
}

fn read_delimiters(text: &str) -> Result<Delimiters, ParseError> {
    let rest = text.strip_prefix("MSH").ok_or(ParseError::MissingMsh)?;
    let mut chars = rest.chars();
    let field = chars.next().ok_or(ParseError::MissingMsh)?;
    let encoding: Vec<char> = chars
        .take_while(|&c| c != field && c != '\r' && c != '\n')
        .take(6)
        .collect();
    let bad = |why: &str| ParseError::BadEncodingCharacters(why.to_owned());
    // v2.7 adds a fifth (truncation) character; it is not needed here.
    if encoding.len() < 4 || encoding.len() > 5 {
        return Err(bad("MSH-2 must hold 4 encoding characters"));
    }
    let d = Delimiters {
        field,
        component: encoding[0],
        repetition: encoding[1],
        escape: encoding[2],
        subcomponent: encoding[3],
    };
    // The v2.7 truncation character, when present, obeys the same rules.
    let mut all = vec![d.field, d.component, d.repetition, d.escape, d.subcomponent];
    all.extend(encoding.get(4));
    for (i, c) in all.iter().enumerate() {
        if c.is_alphanumeric() || c.is_whitespace() || c.is_control() || !c.is_ascii() {
            return Err(bad("delimiters must be printable ASCII punctuation"));
        }
        if all[..i].contains(c) {
            return Err(bad("delimiters must all differ"));
        }
    }
    Ok(d)
}

fn check_segment(
    text: &str,
    index: usize,
    d: &Delimiters,
    limits: &ParseLimits,
) -> Result<(), ParseError> {
    let name = text.split(d.field).next().unwrap_or("");
    let valid = name.len() == 3
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !valid {
        let name: String = name.chars().take(16).collect();
        return Err(ParseError::BadSegmentName { index, name });
    }
    if index == 1 && name != "MSH" {
        return Err(ParseError::MissingMsh);
    }
    let fields = if d.field.is_ascii() {
        memchr::memchr_iter(d.field as u8, text.as_bytes()).count()
    } else {
        text.matches(d.field).count()
    };
    if fields > limits.max_fields {
        return Err(ParseError::TooManyFields {
            segment: name.to_owned(),
            index,
            limit: limits.max_fields,
        });
    }
    Ok(())
}

/// One segment, borrowed from its message.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'m> {
    text: &'m str,
    d: &'m Delimiters,
}

impl<'m> Segment<'m> {
    /// The three-letter segment id.
    pub fn name(&self) -> &'m str {
        self.text.get(..3).unwrap_or(self.text)
    }

    /// The raw segment text.
    pub fn raw(&self) -> &'m str {
        self.text
    }

    /// Field `n` (HL7 numbering), `None` when the segment is shorter.
    /// MSH-1 is the field separator and MSH-2 the encoding characters.
    pub fn field(&self, n: usize) -> Option<Field<'m>> {
        if n == 0 {
            return None;
        }
        let index = if self.name() == "MSH" {
            if n == 1 {
                let len = self.d.field.len_utf8();
                return self
                    .text
                    .get(3..3 + len)
                    .map(|raw| Field { raw, d: self.d });
            }
            n - 1
        } else {
            n
        };
        self.text
            .split(self.d.field)
            .nth(index)
            .map(|raw| Field { raw, d: self.d })
    }

    /// Unescaped value of field `n` (empty when absent).
    pub fn value(&self, n: usize) -> Cow<'m, str> {
        self.field(n).map(|f| f.value()).unwrap_or_default()
    }

    /// Number of fields after the segment name.
    pub fn field_count(&self) -> usize {
        let n = self.text.matches(self.d.field).count();
        if self.name() == "MSH" { n + 1 } else { n }
    }
}

/// One field (all its repetitions).
#[derive(Debug, Clone, Copy)]
pub struct Field<'m> {
    raw: &'m str,
    d: &'m Delimiters,
}

impl<'m> Field<'m> {
    /// The raw (escaped) text.
    pub fn raw(&self) -> &'m str {
        self.raw
    }

    /// The whole field, unescaped (only meaningful for simple fields).
    pub fn value(&self) -> Cow<'m, str> {
        unescape(self.raw, self.d)
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// `""` (two double quotes): HL7's explicit null ("delete this value").
    pub fn is_null(&self) -> bool {
        self.raw == "\"\""
    }

    /// The repetitions (an empty field has one empty repetition).
    pub fn repetitions(&self) -> impl Iterator<Item = Repetition<'m>> + 'm {
        let d = self.d;
        self.raw
            .split(d.repetition)
            .map(move |raw| Repetition { raw, d })
    }

    /// Repetition `n` (from 1).
    pub fn repetition(&self, n: usize) -> Option<Repetition<'m>> {
        n.checked_sub(1).and_then(|i| self.repetitions().nth(i))
    }

    /// Component `n` of the first repetition, unescaped (empty when absent).
    pub fn component(&self, n: usize) -> Cow<'m, str> {
        self.repetition(1)
            .map(|r| r.component(n).value())
            .unwrap_or_default()
    }
}

/// One repetition of a field.
#[derive(Debug, Clone, Copy)]
pub struct Repetition<'m> {
    raw: &'m str,
    d: &'m Delimiters,
}

impl<'m> Repetition<'m> {
    /// A view of ER7 text that is one repetition (e.g. a CX typed by a user).
    pub fn from_er7(raw: &'m str, delimiters: &'m Delimiters) -> Self {
        Self { raw, d: delimiters }
    }

    pub fn raw(&self) -> &'m str {
        self.raw
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    pub fn components(&self) -> impl Iterator<Item = Component<'m>> + 'm {
        let d = self.d;
        self.raw
            .split(d.component)
            .map(move |raw| Component { raw, d })
    }

    /// Component `n` (from 1); an empty component when absent.
    pub fn component(&self, n: usize) -> Component<'m> {
        n.checked_sub(1)
            .and_then(|i| self.components().nth(i))
            .unwrap_or(Component { raw: "", d: self.d })
    }

    /// The whole repetition, unescaped.
    pub fn value(&self) -> Cow<'m, str> {
        unescape(self.raw, self.d)
    }
}

/// One component (possibly with subcomponents).
#[derive(Debug, Clone, Copy)]
pub struct Component<'m> {
    raw: &'m str,
    d: &'m Delimiters,
}

impl<'m> Component<'m> {
    pub fn raw(&self) -> &'m str {
        self.raw
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The component unescaped (subcomponent separators kept as they are).
    pub fn value(&self) -> Cow<'m, str> {
        unescape(self.raw, self.d)
    }

    /// Subcomponent `n` (from 1), unescaped; empty when absent.
    pub fn subcomponent(&self, n: usize) -> Cow<'m, str> {
        n.checked_sub(1)
            .and_then(|i| self.raw.split(self.d.subcomponent).nth(i))
            .map(|raw| unescape(raw, self.d))
            .unwrap_or_default()
    }
}
