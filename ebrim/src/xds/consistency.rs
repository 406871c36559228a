//! Rules across the objects of one submission: one patient, unique
//! uniqueIds, and every DocumentEntry / Folder a member of the
//! SubmissionSet. They read the raw objects so that they still run when an
//! object has other errors.

use super::ids::IdMap;
use super::report::Report;
use crate::datatypes::PatientId;
use crate::error::XdsErrorCode;
use crate::model::{Association, ObjectCore};
use crate::vocab;
use std::collections::HashMap;

/// An object with its XDS kind and the identification schemes of its
/// patientId and uniqueId.
pub(super) struct Member<'a> {
    pub(super) kind: &'static str,
    pub(super) core: &'a ObjectCore,
    pub(super) patient_scheme: &'static str,
    pub(super) unique_scheme: &'static str,
}

impl Member<'_> {
    fn identifier(&self, scheme: &str) -> Option<&str> {
        self.core.external_id(scheme)
    }
}

/// Every DocumentEntry and Folder carries the SubmissionSet's patientId
/// (ITI-42 3.42.4.1.3.3, NIST 11997). Malformed ids were reported already.
pub(super) fn same_patient(
    report: &mut Report,
    ids: &IdMap,
    submission_set: &Member<'_>,
    members: &[Member<'_>],
) {
    let Some(expected) = submission_set
        .identifier(submission_set.patient_scheme)
        .and_then(|p| PatientId::parse(p).ok())
    else {
        return;
    };
    for m in members {
        let Some(found) = m
            .identifier(m.patient_scheme)
            .and_then(|p| PatientId::parse(p).ok())
        else {
            continue;
        };
        if found != expected {
            let label = ids.label(&m.core.id);
            report.error(
                XdsErrorCode::PatientIdDoesNotMatch,
                label,
                format!(
                    "{} '{label}' has patientId {found}, but SubmissionSet '{}' has {expected}",
                    m.kind,
                    ids.label(&submission_set.core.id)
                ),
            );
        }
    }
}

/// No uniqueId appears twice among the submission's DocumentEntries,
/// Folders and SubmissionSet.
pub(super) fn unique_ids_distinct(report: &mut Report, ids: &IdMap, members: &[&Member<'_>]) {
    let mut seen: HashMap<&str, &Member<'_>> = HashMap::new();
    for &m in members {
        let Some(unique_id) = m.identifier(m.unique_scheme) else {
            continue;
        };
        match seen.get(unique_id) {
            Some(first) => {
                let label = ids.label(&m.core.id);
                report.duplicate_unique_id(
                    label,
                    format!(
                        "uniqueId {unique_id} of {} '{label}' is also the uniqueId of {} '{}' in this submission",
                        m.kind,
                        first.kind,
                        ids.label(&first.core.id)
                    ),
                );
            }
            None => {
                seen.insert(unique_id, m);
            }
        }
    }
}

/// Each DocumentEntry and Folder of the submission is the target of a
/// HasMember from the SubmissionSet (ITI TF-3 4.1.4).
pub(super) fn members_of_submission_set(
    report: &mut Report,
    ids: &IdMap,
    submission_set: &str,
    members: &[Member<'_>],
    associations: &[Association],
) {
    for m in members {
        let linked = associations.iter().any(|a| {
            a.association_type == vocab::ASSOC_HAS_MEMBER
                && a.source_object == submission_set
                && a.target_object == m.core.id
        });
        if !linked {
            let label = ids.label(&m.core.id);
            report.metadata(
                label,
                format!(
                    "{} '{label}' is not a member of SubmissionSet '{}': add a HasMember association from the SubmissionSet to it",
                    m.kind,
                    ids.label(submission_set)
                ),
            );
        }
    }
}
