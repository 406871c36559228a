//! RegistryPackages: SubmissionSet and Folder attributes (ITI TF-3 4.2.3.3,
//! 4.2.3.4).

use super::attributes::{authors, codes, dtm_slot, external_id, title, typed};
use super::entries::{Folder, SubmissionSet};
use super::ids::IdMap;
use super::report::{Report, Subject};
use crate::datatypes::{EntryUuid, Oid, PatientId};
use crate::model::RegistryPackage;
use crate::vocab;

/// What a RegistryPackage is, from its classification node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PackageKind {
    SubmissionSet,
    Folder,
}

/// A RegistryPackage is a SubmissionSet iff classified with
/// [`vocab::SS_NODE`], a Folder iff with [`vocab::FD_NODE`]; anything else
/// (neither, or both) is reported.
pub(super) fn package_kind(
    report: &mut Report,
    label: &str,
    package: &RegistryPackage,
) -> Option<PackageKind> {
    let has_node = |node: &str| {
        package
            .core
            .classifications
            .iter()
            .any(|c| c.classification_node.as_deref() == Some(node))
    };
    match (has_node(vocab::SS_NODE), has_node(vocab::FD_NODE)) {
        (true, false) => Some(PackageKind::SubmissionSet),
        (false, true) => Some(PackageKind::Folder),
        (true, true) => {
            report.metadata(
                label,
                format!(
                    "RegistryPackage '{label}' is classified both as SubmissionSet and as Folder"
                ),
            );
            None
        }
        (false, false) => {
            report.metadata(
                label,
                format!(
                    "RegistryPackage '{label}' is neither a SubmissionSet nor a Folder: it needs a Classification with classificationNode {} or {}",
                    vocab::SS_NODE,
                    vocab::FD_NODE
                ),
            );
            None
        }
    }
}

pub(super) fn submission_set(
    report: &mut Report,
    ids: &IdMap,
    object: RegistryPackage,
) -> Option<SubmissionSet> {
    let s = Subject {
        kind: "SubmissionSet",
        label: ids.label(&object.core.id),
        ids,
    };
    let core = &object.core;
    let unique_id = external_id(report, s, core, vocab::SS_UNIQUE_ID, "uniqueId")
        .and_then(|v| typed(report, s, "uniqueId", Oid::parse(v)));
    let source_id = external_id(report, s, core, vocab::SS_SOURCE_ID, "sourceId")
        .and_then(|v| typed(report, s, "sourceId", Oid::parse(v)));
    let patient_id = external_id(report, s, core, vocab::SS_PATIENT_ID, "patientId")
        .and_then(|v| typed(report, s, "patientId", PatientId::parse(v)));
    let submission_time = dtm_slot(report, s, core, "submissionTime", true);
    let content_type_code = codes(
        report,
        s,
        core,
        vocab::SS_CONTENT_TYPE_CODE,
        "contentTypeCode",
        1,
        Some(1),
    );
    let authors = authors(report, s, core, vocab::SS_AUTHOR);
    let entry_uuid = EntryUuid::parse(&core.id).ok();
    let title = title(core);
    Some(SubmissionSet {
        entry_uuid: entry_uuid?,
        unique_id: unique_id?,
        source_id: source_id?,
        patient_id: patient_id?,
        submission_time: submission_time?.normalized(),
        content_type_code: content_type_code.into_iter().next()?,
        author_persons: authors.persons,
        author_institutions: authors.institutions,
        title,
        object,
    })
}

pub(super) fn folder(report: &mut Report, ids: &IdMap, object: RegistryPackage) -> Option<Folder> {
    let s = Subject {
        kind: "Folder",
        label: ids.label(&object.core.id),
        ids,
    };
    let core = &object.core;
    let unique_id = external_id(report, s, core, vocab::FD_UNIQUE_ID, "uniqueId")
        .and_then(|v| typed(report, s, "uniqueId", Oid::parse(v)));
    let patient_id = external_id(report, s, core, vocab::FD_PATIENT_ID, "patientId")
        .and_then(|v| typed(report, s, "patientId", PatientId::parse(v)));
    let codes = codes(report, s, core, vocab::FD_CODE_LIST, "codeList", 1, None);
    let title = title(core);
    if title.is_none() {
        s.metadata(report, "title (rim:Name) is missing; a Folder requires one");
    }
    let entry_uuid = EntryUuid::parse(&core.id).ok();
    Some(Folder {
        entry_uuid: entry_uuid?,
        unique_id: unique_id?,
        patient_id: patient_id?,
        codes: (!codes.is_empty()).then_some(codes)?,
        title: title?,
        object,
    })
}
