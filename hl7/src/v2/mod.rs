//! HL7 v2 ER7 ("pipe and hat") parser and writer.
//!
//! [`Message::parse`] decodes the raw bytes with the MSH-18 character set,
//! reads the delimiters from MSH-1/MSH-2, and records where each segment is;
//! fields, repetitions, components and subcomponents are then borrowed
//! slices of the decoded text ([`Segment`], [`Field`], [`Repetition`],
//! [`Component`]). Values are unescaped on request ([`Field::value`] & co.)
//! without allocating when they hold no escape sequence.
//!
//! Positions follow HL7 numbering: field 1 is the first field after the
//! segment name (for MSH, field 1 is the field separator itself and field 2
//! the encoding characters), repetitions/components/subcomponents count from 1.
//!
//! [`MessageBuilder`] writes messages with given delimiters and charset.

mod charset;
mod escape;
mod parse;
mod writer;

pub use charset::{Charset, EncodeError};

pub use escape::{escape, unescape};
pub use parse::{Component, Field, Message, MessageType, Repetition, Segment};
pub use writer::{FieldValue, MessageBuilder};

/// The five ER7 delimiters of a message (MSH-1 and MSH-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delimiters {
    pub field: char,
    pub component: char,
    pub repetition: char,
    pub escape: char,
    pub subcomponent: char,
}

/// `|^~\&`, the delimiters nearly every sender uses.
pub static STANDARD_DELIMITERS: Delimiters = Delimiters {
    field: '|',
    component: '^',
    repetition: '~',
    escape: '\\',
    subcomponent: '&',
};

impl Default for Delimiters {
    /// `|^~\&`.
    fn default() -> Self {
        STANDARD_DELIMITERS
    }
}

impl Delimiters {
    /// MSH-2 as written: component, repetition, escape, subcomponent.
    pub fn encoding_characters(&self) -> String {
        [
            self.component,
            self.repetition,
            self.escape,
            self.subcomponent,
        ]
        .iter()
        .collect()
    }
}

/// Bounds applied while parsing a message from the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest raw message, in bytes.
    pub max_bytes: usize,
    /// Most segments in one message.
    pub max_segments: usize,
    /// Most fields in one segment.
    pub max_fields: usize,
}

impl Default for ParseLimits {
    /// 1 MiB (the MLLP default frame), 1000 segments, 256 fields per segment.
    fn default() -> Self {
        Self {
            max_bytes: crate::mllp::DEFAULT_MAX_FRAME_LEN,
            max_segments: 1000,
            max_fields: 256,
        }
    }
}

/// Why bytes are not an HL7 v2 message this crate can read.
///
/// All of these are answered with an `AR` acknowledgement when a header could
/// be read at all; without a readable MSH no acknowledgement is possible.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("empty message")]
    Empty,
    #[error("message does not start with an MSH segment")]
    MissingMsh,
    #[error("bad MSH-1/MSH-2 encoding characters: {0}")]
    BadEncodingCharacters(String),
    #[error("unsupported character set in MSH-18: {0:?}")]
    UnsupportedCharset(String),
    #[error("message bytes are not valid {charset}")]
    InvalidText { charset: &'static str },
    #[error("message of {size} bytes exceeds the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("more than {limit} segments")]
    TooManySegments { limit: usize },
    #[error("segment {segment} (number {index}) has more than {limit} fields")]
    TooManyFields {
        segment: String,
        index: usize,
        limit: usize,
    },
    #[error("segment number {index} has an invalid name {name:?}")]
    BadSegmentName { index: usize, name: String },
}
