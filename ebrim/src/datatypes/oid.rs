//! ISO object identifier in dotted-decimal form.

use super::{DatatypeError, string_datatype};
use serde::{Deserialize, Serialize};

/// An OID: dotted decimal components, no leading zeros, at most 64
/// characters (ITI TF-3 4.2.3.1.7, "OID"). Used for SubmissionSet / Folder
/// uniqueId, sourceId, repositoryUniqueId and assigning authorities.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Oid(String);

impl Oid {
    pub const MAX_LEN: usize = 64;
    const KIND: &'static str = "OID";

    pub fn parse(value: &str) -> Result<Self, DatatypeError> {
        check(value).map_err(|reason| DatatypeError::new(Self::KIND, value, reason))?;
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_datatype!(Oid);

/// The OID rules, returning the reason for the first violation.
pub(crate) fn check(value: &str) -> Result<(), &'static str> {
    if value.is_empty() {
        return Err("empty");
    }
    if value.len() > Oid::MAX_LEN {
        return Err("longer than 64 characters");
    }
    for component in value.split('.') {
        if component.is_empty() {
            return Err("empty component (leading, trailing or double dot)");
        }
        if !component.bytes().all(|b| b.is_ascii_digit()) {
            return Err("components must be decimal digits");
        }
        if component.len() > 1 && component.starts_with('0') {
            return Err("component with a leading zero");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn accepts_real_oids() {
        for ok in [
            "1.3.6.1.4.1.21367.2005.3.7",
            "2.16.840.1.113883.6.1",
            "1.2.392.200119.6.102",
            "0",
            "3670984664",
            "1.0.2",
        ] {
            assert_eq!(Oid::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_malformed_oids() {
        for bad in [
            "",
            "1..2",
            ".1.2",
            "1.2.",
            "1.02.3",
            "1.2.a",
            "1.2 .3",
            "urn:oid:1.2.3",
        ] {
            assert!(Oid::parse(bad).is_err(), "{bad:?} accepted");
        }
        let long = format!("1.{}", "2.".repeat(31)) + "3";
        assert!(long.len() > 64);
        assert!(Oid::parse(&long).is_err());
        let at_limit = format!("1.{}", "2".repeat(62));
        assert_eq!(at_limit.len(), 64);
        assert!(Oid::parse(&at_limit).is_ok());
    }

    #[test]
    fn error_names_the_value_and_reason() {
        let err = Oid::parse("1.02").unwrap_err();
        assert_eq!(
            err.to_string(),
            "OID \"1.02\" is invalid: component with a leading zero"
        );
    }

    #[test]
    fn serde_round_trip_validates() {
        let oid: Oid = serde_json::from_str("\"1.2.3\"").unwrap();
        assert_eq!(serde_json::to_string(&oid).unwrap(), "\"1.2.3\"");
        assert!(serde_json::from_str::<Oid>("\"1.02\"").is_err());
    }
}
