//! Reading XDS attributes out of an ebRIM object, reporting each missing or
//! malformed one against its object.

use super::report::{Report, Subject};
use crate::datatypes::{Code, DatatypeError, Dtm};
use crate::model::ObjectCore;

/// The value of a single-valued Slot. Reports a missing required slot, a
/// slot given twice, a slot with other than one value, and an empty value.
pub(super) fn single_slot<'a>(
    report: &mut Report,
    subject: Subject<'_>,
    core: &'a ObjectCore,
    name: &str,
    required: bool,
) -> Option<&'a str> {
    let mut slots = core.slots.iter().filter(|s| s.name == name);
    let Some(slot) = slots.next() else {
        if required {
            subject.metadata(report, format!("required slot '{name}' is missing"));
        }
        return None;
    };
    let repeated = slots.count();
    if repeated > 0 {
        subject.metadata(
            report,
            format!(
                "slot '{name}' appears {} times; it must appear once",
                repeated + 1
            ),
        );
        return None;
    }
    match slot.values.as_slice() {
        [value] if !value.trim().is_empty() => Some(value.as_str()),
        [_] | [] if required => {
            subject.metadata(report, format!("required slot '{name}' has no value"));
            None
        }
        [_] | [] => None,
        values => {
            subject.metadata(
                report,
                format!(
                    "slot '{name}' has {} values; it takes exactly one",
                    values.len()
                ),
            );
            None
        }
    }
}

/// All values of a multi-valued Slot (empty when absent).
pub(super) fn multi_slot(core: &ObjectCore, name: &str) -> Vec<String> {
    core.slots
        .iter()
        .filter(|s| s.name == name)
        .flat_map(|s| s.values.iter().cloned())
        .collect()
}

/// A single-valued DTM slot, parsed.
pub(super) fn dtm_slot(
    report: &mut Report,
    subject: Subject<'_>,
    core: &ObjectCore,
    name: &str,
    required: bool,
) -> Option<Dtm> {
    let value = single_slot(report, subject, core, name, required)?;
    typed(report, subject, name, Dtm::parse(value))
}

/// The value of the ExternalIdentifier with `scheme`, which must appear
/// exactly once when required and at most once otherwise.
pub(super) fn external_id<'a>(
    report: &mut Report,
    subject: Subject<'_>,
    core: &'a ObjectCore,
    scheme: &str,
    attribute: &str,
) -> Option<&'a str> {
    let mut found = core
        .external_identifiers
        .iter()
        .filter(|e| e.identification_scheme == scheme);
    let Some(first) = found.next() else {
        subject.metadata(
            report,
            format!(
                "{attribute} is missing (ExternalIdentifier with identificationScheme {scheme})"
            ),
        );
        return None;
    };
    let more = found.count();
    if more > 0 {
        subject.metadata(
            report,
            format!(
                "{attribute} is given {} times; it must be given once",
                more + 1
            ),
        );
        return None;
    }
    if first.value.trim().is_empty() {
        subject.metadata(report, format!("{attribute} is empty"));
        return None;
    }
    Some(first.value.as_str())
}

/// The coded attribute held by Classifications with `scheme`: between `min`
/// and `max` of them, each with a nodeRepresentation (the code) and exactly
/// one `codingScheme` slot value.
pub(super) fn codes(
    report: &mut Report,
    subject: Subject<'_>,
    core: &ObjectCore,
    scheme: &str,
    attribute: &str,
    min: usize,
    max: Option<usize>,
) -> Vec<Code> {
    let found: Vec<_> = core.classifications_by_scheme(scheme).collect();
    if found.len() < min {
        subject.metadata(
            report,
            format!("{attribute} is missing (Classification with classificationScheme {scheme})"),
        );
    }
    if let Some(max) = max
        && found.len() > max
    {
        subject.metadata(
            report,
            format!(
                "{attribute} is given {} times; at most {max} allowed",
                found.len()
            ),
        );
    }
    let mut codes = Vec::with_capacity(found.len());
    for c in found {
        let code = c.node_representation.as_deref().unwrap_or_default();
        if code.trim().is_empty() {
            subject.metadata(
                report,
                format!(
                    "{attribute} Classification '{}' has no nodeRepresentation (the code)",
                    subject.name_of(&c.id)
                ),
            );
            continue;
        }
        let schemes = c.slot("codingScheme").unwrap_or_default();
        match schemes {
            [coding_scheme] if !coding_scheme.trim().is_empty() => {
                if let Some(code) = typed(report, subject, attribute, Code::new(code, coding_scheme)) {
                    codes.push(code);
                }
            }
            _ => subject.metadata(
                report,
                format!(
                    "{attribute} '{code}' (Classification '{}') needs exactly one non-empty codingScheme slot value",
                    subject.name_of(&c.id)
                ),
            ),
        }
    }
    codes
}

/// authorPerson and authorInstitution values of the author Classifications.
#[derive(Debug, Default)]
pub(super) struct Authors {
    pub(super) persons: Vec<String>,
    pub(super) institutions: Vec<String>,
}

/// Each author Classification must name someone: at least one of
/// authorPerson, authorInstitution, authorTelecommunication (ITI TF-3
/// 4.2.3.1.4); authorPerson holds at most one value.
pub(super) fn authors(
    report: &mut Report,
    subject: Subject<'_>,
    core: &ObjectCore,
    scheme: &str,
) -> Authors {
    let mut authors = Authors::default();
    for c in core.classifications_by_scheme(scheme) {
        let values = |name: &str| -> Vec<String> {
            c.slots
                .iter()
                .filter(|s| s.name == name)
                .flat_map(|s| s.values.iter())
                .filter(|v| !v.trim().is_empty())
                .cloned()
                .collect()
        };
        let persons = values("authorPerson");
        let institutions = values("authorInstitution");
        let telecoms = values("authorTelecommunication");
        if persons.is_empty() && institutions.is_empty() && telecoms.is_empty() {
            subject.metadata(
                report,
                format!(
                    "author Classification '{}' has none of authorPerson, authorInstitution, authorTelecommunication",
                    subject.name_of(&c.id)
                ),
            );
        }
        if persons.len() > 1 {
            subject.metadata(
                report,
                format!(
                    "author Classification '{}' has {} authorPerson values; one author has one authorPerson",
                    subject.name_of(&c.id),
                    persons.len()
                ),
            );
        }
        authors.persons.extend(persons);
        authors.institutions.extend(institutions);
    }
    authors
}

/// The object's title (first `rim:Name` value), if any and not blank.
pub(super) fn title(core: &ObjectCore) -> Option<String> {
    core.name
        .as_ref()
        .and_then(|n| n.first())
        .filter(|t| !t.trim().is_empty())
        .map(str::to_owned)
}

/// Turns a data-type error into a metadata error naming the attribute.
pub(super) fn typed<T>(
    report: &mut Report,
    subject: Subject<'_>,
    attribute: &str,
    parsed: Result<T, DatatypeError>,
) -> Option<T> {
    parsed
        .map_err(|e| subject.metadata(report, format!("{attribute}: {e}")))
        .ok()
}
