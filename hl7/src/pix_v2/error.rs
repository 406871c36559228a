//! Acknowledgement codes and ERR segment content (HL7 tables 0008, 0357, 0516).

use std::fmt;

/// MSA-1 acknowledgement code (original mode; enhanced-mode commit codes
/// CA/CE/CR received from a peer are read as AA/AE/AR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AckCode {
    /// Application accept.
    AA,
    /// Application error: the message was understood but could not be processed.
    AE,
    /// Application reject: unsupported message type/event/version, or unreadable.
    AR,
}

impl AckCode {
    pub fn as_str(self) -> &'static str {
        match self {
            AckCode::AA => "AA",
            AckCode::AE => "AE",
            AckCode::AR => "AR",
        }
    }

    /// Reads MSA-1 (`CA`/`CE`/`CR` map to `AA`/`AE`/`AR`).
    pub fn parse(value: &str) -> Option<AckCode> {
        match value.trim() {
            "AA" | "CA" => Some(AckCode::AA),
            "AE" | "CE" => Some(AckCode::AE),
            "AR" | "CR" => Some(AckCode::AR),
            _ => None,
        }
    }
}

/// HL7 table 0357 message error condition codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    SegmentSequenceError,
    RequiredFieldMissing,
    DataTypeError,
    TableValueNotFound,
    UnsupportedMessageType,
    UnsupportedEventCode,
    UnsupportedProcessingId,
    UnsupportedVersionId,
    UnknownKeyIdentifier,
    DuplicateKeyIdentifier,
    ApplicationRecordLocked,
    ApplicationInternalError,
}

impl ErrorCode {
    /// The numeric code (ERR-3.1).
    pub fn code(self) -> u16 {
        match self {
            ErrorCode::SegmentSequenceError => 100,
            ErrorCode::RequiredFieldMissing => 101,
            ErrorCode::DataTypeError => 102,
            ErrorCode::TableValueNotFound => 103,
            ErrorCode::UnsupportedMessageType => 200,
            ErrorCode::UnsupportedEventCode => 201,
            ErrorCode::UnsupportedProcessingId => 202,
            ErrorCode::UnsupportedVersionId => 203,
            ErrorCode::UnknownKeyIdentifier => 204,
            ErrorCode::DuplicateKeyIdentifier => 205,
            ErrorCode::ApplicationRecordLocked => 206,
            ErrorCode::ApplicationInternalError => 207,
        }
    }

    /// The table 0357 text (ERR-3.2).
    pub fn text(self) -> &'static str {
        match self {
            ErrorCode::SegmentSequenceError => "Segment sequence error",
            ErrorCode::RequiredFieldMissing => "Required field missing",
            ErrorCode::DataTypeError => "Data type error",
            ErrorCode::TableValueNotFound => "Table value not found",
            ErrorCode::UnsupportedMessageType => "Unsupported message type",
            ErrorCode::UnsupportedEventCode => "Unsupported event code",
            ErrorCode::UnsupportedProcessingId => "Unsupported processing id",
            ErrorCode::UnsupportedVersionId => "Unsupported version id",
            ErrorCode::UnknownKeyIdentifier => "Unknown key identifier",
            ErrorCode::DuplicateKeyIdentifier => "Duplicate key identifier",
            ErrorCode::ApplicationRecordLocked => "Application record locked",
            ErrorCode::ApplicationInternalError => "Application internal error",
        }
    }

    /// Reads a numeric code.
    pub fn from_code(code: u16) -> Option<ErrorCode> {
        use ErrorCode::*;
        [
            SegmentSequenceError,
            RequiredFieldMissing,
            DataTypeError,
            TableValueNotFound,
            UnsupportedMessageType,
            UnsupportedEventCode,
            UnsupportedProcessingId,
            UnsupportedVersionId,
            UnknownKeyIdentifier,
            DuplicateKeyIdentifier,
            ApplicationRecordLocked,
            ApplicationInternalError,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }
}

/// ERR-2 error location (ERL): `QPD^1^3^1^1` = segment QPD, first QPD,
/// field 3, repetition 1, component 1.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ErrLocation {
    pub segment: String,
    /// Which occurrence of the segment (from 1).
    pub sequence: u32,
    pub field: Option<u32>,
    pub repetition: Option<u32>,
    pub component: Option<u32>,
    pub subcomponent: Option<u32>,
}

impl ErrLocation {
    /// A whole segment.
    pub fn segment(segment: &str) -> Self {
        Self {
            segment: segment.to_owned(),
            sequence: 1,
            field: None,
            repetition: None,
            component: None,
            subcomponent: None,
        }
    }

    /// A field of the first occurrence of a segment.
    pub fn field(segment: &str, field: u32) -> Self {
        Self {
            field: Some(field),
            ..Self::segment(segment)
        }
    }

    /// Component `component` of repetition `repetition` of a field.
    pub fn component(segment: &str, field: u32, repetition: u32, component: u32) -> Self {
        Self {
            field: Some(field),
            repetition: Some(repetition),
            component: Some(component),
            ..Self::segment(segment)
        }
    }

    /// Which occurrence of the segment (A40 may carry several PID/MRG groups).
    pub fn in_occurrence(mut self, sequence: u32) -> Self {
        self.sequence = sequence;
        self
    }

    /// The ERL components in order (trailing unset parts omitted).
    pub fn components(&self) -> Vec<String> {
        let mut out = vec![self.segment.clone(), self.sequence.to_string()];
        for part in [
            self.field,
            self.repetition,
            self.component,
            self.subcomponent,
        ] {
            match part {
                Some(n) => out.push(n.to_string()),
                None => break,
            }
        }
        out
    }
}

impl fmt::Display for ErrLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.components().join("^"))
    }
}

/// What goes into one ERR segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrDetail {
    /// ERR-3 (table 0357).
    pub code: ErrorCode,
    /// ERR-2 (repeating: several QPD-4 domains can be unknown at once).
    pub locations: Vec<ErrLocation>,
    /// ERR-8 user message (and MSA-3 / ERR-1 text for v2.3.1).
    pub message: String,
}

impl ErrDetail {
    pub fn new(code: ErrorCode, location: Option<ErrLocation>, message: impl Into<String>) -> Self {
        Self {
            code,
            locations: location.into_iter().collect(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ErrDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code.code(), self.code.text())?;
        for l in &self.locations {
            write!(f, " at {l}")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl From<&crate::v2::ParseError> for ErrDetail {
    /// What to put in the ERR segment of an AR for a message that could not be
    /// parsed (answered with [`crate::v2::Message::parse_header`]).
    fn from(e: &crate::v2::ParseError) -> Self {
        use crate::v2::ParseError as P;
        let (code, location) = match e {
            P::UnsupportedCharset(_) => (
                ErrorCode::TableValueNotFound,
                Some(ErrLocation::field("MSH", 18)),
            ),
            P::InvalidText { .. } => (ErrorCode::DataTypeError, None),
            P::BadEncodingCharacters(_) => {
                (ErrorCode::DataTypeError, Some(ErrLocation::field("MSH", 2)))
            }
            P::BadSegmentName { .. } | P::Empty | P::MissingMsh => {
                (ErrorCode::SegmentSequenceError, None)
            }
            P::TooLarge { .. } | P::TooManySegments { .. } | P::TooManyFields { .. } => {
                (ErrorCode::ApplicationInternalError, None)
            }
        };
        ErrDetail::new(code, location, e.to_string())
    }
}

/// A request the hub cannot process, with everything its ACK/RSP needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{ack_code:?}: {detail}")]
pub struct RequestError {
    /// MSA-1 of the reply.
    pub ack_code: AckCode,
    pub detail: ErrDetail,
}

impl RequestError {
    /// AR: message type, event or version the hub does not handle.
    pub fn reject(
        code: ErrorCode,
        location: Option<ErrLocation>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            ack_code: AckCode::AR,
            detail: ErrDetail::new(code, location, message),
        }
    }

    /// AE: the message was understood but its content is in error.
    pub fn error(
        code: ErrorCode,
        location: Option<ErrLocation>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            ack_code: AckCode::AE,
            detail: ErrDetail::new(code, location, message),
        }
    }
}

/// An ITI-8 feed that cannot be processed.
pub type FeedError = RequestError;
/// An ITI-9 query that cannot be processed.
pub type QueryError = RequestError;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_formats_like_the_samples() {
        assert_eq!(
            ErrLocation::component("QPD", 3, 1, 1).to_string(),
            "QPD^1^3^1^1"
        );
        let mut l = ErrLocation::field("QPD", 4);
        l.repetition = Some(2);
        assert_eq!(l.to_string(), "QPD^1^4^2");
        assert_eq!(
            ErrorCode::from_code(204),
            Some(ErrorCode::UnknownKeyIdentifier)
        );
    }
}
