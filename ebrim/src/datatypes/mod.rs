//! Validated XDS value types (ITI TF-3 Table 4.2.3.1.7-2): each one parses
//! from the wire string, rejects what the profile forbids, and keeps a
//! canonical string so that the registry stores and compares one spelling.

mod code;
mod dtm;
mod entry_uuid;
mod oid;
mod patient_id;
mod status;
mod unique_id;

pub use code::Code;
pub use dtm::Dtm;
pub use entry_uuid::{EntryUuid, has_uuid_prefix};
pub use oid::Oid;
pub use patient_id::PatientId;
pub use status::{AvailabilityStatus, DocumentEntryType};
pub use unique_id::UniqueId;

/// Why a wire value is not a valid instance of an XDS data type. The message
/// names the type, quotes the (shortened) value and says what is wrong, so it
/// can go straight into a `codeContext`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {value:?} is invalid: {reason}")]
pub struct DatatypeError {
    /// The data type, e.g. `OID` or `patient id (CX)`.
    pub kind: &'static str,
    /// The offending value, shortened to keep error messages readable.
    pub value: String,
    pub reason: &'static str,
}

impl DatatypeError {
    pub(crate) fn new(kind: &'static str, value: &str, reason: &'static str) -> Self {
        Self {
            kind,
            value: shorten(value),
            reason,
        }
    }
}

/// Longest value quoted verbatim in an error message; a hostile 1 MB value
/// must not end up in every response and log line.
const MAX_QUOTED: usize = 100;

/// The value itself, or its first [`MAX_QUOTED`] characters followed by `…`.
pub(crate) fn shorten(value: &str) -> String {
    match value.char_indices().nth(MAX_QUOTED) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}

/// Implements `TryFrom<&str>`, `TryFrom<String>`, `FromStr`, `Display`,
/// `AsRef<str>` and `From<T> for String` from `parse` and `as_str`, so that
/// serde can (de)serialize the type as its canonical string.
macro_rules! string_datatype {
    ($ty:ty) => {
        impl TryFrom<&str> for $ty {
            type Error = $crate::datatypes::DatatypeError;
            fn try_from(value: &str) -> Result<Self, Self::Error> {
                <$ty>::parse(value)
            }
        }
        impl TryFrom<String> for $ty {
            type Error = $crate::datatypes::DatatypeError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                <$ty>::parse(&value)
            }
        }
        impl std::str::FromStr for $ty {
            type Err = $crate::datatypes::DatatypeError;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                <$ty>::parse(value)
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.as_str().to_owned()
            }
        }
    };
}
pub(crate) use string_datatype;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_keeps_short_values_and_cuts_long_ones() {
        assert_eq!(shorten("abc"), "abc");
        let long = "é".repeat(150);
        let short = shorten(&long);
        assert_eq!(short.chars().count(), MAX_QUOTED + 1);
        assert!(short.ends_with('…'));
    }
}
