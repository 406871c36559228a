//! The decoded stored queries (ITI TF-2 3.18.4.1.2.3.7).

use super::params::TimeRange;
use crate::datatypes::{AvailabilityStatus, Code, DocumentEntryType, EntryUuid, PatientId};
use crate::vocab;

/// One stored query with its decoded parameters. Code lists are ORs;
/// `Vec<Vec<Code>>` is an AND of ORs (one inner list per Slot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredQuery {
    FindDocuments(FindDocumentsParams),
    FindDocumentsByReferenceId(FindDocumentsByReferenceIdParams),
    FindSubmissionSets(FindSubmissionSetsParams),
    FindFolders(FindFoldersParams),
    GetAll(GetAllParams),
    GetDocuments(ByIds),
    GetFolders(ByIds),
    GetAssociations {
        uuids: Vec<EntryUuid>,
    },
    GetDocumentsAndAssociations(ByIds),
    /// DocumentEntry or Folder entryUUIDs whose SubmissionSets are wanted.
    GetSubmissionSets {
        uuids: Vec<EntryUuid>,
    },
    GetSubmissionSetAndContents {
        id: EntryOrUnique,
        format_codes: Vec<Code>,
        confidentiality_codes: Vec<Vec<Code>>,
        document_entry_types: Vec<DocumentEntryType>,
    },
    GetFolderAndContents {
        id: EntryOrUnique,
        format_codes: Vec<Code>,
        confidentiality_codes: Vec<Vec<Code>>,
        document_entry_types: Vec<DocumentEntryType>,
    },
    GetFoldersForDocument {
        id: EntryOrUnique,
    },
    GetRelatedDocuments {
        id: EntryOrUnique,
        /// Full association type URNs, as given.
        association_types: Vec<String>,
        document_entry_types: Vec<DocumentEntryType>,
    },
}

impl StoredQuery {
    /// The query's name, for logs and audit records.
    pub fn name(&self) -> &'static str {
        match self {
            Self::FindDocuments(_) => "FindDocuments",
            Self::FindDocumentsByReferenceId(_) => "FindDocumentsByReferenceId",
            Self::FindSubmissionSets(_) => "FindSubmissionSets",
            Self::FindFolders(_) => "FindFolders",
            Self::GetAll(_) => "GetAll",
            Self::GetDocuments(_) => "GetDocuments",
            Self::GetFolders(_) => "GetFolders",
            Self::GetAssociations { .. } => "GetAssociations",
            Self::GetDocumentsAndAssociations(_) => "GetDocumentsAndAssociations",
            Self::GetSubmissionSets { .. } => "GetSubmissionSets",
            Self::GetSubmissionSetAndContents { .. } => "GetSubmissionSetAndContents",
            Self::GetFolderAndContents { .. } => "GetFolderAndContents",
            Self::GetFoldersForDocument { .. } => "GetFoldersForDocument",
            Self::GetRelatedDocuments { .. } => "GetRelatedDocuments",
        }
    }

    /// The query id URN.
    pub fn query_id(&self) -> &'static str {
        match self {
            Self::FindDocuments(_) => vocab::SQ_FIND_DOCUMENTS,
            Self::FindDocumentsByReferenceId(_) => vocab::SQ_FIND_DOCUMENTS_BY_REFERENCE_ID,
            Self::FindSubmissionSets(_) => vocab::SQ_FIND_SUBMISSION_SETS,
            Self::FindFolders(_) => vocab::SQ_FIND_FOLDERS,
            Self::GetAll(_) => vocab::SQ_GET_ALL,
            Self::GetDocuments(_) => vocab::SQ_GET_DOCUMENTS,
            Self::GetFolders(_) => vocab::SQ_GET_FOLDERS,
            Self::GetAssociations { .. } => vocab::SQ_GET_ASSOCIATIONS,
            Self::GetDocumentsAndAssociations(_) => vocab::SQ_GET_DOCUMENTS_AND_ASSOCIATIONS,
            Self::GetSubmissionSets { .. } => vocab::SQ_GET_SUBMISSION_SETS,
            Self::GetSubmissionSetAndContents { .. } => vocab::SQ_GET_SUBMISSION_SET_AND_CONTENTS,
            Self::GetFolderAndContents { .. } => vocab::SQ_GET_FOLDER_AND_CONTENTS,
            Self::GetFoldersForDocument { .. } => vocab::SQ_GET_FOLDERS_FOR_DOCUMENT,
            Self::GetRelatedDocuments { .. } => vocab::SQ_GET_RELATED_DOCUMENTS,
        }
    }

    /// The patient a Find / GetAll query is about (the id queries name
    /// objects instead).
    pub fn patient_id(&self) -> Option<&PatientId> {
        match self {
            Self::FindDocuments(p) => Some(&p.patient_id),
            Self::FindDocumentsByReferenceId(p) => Some(&p.find.patient_id),
            Self::FindSubmissionSets(p) => Some(&p.patient_id),
            Self::FindFolders(p) => Some(&p.patient_id),
            Self::GetAll(p) => Some(&p.patient_id),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindDocumentsParams {
    pub patient_id: PatientId,
    pub class_codes: Vec<Code>,
    pub type_codes: Vec<Code>,
    pub practice_setting_codes: Vec<Code>,
    pub healthcare_facility_type_codes: Vec<Code>,
    pub format_codes: Vec<Code>,
    pub event_codes: Vec<Vec<Code>>,
    pub confidentiality_codes: Vec<Vec<Code>>,
    pub creation_time: TimeRange,
    pub service_start_time: TimeRange,
    pub service_stop_time: TimeRange,
    /// SQL LIKE patterns (`%`, `_`), ORed.
    pub author_persons: Vec<String>,
    pub statuses: Vec<AvailabilityStatus>,
    /// Stable only unless the query asks for On-Demand entries.
    pub document_entry_types: Vec<DocumentEntryType>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindDocumentsByReferenceIdParams {
    pub find: FindDocumentsParams,
    /// Matched against `urn:ihe:iti:xds:2013:referenceIdList` values, ORed.
    pub reference_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindSubmissionSetsParams {
    pub patient_id: PatientId,
    pub source_ids: Vec<String>,
    pub submission_time: TimeRange,
    /// A SQL LIKE pattern.
    pub author_person: Option<String>,
    pub content_type_codes: Vec<Code>,
    pub statuses: Vec<AvailabilityStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindFoldersParams {
    pub patient_id: PatientId,
    pub last_update_time: TimeRange,
    pub codes: Vec<Vec<Code>>,
    pub statuses: Vec<AvailabilityStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetAllParams {
    pub patient_id: PatientId,
    pub document_statuses: Vec<AvailabilityStatus>,
    pub submission_set_statuses: Vec<AvailabilityStatus>,
    pub folder_statuses: Vec<AvailabilityStatus>,
    pub format_codes: Vec<Code>,
    pub confidentiality_codes: Vec<Vec<Code>>,
    pub document_entry_types: Vec<DocumentEntryType>,
}

/// The objects an id query names: exactly one of the alternatives.
/// uniqueIds are kept as sent: one that is not well formed matches nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ByIds {
    EntryUuids(Vec<EntryUuid>),
    UniqueIds(Vec<String>),
    /// Metadata Update option: every version of these logical objects.
    LogicalIds(Vec<EntryUuid>),
}

/// One object named by entryUUID or by uniqueId.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryOrUnique {
    EntryUuid(EntryUuid),
    UniqueId(String),
}
