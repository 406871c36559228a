//! The typed result of validation: each registry object with the fields the
//! registry indexes. `object` is the complete wire object (final ids, status
//! Approved, the top-level Classifications that describe it attached), which
//! is what the registry stores and returns to LeafClass queries.

use crate::datatypes::{Code, DocumentEntryType, EntryUuid, Oid, PatientId, UniqueId};
use crate::error::RegistryError;
use crate::model::{Association, ExtrinsicObject, RegistryPackage};
use crate::vocab;
use std::collections::BTreeMap;

/// A submission that passed every rule that needs no database.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedSubmission {
    pub submission_set: SubmissionSet,
    pub documents: Vec<DocumentEntry>,
    pub folders: Vec<Folder>,
    pub associations: Vec<AssociationEntry>,
    /// entryUUIDs that associations reference but the submission does not
    /// contain, sorted and without duplicates: the registry must find each
    /// one (and check its kind, status and patient) or reject the
    /// submission with `UnresolvedReferenceException`.
    pub references: Vec<EntryUuid>,
    /// Symbolic id as sent -> the entryUUID that replaced it. The repository
    /// needs it to match `xds:Document/@id` to its DocumentEntry.
    pub assigned_ids: BTreeMap<String, EntryUuid>,
    /// Warnings to return with Success. Nothing is dropped from a
    /// submission (every Slot and Classification is stored), so this holds
    /// no `XDSExtraMetadataNotSaved`; it is here for rules that only warn.
    pub warnings: Vec<RegistryError>,
}

/// An XDS DocumentEntry (`rim:ExtrinsicObject`).
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentEntry {
    pub object: ExtrinsicObject,
    pub entry_uuid: EntryUuid,
    /// logicalId: the entryUUID of version 1 (equal to `entry_uuid` outside
    /// Metadata Update).
    pub lid: EntryUuid,
    pub unique_id: UniqueId,
    pub patient_id: PatientId,
    pub object_type: DocumentEntryType,
    pub class_code: Code,
    pub type_code: Code,
    pub format_code: Code,
    pub practice_setting_code: Code,
    pub healthcare_facility_type_code: Code,
    pub confidentiality_codes: Vec<Code>,
    pub event_codes: Vec<Code>,
    /// `authorPerson` of each author that has one (XCN, matched with LIKE).
    pub author_persons: Vec<String>,
    pub author_institutions: Vec<String>,
    /// `urn:ihe:iti:xds:2013:referenceIdList` values (CXi).
    pub reference_ids: Vec<String>,
    /// [`crate::datatypes::Dtm::normalized`] form. Required for stable
    /// entries; optional for On-Demand ones.
    pub creation_time: Option<String>,
    pub service_start: Option<String>,
    pub service_stop: Option<String>,
    /// SHA-1 in lower-case hex (the object keeps the submitted spelling).
    pub hash: Option<String>,
    pub size: Option<u64>,
    pub repository_unique_id: Option<Oid>,
    pub mime_type: String,
    pub language_code: String,
    /// The facility's local patient id (CX), as sent.
    pub source_patient_id: String,
    pub title: Option<String>,
}

/// The SubmissionSet (`rim:RegistryPackage` classified with
/// [`vocab::SS_NODE`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SubmissionSet {
    pub object: RegistryPackage,
    pub entry_uuid: EntryUuid,
    pub unique_id: Oid,
    pub source_id: Oid,
    pub patient_id: PatientId,
    /// Normalized DTM.
    pub submission_time: String,
    pub content_type_code: Code,
    pub author_persons: Vec<String>,
    pub author_institutions: Vec<String>,
    pub title: Option<String>,
}

/// A Folder (`rim:RegistryPackage` classified with [`vocab::FD_NODE`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Folder {
    pub object: RegistryPackage,
    pub entry_uuid: EntryUuid,
    pub unique_id: Oid,
    pub patient_id: PatientId,
    pub codes: Vec<Code>,
    pub title: String,
}

/// A `rim:Association` with its XDS meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct AssociationEntry {
    pub object: Association,
    pub entry_uuid: EntryUuid,
    pub kind: AssociationKind,
    pub source: EntryUuid,
    pub target: EntryUuid,
}

/// The association types XDS defines (ITI TF-3 4.2.2). Any other type is
/// rejected, so there is no catch-all variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssociationKind {
    /// `SubmissionSetStatus` is set on SubmissionSet -> DocumentEntry
    /// members; other HasMember associations usually carry none.
    HasMember {
        submission_set_status: Option<SubmissionSetStatus>,
    },
    Rplc,
    Apnd,
    Xfrm,
    XfrmRplc,
    Signs,
    IsSnapshotOf,
    /// ITI-57 only.
    UpdateAvailabilityStatus,
    /// ITI-57 only.
    SubmitAssociation,
}

impl AssociationKind {
    /// The kind for an `associationType` URN (the slot status is filled in
    /// separately for HasMember).
    pub fn from_urn(urn: &str) -> Option<Self> {
        Some(match urn {
            vocab::ASSOC_HAS_MEMBER => Self::HasMember {
                submission_set_status: None,
            },
            vocab::ASSOC_RPLC => Self::Rplc,
            vocab::ASSOC_APND => Self::Apnd,
            vocab::ASSOC_XFRM => Self::Xfrm,
            vocab::ASSOC_XFRM_RPLC => Self::XfrmRplc,
            vocab::ASSOC_SIGNS => Self::Signs,
            vocab::ASSOC_IS_SNAPSHOT_OF => Self::IsSnapshotOf,
            vocab::ASSOC_UPDATE_AVAILABILITY_STATUS => Self::UpdateAvailabilityStatus,
            vocab::ASSOC_SUBMIT_ASSOCIATION => Self::SubmitAssociation,
            _ => return None,
        })
    }

    pub fn as_urn(self) -> &'static str {
        match self {
            Self::HasMember { .. } => vocab::ASSOC_HAS_MEMBER,
            Self::Rplc => vocab::ASSOC_RPLC,
            Self::Apnd => vocab::ASSOC_APND,
            Self::Xfrm => vocab::ASSOC_XFRM,
            Self::XfrmRplc => vocab::ASSOC_XFRM_RPLC,
            Self::Signs => vocab::ASSOC_SIGNS,
            Self::IsSnapshotOf => vocab::ASSOC_IS_SNAPSHOT_OF,
            Self::UpdateAvailabilityStatus => vocab::ASSOC_UPDATE_AVAILABILITY_STATUS,
            Self::SubmitAssociation => vocab::ASSOC_SUBMIT_ASSOCIATION,
        }
    }

    /// DocumentEntry-to-DocumentEntry relationships (their source is the
    /// new DocumentEntry; they may carry the documentation classification).
    pub fn is_relationship(self) -> bool {
        matches!(
            self,
            Self::Rplc
                | Self::Apnd
                | Self::Xfrm
                | Self::XfrmRplc
                | Self::Signs
                | Self::IsSnapshotOf
        )
    }

    /// RPLC and XFRM_RPLC deprecate their target.
    pub fn replaces(self) -> bool {
        matches!(self, Self::Rplc | Self::XfrmRplc)
    }
}

/// The `SubmissionSetStatus` slot of a SubmissionSet -> DocumentEntry
/// HasMember.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubmissionSetStatus {
    /// The DocumentEntry is submitted in this SubmissionSet.
    Original,
    /// The DocumentEntry is already registered and only referenced.
    Reference,
}

impl SubmissionSetStatus {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "Original" => Some(Self::Original),
            "Reference" => Some(Self::Reference),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Original => "Original",
            Self::Reference => "Reference",
        }
    }
}
