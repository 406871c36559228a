//! XDS metadata rules for a submission (ITI-42 at the registry, ITI-41 at
//! the repository, the structural part of ITI-57): the checks of
//! IHE-REFERENCE §4 that need no database, each with its IHE error code,
//! and the typed entries the registry indexes.
//!
//! Checks that need the registry's content (known patient, uniqueId
//! already registered, target status, patient of referenced objects) are
//! the registry's; [`ValidatedSubmission::references`] lists the entryUUIDs
//! it must resolve.

mod assemble;
mod associations;
mod attributes;
mod consistency;
mod document_entry;
mod entries;
mod ids;
mod options;
mod package;
mod report;

#[cfg(test)]
mod tests;

pub use entries::{
    AssociationEntry, AssociationKind, DocumentEntry, Folder, SubmissionSet, SubmissionSetStatus,
    ValidatedSubmission,
};
pub use options::{ValidatingActor, ValidationOptions};

use crate::error::RegistryError;
use crate::model::{RegistryPackage, SubmitObjectsRequest};
use crate::vocab;
use associations::Node;
use consistency::Member;
use package::PackageKind;
use report::Report;
use std::collections::HashMap;

/// Validates a submission and assigns its entryUUIDs. On failure every
/// problem found is returned (errors only; the submission must then be
/// stored not at all).
pub fn validate_submission(
    request: &SubmitObjectsRequest,
    options: &ValidationOptions,
) -> Result<ValidatedSubmission, Vec<RegistryError>> {
    let mut report = Report::new(options);
    let (objects, ids) = ids::assign_ids(
        &request.objects,
        options.allow_metadata_update_constructs,
        &mut report,
    );
    let parts = assemble::assemble(objects, &ids, &mut report);

    let mut nodes: HashMap<String, Node> = HashMap::new();
    let mut submission_sets: Vec<RegistryPackage> = Vec::new();
    let mut folders: Vec<RegistryPackage> = Vec::new();
    for package in parts.packages {
        let id = package.core.id.clone();
        let label = ids.label(&id).to_owned();
        let node = match package::package_kind(&mut report, &label, &package) {
            Some(PackageKind::SubmissionSet) => {
                submission_sets.push(package);
                Node::SubmissionSet
            }
            Some(PackageKind::Folder) => {
                folders.push(package);
                Node::Folder
            }
            None => Node::Unclassified,
        };
        nodes.insert(id, node);
    }
    for eo in &parts.documents {
        nodes.insert(eo.core.id.clone(), Node::DocumentEntry);
    }
    for a in &parts.associations {
        nodes.insert(a.core.id.clone(), Node::Association);
    }

    if submission_sets.len() != 1 {
        report.metadata(
            "SubmissionSet",
            format!(
                "a submission carries exactly one SubmissionSet (a RegistryPackage classified with {}); this one has {}",
                vocab::SS_NODE,
                submission_sets.len()
            ),
        );
    }

    let members: Vec<Member<'_>> = parts
        .documents
        .iter()
        .map(|eo| Member {
            kind: "DocumentEntry",
            core: &eo.core,
            patient_scheme: vocab::DE_PATIENT_ID,
            unique_scheme: vocab::DE_UNIQUE_ID,
        })
        .chain(folders.iter().map(|f| Member {
            kind: "Folder",
            core: &f.core,
            patient_scheme: vocab::FD_PATIENT_ID,
            unique_scheme: vocab::FD_UNIQUE_ID,
        }))
        .collect();
    let ss_members: Vec<Member<'_>> = submission_sets
        .iter()
        .map(|ss| Member {
            kind: "SubmissionSet",
            core: &ss.core,
            patient_scheme: vocab::SS_PATIENT_ID,
            unique_scheme: vocab::SS_UNIQUE_ID,
        })
        .collect();
    if let [ss] = ss_members.as_slice() {
        consistency::same_patient(&mut report, &ids, ss, &members);
        consistency::members_of_submission_set(
            &mut report,
            &ids,
            &ss.core.id,
            &members,
            &parts.associations,
        );
    }
    let all: Vec<&Member<'_>> = ss_members.iter().chain(members.iter()).collect();
    consistency::unique_ids_distinct(&mut report, &ids, &all);

    let cx = associations::Context {
        nodes: &nodes,
        ids: &ids,
        options,
    };
    let (associations, references) =
        associations::check_associations(&mut report, &cx, parts.associations);

    let documents: Vec<_> = parts
        .documents
        .into_iter()
        .filter_map(|eo| document_entry::document_entry(&mut report, &ids, eo, options))
        .collect();
    let folders: Vec<_> = folders
        .into_iter()
        .filter_map(|f| package::folder(&mut report, &ids, f))
        .collect();
    let mut submission_set = None;
    for ss in submission_sets {
        submission_set = package::submission_set(&mut report, &ids, ss);
    }

    if submission_set.is_none() && report.error_count() == 0 {
        report.metadata(
            "SubmissionSet",
            "no usable SubmissionSet in this submission".to_owned(),
        );
    }
    match submission_set {
        Some(submission_set) if report.error_count() == 0 => Ok(ValidatedSubmission {
            submission_set,
            documents,
            folders,
            associations,
            references: references.into_iter().collect(),
            assigned_ids: ids.assigned,
            warnings: Vec::new(),
        }),
        _ => Err(report.errors),
    }
}
