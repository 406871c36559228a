//! Who a participant certificate names. The operator decides these fields;
//! nothing a participant puts in a CSR overrides them.

use rcgen::{DistinguishedName, DnType};

use crate::error::CertError;
use crate::facility_oid::validate_facility_oid;

/// RFC 5280 upper bound for organizationName and commonName (ub-organization-name, ub-common-name).
pub const MAX_NAME_CHARS: usize = 64;

/// Subject of a participant (facility or person) certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantSubject {
    /// Facility OID, written as subjectAltName URI `urn:oid:<OID>`; the identity the hub trusts.
    pub facility_oid: String,
    /// Facility name, written as O.
    pub facility_name: String,
    /// System or person name, written as CN.
    pub common_name: String,
}

impl ParticipantSubject {
    /// Checks every field before anything is signed.
    pub fn validate(&self) -> Result<(), CertError> {
        validate_facility_oid(&self.facility_oid)?;
        validate_name("facility name (O)", &self.facility_name)?;
        validate_name("common name (CN)", &self.common_name)
    }

    pub(crate) fn distinguished_name(&self) -> DistinguishedName {
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, self.facility_name.trim());
        dn.push(DnType::CommonName, self.common_name.trim());
        dn
    }
}

/// A DN attribute value: non-blank, at most 64 characters, no control characters.
pub(crate) fn validate_name(field: &str, value: &str) -> Result<(), CertError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(CertError::InvalidSubject(format!("{field} is empty")));
    }
    let chars = trimmed.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(CertError::InvalidSubject(format!(
            "{field} has {chars} characters; at most {MAX_NAME_CHARS} fit in a certificate, use a shorter name"
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(CertError::InvalidSubject(format!(
            "{field} contains control characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(oid: &str, o: &str, cn: &str) -> ParticipantSubject {
        ParticipantSubject {
            facility_oid: oid.to_owned(),
            facility_name: o.to_owned(),
            common_name: cn.to_owned(),
        }
    }

    #[test]
    fn validates_all_fields() {
        assert!(
            subject("1.2.3", "みなと病院", "地域連携室")
                .validate()
                .is_ok()
        );
        assert!(subject("1.2.x", "A", "B").validate().is_err());
        assert!(subject("1.2.3", " ", "B").validate().is_err());
        assert!(subject("1.2.3", "A", &"x".repeat(65)).validate().is_err());
        assert!(subject("1.2.3", "A\nB", "B").validate().is_err());
    }
}
