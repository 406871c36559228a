//! Stored-query parameters (ebrim::query) as database filters (store).

use ebrim::datatypes::{AvailabilityStatus, Code, DocumentEntryType};
use ebrim::query::{
    FindDocumentsParams, FindFoldersParams, FindSubmissionSetsParams, GetAllParams, TimeRange,
};
use store::{
    AnyConnection, DocumentFilter, FolderFilter, RegistryObjectRow, StoreError, SubmissionSetFilter,
};

fn codes(c: &[Code]) -> Vec<String> {
    c.iter().map(Code::to_query_string).collect()
}
fn code_groups(g: &[Vec<Code>]) -> Vec<Vec<String>> {
    g.iter().map(|c| codes(c)).collect()
}
pub(crate) fn statuses(s: &[AvailabilityStatus]) -> Vec<String> {
    s.iter().map(|s| s.as_urn().to_string()).collect()
}
fn types(t: &[DocumentEntryType]) -> Vec<String> {
    t.iter().map(|t| t.as_urn().to_string()).collect()
}
fn range(r: &TimeRange) -> (Option<String>, Option<String>) {
    (
        r.from.as_ref().map(|d| d.normalized()),
        r.to.as_ref().map(|d| d.normalized()),
    )
}

pub(crate) fn find_documents(p: &FindDocumentsParams, reference_ids: &[String]) -> DocumentFilter {
    let (creation_time_from, creation_time_to) = range(&p.creation_time);
    let (service_start_from, service_start_to) = range(&p.service_start_time);
    let (service_stop_from, service_stop_to) = range(&p.service_stop_time);
    DocumentFilter {
        patient_id: p.patient_id.to_string(),
        statuses: statuses(&p.statuses),
        object_types: types(&p.document_entry_types),
        class_codes: codes(&p.class_codes),
        type_codes: codes(&p.type_codes),
        practice_setting_codes: codes(&p.practice_setting_codes),
        healthcare_facility_type_codes: codes(&p.healthcare_facility_type_codes),
        format_codes: codes(&p.format_codes),
        creation_time_from,
        creation_time_to,
        service_start_from,
        service_start_to,
        service_stop_from,
        service_stop_to,
        event_codes: code_groups(&p.event_codes),
        confidentiality_codes: code_groups(&p.confidentiality_codes),
        author_persons: p.author_persons.clone(),
        reference_ids: reference_ids.to_vec(),
    }
}

pub(crate) fn get_all_documents(p: &GetAllParams) -> DocumentFilter {
    DocumentFilter {
        patient_id: p.patient_id.to_string(),
        statuses: statuses(&p.document_statuses),
        object_types: types(&p.document_entry_types),
        format_codes: codes(&p.format_codes),
        confidentiality_codes: code_groups(&p.confidentiality_codes),
        ..DocumentFilter::default()
    }
}

pub(crate) fn find_submission_sets(p: &FindSubmissionSetsParams) -> SubmissionSetFilter {
    let (submission_time_from, submission_time_to) = range(&p.submission_time);
    SubmissionSetFilter {
        patient_id: p.patient_id.to_string(),
        statuses: statuses(&p.statuses),
        source_ids: p.source_ids.clone(),
        submission_time_from,
        submission_time_to,
        author_person: p.author_person.clone(),
        content_type_codes: codes(&p.content_type_codes),
    }
}

pub(crate) fn find_folders(p: &FindFoldersParams) -> FolderFilter {
    let (last_update_from, last_update_to) = range(&p.last_update_time);
    FolderFilter {
        patient_id: p.patient_id.to_string(),
        statuses: statuses(&p.statuses),
        last_update_from,
        last_update_to,
        codes: code_groups(&p.codes),
    }
}

/// The DocumentEntry filters of GetSubmissionSetAndContents /
/// GetFolderAndContents, applied to entries already found by membership.
pub(crate) struct MemberFilter {
    pub format_codes: Vec<String>,
    pub confidentiality_codes: Vec<Vec<String>>,
    pub document_entry_types: Vec<String>,
}

impl MemberFilter {
    pub fn new(
        format: &[Code],
        confidentiality: &[Vec<Code>],
        entry_types: &[DocumentEntryType],
    ) -> Self {
        Self {
            format_codes: codes(format),
            confidentiality_codes: code_groups(confidentiality),
            document_entry_types: types(entry_types),
        }
    }

    pub fn retain(
        &self,
        conn: &mut AnyConnection,
        docs: Vec<RegistryObjectRow>,
    ) -> Result<Vec<RegistryObjectRow>, StoreError> {
        let mut docs: Vec<RegistryObjectRow> = docs
            .into_iter()
            .filter(|d| {
                let t = d
                    .object_type
                    .as_deref()
                    .unwrap_or(ebrim::vocab::OBJ_DOCUMENT_ENTRY_STABLE);
                let type_ok = if self.document_entry_types.is_empty() {
                    t == ebrim::vocab::OBJ_DOCUMENT_ENTRY_STABLE
                } else {
                    self.document_entry_types.iter().any(|x| x == t)
                };
                let format_ok = self.format_codes.is_empty()
                    || d.format_code
                        .as_ref()
                        .is_some_and(|f| self.format_codes.contains(f));
                type_ok && format_ok
            })
            .collect();
        if !self.confidentiality_codes.is_empty() && !docs.is_empty() {
            let ids: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
            let patients = store::patients_of(&docs);
            let rows = store::codes_by_object_ids(conn, &patients, &ids)?;
            docs.retain(|d| {
                let mine: Vec<&str> = rows
                    .iter()
                    .filter(|r| r.object_id == d.id && r.kind == store::CODE_CONFIDENTIALITY)
                    .map(|r| r.value.as_str())
                    .collect();
                // AND of groups, OR within a group.
                self.confidentiality_codes
                    .iter()
                    .all(|group| group.iter().any(|c| mine.contains(&c.as_str())))
            });
        }
        Ok(docs)
    }
}
