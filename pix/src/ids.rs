//! Patient identifiers and demographics as the PIX Manager sees them (not HL7
//! wire types: the hub maps CX / v3 II values to these).

use serde::{Deserialize, Serialize};
use store::{DemographicsColumns, PatientIdentifierRow};

/// One id in one assigning authority (identified by its OID).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PatientIdentifier {
    pub authority_oid: String,
    pub id: String,
}

/// A CX value that cannot be used as a patient id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a patient id of the form ID^^^&OID&ISO: {reason}")]
pub struct BadPatientId {
    pub value: String,
    pub reason: &'static str,
}

impl PatientIdentifier {
    pub fn new(authority_oid: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            authority_oid: authority_oid.into(),
            id: id.into(),
        }
    }

    /// `ID^^^&OID&ISO`, the form XDS metadata and the registry use.
    pub fn to_cx(&self) -> String {
        format!("{}^^^&{}&ISO", self.id, self.authority_oid)
    }

    /// Parses `ID^^^&OID&ISO` (a namespace before the first `&` is allowed).
    pub fn parse_cx(value: &str) -> Result<Self, BadPatientId> {
        let bad = |reason| BadPatientId {
            value: value.to_string(),
            reason,
        };
        let value = value.trim();
        let mut components = value.split('^');
        let id = components.next().unwrap_or_default();
        let authority = components
            .nth(2)
            .ok_or_else(|| bad("no assigning authority"))?;
        if components.next().is_some_and(|c| !c.is_empty()) {
            return Err(bad("identifier type codes are not used in patient ids"));
        }
        let mut parts = authority.split('&');
        let _namespace = parts.next();
        let oid = parts.next().unwrap_or_default();
        let kind = parts.next().unwrap_or_default();
        if id.is_empty() {
            return Err(bad("empty id"));
        }
        if !is_oid(oid) {
            return Err(bad("the assigning authority has no OID universal id"));
        }
        if kind != "ISO" {
            return Err(bad("the universal id type must be ISO"));
        }
        if id.contains(['&', '~', '\\', '|']) {
            return Err(bad("the id contains an HL7 delimiter"));
        }
        Ok(Self::new(oid, id))
    }

    pub(crate) fn of_row(row: &PatientIdentifierRow) -> Self {
        Self::new(row.authority_oid.clone(), row.id_value.clone())
    }
}

impl std::fmt::Display for PatientIdentifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_cx())
    }
}

/// Dotted-decimal OID with at least two arcs.
pub fn is_oid(s: &str) -> bool {
    let arcs: Vec<&str> = s.split('.').collect();
    arcs.len() >= 2
        && s.len() <= 64
        && arcs.iter().all(|a| {
            !a.is_empty()
                && a.bytes().all(|b| b.is_ascii_digit())
                && (a.len() == 1 || !a.starts_with('0'))
        })
}

/// The linking demographics of PID-5/7/8/11 (text as received, UTF-8).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Demographics {
    pub family: Option<String>,
    pub given: Option<String>,
    /// HL7 DTM date (`YYYYMMDD`).
    pub birth_date: Option<String>,
    /// HL7 table 0001 (`F`, `M`, `O`, `U`...).
    pub sex: Option<String>,
    /// The address as one line.
    pub address: Option<String>,
}

impl Demographics {
    pub fn is_empty(&self) -> bool {
        *self == Demographics::default()
    }

    pub(crate) fn columns(&self) -> DemographicsColumns {
        let clean = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.chars().take(256).collect::<String>())
        };
        DemographicsColumns {
            family: clean(&self.family),
            given: clean(&self.given),
            birth_date: clean(&self.birth_date),
            sex: clean(&self.sex),
            address: clean(&self.address),
        }
    }

    pub(crate) fn of_row(row: &PatientIdentifierRow) -> Self {
        Demographics {
            family: row.family.clone(),
            given: row.given.clone(),
            birth_date: row.birth_date.clone(),
            sex: row.sex.clone(),
            address: row.address.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn cx_round_trips_and_bad_values_say_why() {
        let id = PatientIdentifier::parse_cx("P1^^^&1.2.3&ISO").unwrap();
        assert_eq!(id, PatientIdentifier::new("1.2.3", "P1"));
        assert_eq!(id.to_cx(), "P1^^^&1.2.3&ISO");
        let ns = PatientIdentifier::parse_cx("P1^^^HIMSS&1.2.3&ISO").unwrap();
        assert_eq!(ns.authority_oid, "1.2.3");
        for bad in [
            "P1",
            "^^^&1.2.3&ISO",
            "P1^^^XXXX",
            "P1^^^&1.2.3&DNS",
            "P1^^^&x.y&ISO",
        ] {
            assert!(PatientIdentifier::parse_cx(bad).is_err(), "{bad}");
        }
    }
}
