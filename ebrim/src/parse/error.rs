//! What can go wrong while reading a request, split by who answers it: a
//! malformed message gets a SOAP Fault, well-formed XML that is not valid
//! ebRIM gets a RegistryResponse with `XDSRegistryMetadataError`.

use std::fmt;

/// Why a message could not be turned into the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not well-formed XML, a DTD, an undefined entity, or a size/depth limit
    /// exceeded. The hub answers with a SOAP Fault.
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// Well-formed XML that is not the expected ebRS/XDS.b structure (wrong
    /// root, missing required attribute, element out of order…). The hub
    /// answers with `XDSRegistryMetadataError`.
    #[error("{}", InvalidDisplay { message, location: location.as_deref() })]
    Invalid {
        /// Names the element and/or attribute at fault.
        message: String,
        /// The id of the registry object the error was found in, when known;
        /// suitable as `RegistryError/@location`.
        location: Option<String>,
    },
}

impl ParseError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        ParseError::Invalid {
            message: message.into(),
            location: None,
        }
    }

    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        ParseError::Malformed(message.into())
    }

    /// Attach the id of the enclosing object unless a nearer one is already set.
    pub(crate) fn within(self, id: &str) -> Self {
        match self {
            ParseError::Invalid {
                message,
                location: None,
            } if !id.is_empty() => ParseError::Invalid {
                message,
                location: Some(id.to_owned()),
            },
            other => other,
        }
    }

    /// True for errors the hub reports as a SOAP Fault.
    pub fn is_malformed(&self) -> bool {
        matches!(self, ParseError::Malformed(_))
    }
}

struct InvalidDisplay<'a> {
    message: &'a str,
    location: Option<&'a str>,
}

impl fmt::Display for InvalidDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)?;
        if let Some(location) = self.location {
            write!(f, " (in object {location})")?;
        }
        Ok(())
    }
}
