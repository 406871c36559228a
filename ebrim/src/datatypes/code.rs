//! Coded values (abbreviated CE) as stored and as queried.

use super::DatatypeError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A coded value: the code (`nodeRepresentation`) and its coding scheme (the
/// `codingScheme` slot). In stored query parameters it travels as
/// `code^^scheme` (ITI TF-2 3.18.4.1.2.3.4); both parts are required.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Code {
    pub code: String,
    pub scheme: String,
}

impl Code {
    const KIND: &'static str = "code";

    /// A code from its two parts, both non-empty.
    pub fn new(code: &str, scheme: &str) -> Result<Self, DatatypeError> {
        if code.is_empty() {
            return Err(DatatypeError::new(Self::KIND, code, "the code is empty"));
        }
        if scheme.is_empty() {
            return Err(DatatypeError::new(
                Self::KIND,
                code,
                "the coding scheme is empty",
            ));
        }
        Ok(Self {
            code: code.to_owned(),
            scheme: scheme.to_owned(),
        })
    }

    /// Parses the query form `code^^scheme`: exactly three `^`-separated
    /// components, the middle (display name) empty, the others non-empty.
    /// A bare code without scheme (the pre-2007 form paired with a
    /// separate `...Scheme` parameter) is rejected.
    pub fn parse(value: &str) -> Result<Self, DatatypeError> {
        let err = |reason| DatatypeError::new("code (code^^scheme)", value, reason);
        let mut parts = value.split('^');
        let (Some(code), Some(display), Some(scheme), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err("expected code^^codingScheme"));
        };
        if !display.is_empty() {
            return Err(err(
                "the middle component must be empty (code^^codingScheme)",
            ));
        }
        if code.is_empty() {
            return Err(err("the code is empty"));
        }
        if scheme.is_empty() {
            return Err(err("the coding scheme is empty"));
        }
        Ok(Self {
            code: code.to_owned(),
            scheme: scheme.to_owned(),
        })
    }

    /// The `code^^scheme` form used in stored query parameters and indexes.
    pub fn to_query_string(&self) -> String {
        format!("{}^^{}", self.code, self.scheme)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}^^{}", self.code, self.scheme)
    }
}

impl TryFrom<&str> for Code {
    type Error = DatatypeError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl std::str::FromStr for Code {
    type Err = DatatypeError;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn query_form_round_trips() {
        let code =
            Code::parse("urn:connectathon:policy:full-access^^1.3.6.1.4.1.21367.2017.3").unwrap();
        assert_eq!(code.code, "urn:connectathon:policy:full-access");
        assert_eq!(code.scheme, "1.3.6.1.4.1.21367.2017.3");
        assert_eq!(
            code.to_query_string(),
            "urn:connectathon:policy:full-access^^1.3.6.1.4.1.21367.2017.3"
        );
        let spaced = Code::parse("Referrals^^Connect-a-thon folderCodeList").unwrap();
        assert_eq!(spaced.scheme, "Connect-a-thon folderCodeList");
    }

    #[test]
    fn rejects_incomplete_codes() {
        for bad in ["a^^", "^^scheme", "Dialysis", "a^b^c", "a^^b^c", "a^b", ""] {
            assert!(Code::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Code::new("", "s").is_err());
        assert!(Code::new("c", "").is_err());
        assert_eq!(Code::new("c", "s").unwrap().to_string(), "c^^s");
    }
}
