//! Identity binding: a submission speaks only for the facility whose client
//! certificate sent it. The SubmissionSet `sourceId` and every
//! `authorInstitution` that carries an OID must name that facility (its OID
//! or an OID under it, e.g. a department arc), unless the operator's policy
//! lets the facility submit on behalf of others ([`Submitter::acts_for`]).
//!
//! Refusals use `XDSRegistryMetadataError`: ITI TF-3 assigns it to metadata
//! the registry will not accept in ITI-41/42, every Document Source knows it,
//! whereas `LocalPolicyRestrictionError` is not defined for these transactions.

use crate::Submitter;
use ebrim::datatypes::Oid;
use ebrim::xds::ValidatedSubmission;
use ebrim::{RegistryError, XdsErrorCode as Code};

/// `acts_for` entry that allows naming any organisation (a gateway or a
/// conformance test tool submitting for many sources).
pub const ANY_ORGANIZATION: &str = "*";

/// Errors for every place the submission claims another facility; empty when
/// the submission speaks only for the submitter.
pub fn identity_errors(v: &ValidatedSubmission, submitter: &Submitter) -> Vec<RegistryError> {
    let mut errors = Vec::new();
    let ss = &v.submission_set;
    let source_id = ss.source_id.as_str();
    if !may_name(submitter, source_id) {
        errors.push(
            RegistryError::error(
                Code::RegistryMetadataError,
                format!(
                    "SubmissionSet sourceId {source_id} does not belong to facility {own} that sent the request (its certificate); use {own} or an OID under it, or ask the network operator to allow submitting on behalf of {source_id}",
                    own = submitter.facility_oid
                ),
            )
            .at(ss.entry_uuid.as_str()),
        );
    }
    let authors = ss
        .author_institutions
        .iter()
        .map(|xon| ("SubmissionSet", ss.entry_uuid.as_str(), xon))
        .chain(v.documents.iter().flat_map(|d| {
            d.author_institutions
                .iter()
                .map(|xon| ("DocumentEntry", d.entry_uuid.as_str(), xon))
        }));
    for (what, id, xon) in authors {
        if let Err(organisation) = check_institution(submitter, xon) {
            errors.push(
                RegistryError::error(
                    Code::RegistryMetadataError,
                    format!(
                        "{what} authorInstitution {xon:?} names organisation {organisation}, not facility {own} that sent the request (its certificate); write it as Name^^^^^^^^^{own}, or ask the network operator to allow acting on behalf of {organisation}",
                        own = submitter.facility_oid
                    ),
                )
                .at(id),
            );
        }
    }
    errors
}

/// Whether an authorInstitution XON may be named by the submitter; the
/// organisation it names otherwise.
fn check_institution(submitter: &Submitter, xon: &str) -> Result<(), String> {
    match institution_oid(xon) {
        InstitutionId::None => Ok(()),
        // A local id (e.g. a ward) is judged by the authority that assigned it.
        InstitutionId::Oid(oid) | InstitutionId::Unresolvable(oid) => {
            if may_name(submitter, &oid) {
                Ok(())
            } else {
                Err(oid)
            }
        }
    }
}

/// Whether the submitter may name organisation `oid`.
fn may_name(submitter: &Submitter, oid: &str) -> bool {
    within(oid, &submitter.facility_oid)
        || submitter
            .acts_for
            .iter()
            .any(|root| root == ANY_ORGANIZATION || within(oid, root))
}

/// `oid` is `root` or lies under it.
fn within(oid: &str, root: &str) -> bool {
    oid == root
        || oid
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// What an XON says about the organisation's identity.
#[derive(Debug, PartialEq, Eq)]
enum InstitutionId {
    /// Only a name, or an id without an OID: nothing to bind.
    None,
    /// The organisation's OID.
    Oid(String),
    /// An assigning authority with a non-numeric id: not comparable to an OID.
    Unresolvable(String),
}

/// The OID an XON names: component 10 alone (`Name^^^^^^^^^1.2.3`), or
/// the assigning authority of component 6 (`Name^^^^^&1.2&ISO^^^^3`) with the
/// numeric id of component 10 appended as one more arc, which is how Japanese
/// medical institution codes become OIDs (`1.2.392.200119.6.102.<code>`).
fn institution_oid(xon: &str) -> InstitutionId {
    let mut components = xon.split('^');
    let id = components.nth(9).map(str::trim).unwrap_or_default();
    let authority = xon
        .split('^')
        .nth(5)
        .and_then(|c| {
            let mut sub = c.split('&');
            let universal = sub.nth(1)?.trim();
            let kind = sub.next().unwrap_or_default().trim();
            (kind.eq_ignore_ascii_case("ISO") || kind.is_empty())
                .then_some(universal)
                .filter(|u| Oid::parse(u).is_ok())
        })
        .map(str::to_owned);
    match (authority, id) {
        (None, "") => InstitutionId::None,
        (None, id) if Oid::parse(id).is_ok() => InstitutionId::Oid(id.to_owned()),
        (None, _) => InstitutionId::None,
        (Some(authority), "") => InstitutionId::Oid(authority),
        // Kept literally: a code with a leading zero is no valid arc and so
        // never matches a (validated) facility OID; it is refused, not guessed.
        (Some(authority), id) if id.bytes().all(|b| b.is_ascii_digit()) => {
            InstitutionId::Oid(format!("{authority}.{id}"))
        }
        (Some(_), id) if Oid::parse(id).is_ok() => InstitutionId::Oid(id.to_owned()),
        (Some(authority), _) => InstitutionId::Unresolvable(authority),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submitter(oid: &str, acts_for: &[&str]) -> Submitter {
        Submitter {
            facility_oid: oid.to_owned(),
            acts_for: acts_for.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn reads_the_oid_of_an_xon() {
        use InstitutionId::*;
        assert_eq!(institution_oid("Demo Clinic"), None);
        assert_eq!(
            institution_oid("Demo Clinic^^^^^^^^^1.2.392.200119.6.102.1234567890"),
            Oid("1.2.392.200119.6.102.1234567890".into())
        );
        assert_eq!(
            institution_oid("みなと病院^^^^^&1.2.392.200119.6.102&ISO^^^^1234567890"),
            Oid("1.2.392.200119.6.102.1234567890".into())
        );
        assert_eq!(
            institution_oid("Some Hospital^^^^^&1.2.3&ISO"),
            Oid("1.2.3".into())
        );
        assert_eq!(
            institution_oid("Some Hospital^^^^^&1.2.3&ISO^^^^AB-7"),
            Unresolvable("1.2.3".into())
        );
        // A local id without an authority names no OID.
        assert_eq!(institution_oid("Ward 3^^^^^^^^^W3"), None);
    }

    #[test]
    fn institutions_are_checked_against_the_submitter() {
        let clinic = submitter("1.2.392.200119.6.102.1310000001", &[]);
        for ok in [
            "Demo Clinic",
            "Demo Clinic^^^^^^^^^1.2.392.200119.6.102.1310000001",
            "Ward 3^^^^^^^^^1.2.392.200119.6.102.1310000001.3",
            "みなと病院^^^^^&1.2.392.200119.6.102&ISO^^^^1310000001",
            // A ward id assigned by the clinic itself.
            "Ward 3^^^^^&1.2.392.200119.6.102.1310000001&ISO^^^^W3",
        ] {
            assert_eq!(check_institution(&clinic, ok), Ok(()), "{ok}");
        }
        for (claim, names) in [
            (
                "Other^^^^^^^^^1.2.392.200119.6.102.9999999999",
                "1.2.392.200119.6.102.9999999999",
            ),
            (
                "Other^^^^^&1.2.392.200119.6.102&ISO^^^^9999999999",
                "1.2.392.200119.6.102.9999999999",
            ),
            ("Cleveland Clinic^^^^^&1.2.3&ISO^^^^CleveClin", "1.2.3"),
            (
                "Prefix^^^^^^^^^1.2.392.200119.6.102.13100000011",
                "1.2.392.200119.6.102.13100000011",
            ),
        ] {
            assert_eq!(
                check_institution(&clinic, claim),
                Err(names.to_string()),
                "{claim}"
            );
        }
        let tool = submitter("1.2.3.4", &[ANY_ORGANIZATION]);
        assert_eq!(
            check_institution(&tool, "Cleveland Clinic^^^^^&1.2.3&ISO^^^^CleveClin"),
            Ok(())
        );
    }

    #[test]
    fn facility_may_name_itself_and_its_sub_arcs_only() {
        let s = submitter("1.2.392.200119.6.102.1", &[]);
        assert!(may_name(&s, "1.2.392.200119.6.102.1"));
        assert!(may_name(&s, "1.2.392.200119.6.102.1.5"));
        assert!(!may_name(&s, "1.2.392.200119.6.102.10"));
        assert!(!may_name(&s, "1.2.392.200119.6.102"));
        let gateway = submitter("1.2.3", &["1.9"]);
        assert!(may_name(&gateway, "1.9.4"));
        assert!(!may_name(&gateway, "1.8"));
        assert!(may_name(&submitter("1.2.3", &[ANY_ORGANIZATION]), "2.25.1"));
    }
}
