//! Registry Stored Query (ITI-18) parameter decoding: from the raw Slots of
//! an `AdhocQueryRequest` to a typed [`StoredQuery`], with the IHE error
//! codes for unknown queries and missing, repeated or malformed
//! parameters. How the value syntax is read is documented in `params`.

mod params;
mod types;
mod value;

#[cfg(test)]
mod tests;

pub use params::TimeRange;
pub use types::*;

use crate::error::{RegistryError, XdsErrorCode};
use crate::model::AdhocQueryRequest;
use crate::vocab;
use params::{Params, Result};

/// Decodes the stored query of an ITI-18 request. `home` (the
/// homeCommunityId) stays on the request; it is not a parameter.
pub fn parse_stored_query(request: &AdhocQueryRequest) -> Result<StoredQuery> {
    let p = Params::new(&request.parameters);
    Ok(match request.query_id.as_str() {
        vocab::SQ_FIND_DOCUMENTS => StoredQuery::FindDocuments(find_documents(&p)?),
        vocab::SQ_FIND_DOCUMENTS_BY_REFERENCE_ID => {
            StoredQuery::FindDocumentsByReferenceId(FindDocumentsByReferenceIdParams {
                reference_ids: p.required_strings("$XDSDocumentEntryReferenceIdList")?,
                find: find_documents(&p)?,
            })
        }
        vocab::SQ_FIND_SUBMISSION_SETS => {
            StoredQuery::FindSubmissionSets(FindSubmissionSetsParams {
                patient_id: p.patient_id("$XDSSubmissionSetPatientId")?,
                source_ids: p.strings("$XDSSubmissionSetSourceId")?,
                submission_time: p.time_range(
                    "$XDSSubmissionSetSubmissionTimeFrom",
                    "$XDSSubmissionSetSubmissionTimeTo",
                )?,
                author_person: p.optional_string("$XDSSubmissionSetAuthorPerson")?,
                content_type_codes: p.codes("$XDSSubmissionSetContentType")?,
                statuses: p.statuses("$XDSSubmissionSetStatus")?,
            })
        }
        vocab::SQ_FIND_FOLDERS => StoredQuery::FindFolders(FindFoldersParams {
            patient_id: p.patient_id("$XDSFolderPatientId")?,
            last_update_time: p
                .time_range("$XDSFolderLastUpdateTimeFrom", "$XDSFolderLastUpdateTimeTo")?,
            codes: p.code_groups("$XDSFolderCodeList")?,
            statuses: p.statuses("$XDSFolderStatus")?,
        }),
        vocab::SQ_GET_ALL => StoredQuery::GetAll(GetAllParams {
            patient_id: p.patient_id("$patientId")?,
            document_statuses: p.statuses("$XDSDocumentEntryStatus")?,
            submission_set_statuses: p.statuses("$XDSSubmissionSetStatus")?,
            folder_statuses: p.statuses("$XDSFolderStatus")?,
            format_codes: p.codes("$XDSDocumentEntryFormatCode")?,
            confidentiality_codes: p.code_groups("$XDSDocumentEntryConfidentialityCode")?,
            document_entry_types: p.entry_types("$XDSDocumentEntryType")?,
        }),
        vocab::SQ_GET_DOCUMENTS => StoredQuery::GetDocuments(documents_by_ids(&p, true)?),
        vocab::SQ_GET_FOLDERS => StoredQuery::GetFolders(by_ids(
            &p,
            "$XDSFolderEntryUUID",
            "$XDSFolderUniqueId",
            Some("$XDSFolderLogicalID"),
        )?),
        vocab::SQ_GET_ASSOCIATIONS => StoredQuery::GetAssociations {
            uuids: p.required_uuids("$uuid")?,
        },
        vocab::SQ_GET_DOCUMENTS_AND_ASSOCIATIONS => {
            StoredQuery::GetDocumentsAndAssociations(documents_by_ids(&p, false)?)
        }
        vocab::SQ_GET_SUBMISSION_SETS => StoredQuery::GetSubmissionSets {
            uuids: p.required_uuids("$uuid")?,
        },
        vocab::SQ_GET_SUBMISSION_SET_AND_CONTENTS => StoredQuery::GetSubmissionSetAndContents {
            id: entry_or_unique(
                &p,
                "$XDSSubmissionSetEntryUUID",
                "$XDSSubmissionSetUniqueId",
            )?,
            format_codes: p.codes("$XDSDocumentEntryFormatCode")?,
            confidentiality_codes: p.code_groups("$XDSDocumentEntryConfidentialityCode")?,
            document_entry_types: p.entry_types("$XDSDocumentEntryType")?,
        },
        vocab::SQ_GET_FOLDER_AND_CONTENTS => StoredQuery::GetFolderAndContents {
            id: entry_or_unique(&p, "$XDSFolderEntryUUID", "$XDSFolderUniqueId")?,
            format_codes: p.codes("$XDSDocumentEntryFormatCode")?,
            confidentiality_codes: p.code_groups("$XDSDocumentEntryConfidentialityCode")?,
            document_entry_types: p.entry_types("$XDSDocumentEntryType")?,
        },
        vocab::SQ_GET_FOLDERS_FOR_DOCUMENT => StoredQuery::GetFoldersForDocument {
            id: entry_or_unique(
                &p,
                "$XDSDocumentEntryEntryUUID",
                "$XDSDocumentEntryUniqueId",
            )?,
        },
        vocab::SQ_GET_RELATED_DOCUMENTS => StoredQuery::GetRelatedDocuments {
            id: entry_or_unique(
                &p,
                "$XDSDocumentEntryEntryUUID",
                "$XDSDocumentEntryUniqueId",
            )?,
            association_types: p.required_strings("$AssociationTypes")?,
            document_entry_types: p.entry_types("$XDSDocumentEntryType")?,
        },
        other => {
            return Err(RegistryError::error(
                XdsErrorCode::UnknownStoredQuery,
                format!("stored query id {other:?} is not a query this registry supports"),
            )
            .at(other));
        }
    })
}

fn find_documents(p: &Params<'_>) -> Result<FindDocumentsParams> {
    Ok(FindDocumentsParams {
        patient_id: p.patient_id("$XDSDocumentEntryPatientId")?,
        class_codes: p.codes("$XDSDocumentEntryClassCode")?,
        type_codes: p.codes("$XDSDocumentEntryTypeCode")?,
        practice_setting_codes: p.codes("$XDSDocumentEntryPracticeSettingCode")?,
        healthcare_facility_type_codes: p.codes("$XDSDocumentEntryHealthcareFacilityTypeCode")?,
        format_codes: p.codes("$XDSDocumentEntryFormatCode")?,
        event_codes: p.code_groups("$XDSDocumentEntryEventCodeList")?,
        confidentiality_codes: p.code_groups("$XDSDocumentEntryConfidentialityCode")?,
        creation_time: p.time_range(
            "$XDSDocumentEntryCreationTimeFrom",
            "$XDSDocumentEntryCreationTimeTo",
        )?,
        service_start_time: p.time_range(
            "$XDSDocumentEntryServiceStartTimeFrom",
            "$XDSDocumentEntryServiceStartTimeTo",
        )?,
        service_stop_time: p.time_range(
            "$XDSDocumentEntryServiceStopTimeFrom",
            "$XDSDocumentEntryServiceStopTimeTo",
        )?,
        author_persons: p.strings("$XDSDocumentEntryAuthorPerson")?,
        statuses: p.statuses("$XDSDocumentEntryStatus")?,
        document_entry_types: p.entry_types("$XDSDocumentEntryType")?,
    })
}

/// GetDocuments also takes the Metadata Update option's logical ids.
fn documents_by_ids(p: &Params<'_>, logical: bool) -> Result<ByIds> {
    by_ids(
        p,
        "$XDSDocumentEntryEntryUUID",
        "$XDSDocumentEntryUniqueId",
        logical.then_some("$XDSDocumentEntryLogicalID"),
    )
}

fn by_ids<'a>(
    p: &Params<'a>,
    uuid: &'a str,
    unique: &'a str,
    logical: Option<&'a str>,
) -> Result<ByIds> {
    let mut names = vec![uuid, unique];
    names.extend(logical);
    let given = p.exactly_one_of(&names)?;
    Ok(if given == uuid {
        ByIds::EntryUuids(p.uuids(uuid)?)
    } else if given == unique {
        ByIds::UniqueIds(p.strings(unique)?)
    } else {
        ByIds::LogicalIds(p.uuids(given)?)
    })
}

fn entry_or_unique<'a>(p: &Params<'a>, uuid: &'a str, unique: &'a str) -> Result<EntryOrUnique> {
    let given = p.exactly_one_of(&[uuid, unique])?;
    let missing = || params::missing(given);
    Ok(if given == uuid {
        EntryOrUnique::EntryUuid(p.uuid(uuid)?.ok_or_else(missing)?)
    } else {
        EntryOrUnique::UniqueId(p.optional_string(unique)?.ok_or_else(missing)?)
    })
}
