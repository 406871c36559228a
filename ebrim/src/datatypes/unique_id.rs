//! DocumentEntry uniqueId.

use super::{DatatypeError, oid, string_datatype};
use serde::{Deserialize, Serialize};

/// A DocumentEntry uniqueId: an OID, or `OID^extension` (the CDA
/// `root^extension` serialisation), at most 128 characters in total
/// (ITI TF-3 4.2.3.2.26). SubmissionSet and Folder uniqueIds are plain
/// [`super::Oid`]s.
///
/// The extension may hold any characters except `^` and control
/// characters; TF-3 cites a 16-character extension only as an example for
/// CDA, so its length is bounded only by the 128-character total.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UniqueId(String);

impl UniqueId {
    pub const MAX_LEN: usize = 128;
    const KIND: &'static str = "document uniqueId";

    pub fn parse(value: &str) -> Result<Self, DatatypeError> {
        let err = |reason| DatatypeError::new(Self::KIND, value, reason);
        if value.chars().count() > Self::MAX_LEN {
            return Err(err("longer than 128 characters"));
        }
        let (root, extension) = match value.split_once('^') {
            Some((root, extension)) => (root, Some(extension)),
            None => (value, None),
        };
        oid::check(root).map_err(|_| {
            err("the root must be an OID (dotted digits, no leading zeros, <= 64 characters)")
        })?;
        if let Some(extension) = extension {
            if extension.is_empty() {
                return Err(err("empty extension after '^'"));
            }
            if extension.contains('^') {
                return Err(err("more than one '^'"));
            }
            if extension.chars().any(char::is_control) {
                return Err(err("control character in the extension"));
            }
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The OID part.
    pub fn root(&self) -> &str {
        self.0
            .split_once('^')
            .map_or(self.0.as_str(), |(root, _)| root)
    }

    /// The part after `^`, if any.
    pub fn extension(&self) -> Option<&str> {
        self.0.split_once('^').map(|(_, extension)| extension)
    }
}

string_datatype!(UniqueId);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn plain_oid_and_root_extension() {
        let plain = UniqueId::parse("1.3.6.1.4.1.21367.2005.3.9999.32").unwrap();
        assert_eq!(plain.root(), "1.3.6.1.4.1.21367.2005.3.9999.32");
        assert_eq!(plain.extension(), None);
        let cda = UniqueId::parse("1.2.392.100495.20.3.11^DOC-2024-0001").unwrap();
        assert_eq!(cda.root(), "1.2.392.100495.20.3.11");
        assert_eq!(cda.extension(), Some("DOC-2024-0001"));
        assert_eq!(cda.to_string(), "1.2.392.100495.20.3.11^DOC-2024-0001");
    }

    #[test]
    fn rejects_bad_roots_extensions_and_length() {
        for bad in [
            "",
            "abc",
            "1.02.3",
            "1.2.3^",
            "1.2.3^a^b",
            "^ext",
            "1.2.3^a\nb",
        ] {
            assert!(UniqueId::parse(bad).is_err(), "{bad:?} accepted");
        }
        let long = format!("1.2.3^{}", "x".repeat(123));
        assert_eq!(long.len(), 129);
        assert!(UniqueId::parse(&long).is_err());
        assert!(UniqueId::parse(&long[..128]).is_ok());
    }
}
