//! Facility OIDs: the identity a participant certificate carries as
//! subjectAltName URI `urn:oid:<OID>` (RFC 3061).

use crate::error::CertError;

/// URN prefix of the facility subjectAltName (matched case-insensitively on read).
pub const FACILITY_URN_PREFIX: &str = "urn:oid:";

/// Longest OID accepted; XDS/HL7 assigning-authority OIDs are limited to 64 characters.
pub const MAX_FACILITY_OID_LEN: usize = 64;

/// Checks that `oid` is dotted decimal (`1.2.392...`): at least two arcs, digits
/// only, no leading zeros, first arc 0-2 and, under 0 or 1, second arc at most 39.
pub fn validate_facility_oid(oid: &str) -> Result<(), CertError> {
    let invalid = |reason| CertError::InvalidFacilityOid {
        oid: oid.to_owned(),
        reason,
    };
    if oid.is_empty() {
        return Err(invalid("it is empty"));
    }
    if oid.len() > MAX_FACILITY_OID_LEN {
        return Err(invalid("it is longer than 64 characters"));
    }
    let arcs: Vec<&str> = oid.split('.').collect();
    if arcs.len() < 2 {
        return Err(invalid("an OID has at least two arcs"));
    }
    for arc in &arcs {
        if arc.is_empty() {
            return Err(invalid(
                "it has an empty arc (two dots in a row, or a leading or trailing dot)",
            ));
        }
        if !arc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("arcs may contain only the digits 0-9"));
        }
        if arc.len() > 1 && arc.starts_with('0') {
            return Err(invalid("an arc has a leading zero"));
        }
    }
    match arcs.first().copied() {
        Some("0" | "1") => {
            let second_ok = arcs
                .get(1)
                .and_then(|a| a.parse::<u32>().ok())
                .is_some_and(|n| n <= 39);
            if !second_ok {
                return Err(invalid("under arcs 0 and 1 the second arc must be 0-39"));
            }
        }
        Some("2") => {}
        _ => return Err(invalid("the first arc must be 0, 1 or 2")),
    }
    Ok(())
}

/// The subjectAltName URI naming `oid`.
pub fn facility_urn(oid: &str) -> String {
    format!("{FACILITY_URN_PREFIX}{oid}")
}

/// The OID inside a `urn:oid:` URI, if `uri` is one (scheme and NID are case-insensitive).
pub(crate) fn oid_from_urn(uri: &str) -> Option<&str> {
    let prefix = uri.get(..FACILITY_URN_PREFIX.len())?;
    if prefix.eq_ignore_ascii_case(FACILITY_URN_PREFIX) {
        uri.get(FACILITY_URN_PREFIX.len()..)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_world_oids() {
        for oid in [
            "1.2.392.200119.6.102.1",
            "2.16.840.1.113883.3.72",
            "0.0",
            "2.999",
        ] {
            assert!(validate_facility_oid(oid).is_ok(), "{oid}");
        }
    }

    #[test]
    fn refuses_malformed_oids() {
        for oid in [
            "",
            "1",
            "1.",
            ".1.2",
            "1..2",
            "1.2.a",
            "1.02.3",
            "3.1",
            "1.40",
            "1.2.-3",
            " 1.2",
            "urn:oid:1.2.3",
        ] {
            assert!(
                matches!(
                    validate_facility_oid(oid),
                    Err(CertError::InvalidFacilityOid { .. })
                ),
                "{oid:?} should be refused"
            );
        }
        let long = format!("1.2.{}", "3".repeat(70));
        assert!(validate_facility_oid(&long).is_err());
    }

    #[test]
    fn urn_prefix_is_case_insensitive() {
        assert_eq!(oid_from_urn("urn:oid:1.2.3"), Some("1.2.3"));
        assert_eq!(oid_from_urn("URN:OID:1.2.3"), Some("1.2.3"));
        assert_eq!(oid_from_urn("https://x"), None);
        assert_eq!(oid_from_urn("urn:"), None);
        assert_eq!(facility_urn("1.2.3"), "urn:oid:1.2.3");
    }
}
