//! XDS patientId: an HL7 CX restricted to id and universal assigning authority.

use super::{DatatypeError, oid, string_datatype};
use serde::{Deserialize, Serialize};

/// The affinity-domain patient id `id^^^&OID&ISO` (ITI TF-3 4.2.3.1.7, CX):
/// only CX.1 and CX.4 are present, CX.4 carries no namespace id, a valid OID
/// as universal id, and universal id type `ISO`. The canonical string is the
/// input itself (there is exactly one valid spelling).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PatientId {
    value: String,
    /// Byte length of the id part (CX.1), so both parts borrow from `value`.
    id_len: usize,
}

impl PatientId {
    const KIND: &'static str = "patient id (CX)";

    pub fn parse(value: &str) -> Result<Self, DatatypeError> {
        let err = |reason| DatatypeError::new(Self::KIND, value, reason);
        let mut components = value.split('^');
        let (Some(id), Some(c2), Some(c3), Some(authority), None) = (
            components.next(),
            components.next(),
            components.next(),
            components.next(),
            components.next(),
        ) else {
            return Err(err("expected exactly id^^^&OID&ISO (4 components)"));
        };
        if id.is_empty() {
            return Err(err("the id (CX.1) is empty"));
        }
        if id.contains('&') || id.chars().any(char::is_control) {
            return Err(err("the id (CX.1) contains '&' or a control character"));
        }
        if id.trim() != id {
            return Err(err("the id (CX.1) has leading or trailing spaces"));
        }
        if !c2.is_empty() || !c3.is_empty() {
            return Err(err("only CX.1 and CX.4 may be present"));
        }
        let mut parts = authority.split('&');
        let (Some(namespace), Some(universal_id), Some(id_type), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err("the assigning authority (CX.4) must be &OID&ISO"));
        };
        if !namespace.is_empty() {
            return Err(err("the assigning authority must not carry a namespace id"));
        }
        if oid::check(universal_id).is_err() {
            return Err(err(
                "the assigning authority universal id is not a valid OID",
            ));
        }
        if id_type != "ISO" {
            return Err(err("the assigning authority universal id type must be ISO"));
        }
        Ok(Self {
            value: value.to_owned(),
            id_len: id.len(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// CX.1, the id within the assigning authority.
    pub fn id(&self) -> &str {
        self.value.get(..self.id_len).unwrap_or_default()
    }

    /// The assigning authority OID (CX.4.2).
    pub fn assigning_authority(&self) -> &str {
        let authority = self.value.get(self.id_len + 4..).unwrap_or_default();
        authority.strip_suffix("&ISO").unwrap_or(authority)
    }
}

string_datatype!(PatientId);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn parses_the_xds_form() {
        let pid = PatientId::parse("c4d77e21d0dd487^^^&1.3.6.1.4.1.21367.2005.3.7&ISO").unwrap();
        assert_eq!(pid.id(), "c4d77e21d0dd487");
        assert_eq!(pid.assigning_authority(), "1.3.6.1.4.1.21367.2005.3.7");
        assert_eq!(
            pid.as_str(),
            "c4d77e21d0dd487^^^&1.3.6.1.4.1.21367.2005.3.7&ISO"
        );
        let ja = PatientId::parse("患者-0001^^^&1.2.392.200119.6.102.11&ISO").unwrap();
        assert_eq!(ja.id(), "患者-0001");
        assert_eq!(ja.assigning_authority(), "1.2.392.200119.6.102.11");
    }

    #[test]
    fn rejects_other_cx_shapes() {
        for bad in [
            "",
            "123",
            "^^^&1.2.3&ISO",
            "123^^^&1.2.3&ISO^PI",
            "123^^^1.2.3",
            "123^^^&1.2.3&L",
            "123^^^&1.2.3",
            "123^^^NS&1.2.3&ISO",
            "123^^^&1.02.3&ISO",
            "123^x^^&1.2.3&ISO",
            "123^^^&1.2.3&ISO&x",
            " 123^^^&1.2.3&ISO",
            "1&2^^^&1.2.3&ISO",
            "'123^^^&1.2.3&ISO'",
        ] {
            assert!(PatientId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
