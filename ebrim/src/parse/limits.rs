//! Bounds on what a message may make the parser do. Nothing from the wire
//! (sizes, nesting, counts) is trusted; exceeding a bound is
//! [`ParseError::Malformed`](super::ParseError::Malformed).

/// Resource bounds for one parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest element nesting, SOAP Envelope included. XDS needs about 10.
    pub max_depth: usize,
    /// Total number of elements in the message.
    pub max_elements: usize,
    /// Size of the whole message in bytes.
    pub max_bytes: usize,
    /// `rim:Value` elements in one `rim:Slot`.
    pub max_slot_values: usize,
    /// Bytes of one attribute value or one text value (`rim:Value`, ids…).
    /// The XDS 256-character rules are checked later by validation; this only
    /// stops memory abuse.
    pub max_value_len: usize,
    /// Decoded bytes of all inline (base64, non-XOP) documents of one message.
    pub max_inline_document_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_elements: 2_000_000,
            max_bytes: 64 * 1024 * 1024,
            max_slot_values: 10_000,
            max_value_len: 64 * 1024,
            max_inline_document_bytes: 48 * 1024 * 1024,
        }
    }
}
