//! entryUUID: the `urn:uuid:` identity of a registry object.

use super::{DatatypeError, string_datatype};
use serde::{Deserialize, Serialize};

/// `urn:uuid:` followed by the RFC 4122 textual form (8-4-4-4-12 hex digits).
/// UUIDs compare case-insensitively (ITI TF-3 4.2.3.1.7), so the value is kept
/// in lower case: equal UUIDs have equal `EntryUuid`s.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EntryUuid(String);

impl EntryUuid {
    pub const PREFIX: &'static str = "urn:uuid:";
    const KIND: &'static str = "entryUUID";

    pub fn parse(value: &str) -> Result<Self, DatatypeError> {
        let err = |reason| DatatypeError::new(Self::KIND, value, reason);
        if !has_uuid_prefix(value) {
            return Err(err("must start with urn:uuid:"));
        }
        let uuid = value.get(Self::PREFIX.len()..).unwrap_or_default();
        if uuid.len() != 36 {
            return Err(err(
                "expected 36 characters after urn:uuid: (8-4-4-4-12 hex digits)",
            ));
        }
        let well_formed = uuid.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
        if !well_formed {
            return Err(err("expected 8-4-4-4-12 hex digits after urn:uuid:"));
        }
        Ok(Self(format!(
            "{}{}",
            Self::PREFIX,
            uuid.to_ascii_lowercase()
        )))
    }

    /// A fresh entryUUID for a symbolic id: time-ordered (version 7, RFC
    /// 9562: a millisecond timestamp, then 74 random bits). New ids sort
    /// after older ones, so the registry's indexes on entryUUIDs grow at
    /// one end instead of dirtying a page at random for every object. The
    /// timestamp says when the id was assigned, no more than the object's
    /// own submissionTime says.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().urn().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_datatype!(EntryUuid);

/// Whether an id claims to be a UUID (`urn:uuid:`, any case) rather than a
/// symbolic id; such an id must then be a valid [`EntryUuid`].
pub fn has_uuid_prefix(id: &str) -> bool {
    id.get(..EntryUuid::PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(EntryUuid::PREFIX))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn lower_cases_and_compares_case_insensitively() {
        let upper = EntryUuid::parse("URN:UUID:7EDCA82F-054D-47F2-A032-9B2A5B5186C1").unwrap();
        let lower = EntryUuid::parse("urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1").unwrap();
        assert_eq!(upper, lower);
        assert_eq!(
            upper.as_str(),
            "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
        );
    }

    #[test]
    fn rejects_non_rfc4122_text() {
        for bad in [
            "7edca82f-054d-47f2-a032-9b2a5b5186c1",
            "urn:uuid:",
            "urn:uuid:7edca82f054d47f2a0329b2a5b5186c1",
            "urn:uuid:{7edca82f-054d-47f2-a032-9b2a5b5186c1}",
            "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186cg",
            "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1 ",
            "urn:uuid:7edca82f_054d-47f2-a032-9b2a5b5186c1",
            "Document01",
        ] {
            assert!(EntryUuid::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn fresh_uuids_are_valid_distinct_and_ordered() {
        let ids: Vec<EntryUuid> = (0..1000).map(|_| EntryUuid::generate()).collect();
        for pair in ids.windows(2) {
            assert!(pair[0] < pair[1], "{:?} then {:?}", pair[0], pair[1]);
        }
        let a = &ids[0];
        assert_eq!(&EntryUuid::parse(a.as_str()).unwrap(), a);
        let version = a.as_str().as_bytes()[EntryUuid::PREFIX.len() + 14];
        assert_eq!(version, b'7', "{a:?}");
    }

    #[test]
    fn prefix_detection() {
        assert!(has_uuid_prefix("urn:uuid:x"));
        assert!(has_uuid_prefix("URN:UUID:x"));
        assert!(!has_uuid_prefix("urn:oid:1.2"));
        assert!(!has_uuid_prefix("urn:uu"));
        assert!(!has_uuid_prefix("ü"));
    }
}
