//! Find and GetAll queries, and the value rules they exercise.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::XdsErrorCode;
use crate::datatypes::{AvailabilityStatus, Code, DocumentEntryType};
use crate::query::StoredQuery;

#[test]
fn find_documents_with_every_parameter() {
    let q = parse(
        vocab::SQ_FIND_DOCUMENTS,
        &[
            ("$XDSDocumentEntryPatientId", &[PID]),
            (
                "$XDSDocumentEntryClassCode",
                &["('REPORTS^^1.3.6.1.4.1.19376.1.2.6.1', 'SUMMARIES^^1.3.6.1.4.1.19376.1.2.6.1')"],
            ),
            (
                "$XDSDocumentEntryTypeCode",
                &["('11369-6^^2.16.840.1.113883.6.1')"],
            ),
            (
                "$XDSDocumentEntryPracticeSettingCode",
                &["('Practice-D^^1.3.6.1.4.1.21367.2017.3')"],
            ),
            (
                "$XDSDocumentEntryHealthcareFacilityTypeCode",
                &["('Outpatient^^1.3.6.1.4.1.21367.2017.3')"],
            ),
            (
                "$XDSDocumentEntryFormatCode",
                &["('urn:ihe:pcc:aps:2007^^1.3.6.1.4.1.19376.1.2.3')"],
            ),
            ("$XDSDocumentEntryCreationTimeFrom", &["200401010934"]),
            ("$XDSDocumentEntryCreationTimeTo", &["'200501010856'"]),
            ("$XDSDocumentEntryServiceStartTimeFrom", &["2005"]),
            ("$XDSDocumentEntryServiceStartTimeTo", &["2006"]),
            ("$XDSDocumentEntryServiceStopTimeTo", &["20061231235959"]),
            (
                "$XDSDocumentEntryAuthorPerson",
                &["('%Ford%', '%O''Brien%')"],
            ),
            (
                "$XDSDocumentEntryConfidentialityCode",
                &["('R^^2.16.840.1.113883.5.25', 'N^^2.16.840.1.113883.5.25')"],
            ),
            ("$XDSDocumentEntryStatus", &[APPROVED]),
            (
                "$XDSDocumentEntryType",
                &["('urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248')"],
            ),
            ("$SomethingElse", &["'ignored'"]),
        ],
    );
    let StoredQuery::FindDocuments(p) = q else {
        panic!("{q:?}")
    };
    assert_eq!(
        p.patient_id.as_str(),
        "c4d77e21d0dd487^^^&1.3.6.1.4.1.21367.2005.3.7&ISO"
    );
    assert_eq!(p.class_codes.len(), 2);
    assert_eq!(
        p.class_codes[1],
        code("SUMMARIES^^1.3.6.1.4.1.19376.1.2.6.1")
    );
    assert_eq!(p.type_codes, [code("11369-6^^2.16.840.1.113883.6.1")]);
    assert_eq!(p.practice_setting_codes.len(), 1);
    assert_eq!(p.healthcare_facility_type_codes.len(), 1);
    assert_eq!(p.format_codes.len(), 1);
    assert_eq!(
        p.creation_time.from.as_ref().unwrap().as_str(),
        "200401010934"
    );
    assert_eq!(
        p.creation_time.to.as_ref().unwrap().normalized(),
        "20050101085600"
    );
    assert_eq!(p.service_start_time.from.as_ref().unwrap().as_str(), "2005");
    assert_eq!(p.service_stop_time.from, None);
    assert_eq!(p.author_persons, ["%Ford%", "%O'Brien%"]);
    assert_eq!(p.confidentiality_codes.len(), 1, "one Slot = one OR group");
    assert_eq!(p.confidentiality_codes[0].len(), 2);
    assert!(p.event_codes.is_empty());
    assert_eq!(p.statuses, [AvailabilityStatus::Approved]);
    assert_eq!(p.document_entry_types, [DocumentEntryType::OnDemand]);
    assert_eq!(q_name(vocab::SQ_FIND_DOCUMENTS), "FindDocuments");
}

/// NIST 11897 `and` / `eventcode_multi_select`: repeated Slots are ANDed,
/// values inside one Slot ORed.
#[test]
fn repeated_slots_are_and_groups() {
    let q = parse(
        vocab::SQ_FIND_DOCUMENTS,
        &[
            ("$XDSDocumentEntryStatus", &[APPROVED]),
            ("$XDSDocumentEntryPatientId", &[PID]),
            (
                "$XDSDocumentEntryEventCodeList",
                &[
                    "('urn:connectathon:bppc:foundational:policy^^1.3.6.1.4.1.21367.2017.3', 'urn:connectathon:policy:deny-access^^1.3.6.1.4.1.21367.2017.3')",
                ],
            ),
            (
                "$XDSDocumentEntryEventCodeList",
                &["('urn:connectathon:policy:full-access^^1.3.6.1.4.1.21367.2017.3')"],
            ),
            (
                "$XDSDocumentEntryConfidentialityCode",
                &["('V^^2.16.840.1.113883.5.25')"],
            ),
            (
                "$XDSDocumentEntryConfidentialityCode",
                &[
                    "('R^^2.16.840.1.113883.5.25')",
                    "('N^^2.16.840.1.113883.5.25')",
                ],
            ),
        ],
    );
    let StoredQuery::FindDocuments(p) = q else {
        panic!()
    };
    let codes = |groups: &[Vec<Code>]| -> Vec<Vec<String>> {
        groups
            .iter()
            .map(|g| g.iter().map(|c| c.code.clone()).collect())
            .collect()
    };
    assert_eq!(
        codes(&p.event_codes),
        [
            vec![
                "urn:connectathon:bppc:foundational:policy".to_owned(),
                "urn:connectathon:policy:deny-access".to_owned()
            ],
            vec!["urn:connectathon:policy:full-access".to_owned()],
        ]
    );
    // Several rim:Value elements in one Slot are one list (OR).
    assert_eq!(codes(&p.confidentiality_codes), [vec!["V"], vec!["R", "N"]]);
}

#[test]
fn repeated_slots_of_other_multi_valued_parameters_are_merged() {
    let q = parse(
        vocab::SQ_FIND_DOCUMENTS,
        &[
            ("$XDSDocumentEntryPatientId", &[PID]),
            (
                "$XDSDocumentEntryStatus",
                &["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"],
            ),
            (
                "$XDSDocumentEntryStatus",
                &["('urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated')"],
            ),
            ("$XDSDocumentEntryClassCode", &["('a^^s1')"]),
            ("$XDSDocumentEntryClassCode", &["('b^^s2')"]),
        ],
    );
    let StoredQuery::FindDocuments(p) = q else {
        panic!()
    };
    assert_eq!(
        p.statuses,
        [AvailabilityStatus::Approved, AvailabilityStatus::Deprecated]
    );
    assert_eq!(p.class_codes, [code("a^^s1"), code("b^^s2")]);
    assert_eq!(
        p.document_entry_types,
        [DocumentEntryType::Stable],
        "default: stable only"
    );
}

#[test]
fn status_values() {
    // Unknown values are ignored...
    let q = parse(
        vocab::SQ_FIND_DOCUMENTS,
        &[
            ("$XDSDocumentEntryPatientId", &[PID]),
            (
                "$XDSDocumentEntryStatus",
                &[
                    "('urn:oasis:names:tc:ebxml-regrep:StatusType:Submitted', 'urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated')",
                ],
            ),
        ],
    );
    let StoredQuery::FindDocuments(p) = q else {
        panic!()
    };
    assert_eq!(p.statuses, [AvailabilityStatus::Deprecated]);
    // ...and if none is left the parameter is missing.
    fails(
        vocab::SQ_FIND_DOCUMENTS,
        &[
            ("$XDSDocumentEntryPatientId", &[PID]),
            ("$XDSDocumentEntryStatus", &["('Approved')"]),
        ],
        XdsErrorCode::StoredQueryMissingParam,
        &["$XDSDocumentEntryStatus"],
    );
    // sq-req-missing-stat.xml
    fails(
        vocab::SQ_FIND_DOCUMENTS,
        &[("$XDSDocumentEntryPatientId", &[PID])],
        XdsErrorCode::StoredQueryMissingParam,
        &["$XDSDocumentEntryStatus"],
    );
    fails(
        vocab::SQ_FIND_DOCUMENTS,
        &[
            ("$XDSDocumentEntryPatientId", &[PID]),
            ("$XDSDocumentEntryStatus", &["()"]),
        ],
        XdsErrorCode::StoredQueryMissingParam,
        &["$XDSDocumentEntryStatus"],
    );
    // sq-req-bad-stat-format1.xml / -format2.xml: unquoted values.
    for bad in [
        "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved",
        "(urn:oasis:names:tc:ebxml-regrep:StatusType:Approved)",
    ] {
        fails(
            vocab::SQ_FIND_DOCUMENTS,
            &[
                ("$XDSDocumentEntryPatientId", &[PID]),
                ("$XDSDocumentEntryStatus", &[bad]),
            ],
            XdsErrorCode::RegistryError,
            &["$XDSDocumentEntryStatus", "single quotes"],
        );
    }
}

#[test]
fn patient_id_rules() {
    // sq-req-bad-pid-format.xml: the CX is not quoted.
    fails(
        vocab::SQ_FIND_DOCUMENTS,
        &[
            (
                "$XDSDocumentEntryPatientId",
                &["c4d77e21d0dd487^^^&1.3.6.1.4.1.21367.2005.3.7&ISO"],
            ),
            ("$XDSDocumentEntryStatus", &[APPROVED]),
        ],
        XdsErrorCode::RegistryError,
        &["$XDSDocumentEntryPatientId", "c4d77e21d0dd487"],
    );
    fails(
        vocab::SQ_FIND_DOCUMENTS,
        &[
            ("$XDSDocumentEntryPatientId", &["'123^^^&1.2.3&L'"]),
            ("$XDSDocumentEntryStatus", &[APPROVED]),
        ],
        XdsErrorCode::RegistryError,
        &["123^^^&1.2.3&L", "ISO"],
    );
    fails(
        vocab::SQ_FIND_DOCUMENTS,
        &[("$XDSDocumentEntryStatus", &[APPROVED])],
        XdsErrorCode::StoredQueryMissingParam,
        &["$XDSDocumentEntryPatientId"],
    );
    // Single-valued: two values, or the Slot twice.
    fails(
        vocab::SQ_FIND_DOCUMENTS,
        &[
            (
                "$XDSDocumentEntryPatientId",
                &["('1^^^&1.2.3&ISO', '2^^^&1.2.3&ISO')"],
            ),
            ("$XDSDocumentEntryStatus", &[APPROVED]),
        ],
        XdsErrorCode::StoredQueryParamNumber,
        &["$XDSDocumentEntryPatientId", "2 values"],
    );
    fails(
        vocab::SQ_FIND_DOCUMENTS,
        &[
            ("$XDSDocumentEntryPatientId", &[PID]),
            ("$XDSDocumentEntryPatientId", &[PID]),
            ("$XDSDocumentEntryStatus", &[APPROVED]),
        ],
        XdsErrorCode::StoredQueryParamNumber,
        &["more than once"],
    );
    fails(
        vocab::SQ_FIND_DOCUMENTS,
        &[
            ("$XDSDocumentEntryPatientId", &[PID, PID]),
            ("$XDSDocumentEntryStatus", &[APPROVED]),
        ],
        XdsErrorCode::StoredQueryParamNumber,
        &["2 values"],
    );
    // A one-element list is a single value.
    parse(
        vocab::SQ_FIND_DOCUMENTS,
        &[
            ("$XDSDocumentEntryPatientId", &["('1^^^&1.2.3&ISO')"]),
            ("$XDSDocumentEntryStatus", &[APPROVED]),
        ],
    );
}

/// NIST 11897 classcode_scheme_mismatch and old_scheme must fail; so does
/// sq-req-bad-code.xml.
#[test]
fn codes_must_be_code_and_scheme() {
    let base: [(&str, &[&str]); 2] = [
        ("$XDSDocumentEntryPatientId", &[PID]),
        ("$XDSDocumentEntryStatus", &[APPROVED]),
    ];
    let with = |extra: (&'static str, &'static [&'static str])| {
        let mut params = base.to_vec();
        params.push(extra);
        params
    };
    fails(
        vocab::SQ_FIND_DOCUMENTS,
        &with((
            "$XDSDocumentEntryClassCode",
            &["('DEMO-Lab^^1.3.6.1.4.1.21367.100.1', 'a^^')"],
        )),
        XdsErrorCode::RegistryError,
        &["$XDSDocumentEntryClassCode", "a^^", "coding scheme"],
    );
    fails(
        vocab::SQ_FIND_DOCUMENTS,
        &with(("$XDSDocumentEntryPracticeSettingCode", &["('Dialysis')"])),
        XdsErrorCode::RegistryError,
        &["$XDSDocumentEntryPracticeSettingCode", "Dialysis"],
    );
    fails(
        vocab::SQ_FIND_DOCUMENTS,
        &with(("$XDSDocumentEntryClassCode", &["('value^^')"])),
        XdsErrorCode::RegistryError,
        &["value^^"],
    );
    // The success twin: sq-req.xml.
    parse(
        vocab::SQ_FIND_DOCUMENTS,
        &with(("$XDSDocumentEntryClassCode", &["('value^^scheme')"])),
    );
    // AND groups are checked too.
    fails(
        vocab::SQ_FIND_DOCUMENTS,
        &with(("$XDSDocumentEntryEventCodeList", &["('x^y^z')"])),
        XdsErrorCode::RegistryError,
        &["$XDSDocumentEntryEventCodeList"],
    );
}

#[test]
fn timestamps_are_validated() {
    fails(
        vocab::SQ_FIND_DOCUMENTS,
        &[
            ("$XDSDocumentEntryPatientId", &[PID]),
            ("$XDSDocumentEntryStatus", &[APPROVED]),
            ("$XDSDocumentEntryCreationTimeFrom", &["20041332"]),
        ],
        XdsErrorCode::RegistryError,
        &["$XDSDocumentEntryCreationTimeFrom", "20041332", "month"],
    );
    fails(
        vocab::SQ_FIND_DOCUMENTS,
        &[
            ("$XDSDocumentEntryPatientId", &[PID]),
            ("$XDSDocumentEntryStatus", &[APPROVED]),
            ("$XDSDocumentEntryCreationTimeTo", &["(2004, 2005)"]),
        ],
        XdsErrorCode::StoredQueryParamNumber,
        &["$XDSDocumentEntryCreationTimeTo"],
    );
}

#[test]
fn find_documents_by_reference_id() {
    let q = parse(
        vocab::SQ_FIND_DOCUMENTS_BY_REFERENCE_ID,
        &[
            ("$XDSDocumentEntryPatientId", &[PID]),
            ("$XDSDocumentEntryStatus", &[APPROVED]),
            (
                "$XDSDocumentEntryReferenceIdList",
                &["('20061223^^^&1.2.5643.2&ISO^urn:ihe:iti:xds:2013:uniqueId')"],
            ),
        ],
    );
    let StoredQuery::FindDocumentsByReferenceId(p) = q else {
        panic!()
    };
    assert_eq!(
        p.reference_ids,
        ["20061223^^^&1.2.5643.2&ISO^urn:ihe:iti:xds:2013:uniqueId"]
    );
    assert_eq!(p.find.statuses, [AvailabilityStatus::Approved]);
    fails(
        vocab::SQ_FIND_DOCUMENTS_BY_REFERENCE_ID,
        &[
            ("$XDSDocumentEntryPatientId", &[PID]),
            ("$XDSDocumentEntryStatus", &[APPROVED]),
        ],
        XdsErrorCode::StoredQueryMissingParam,
        &["$XDSDocumentEntryReferenceIdList"],
    );
}

#[test]
fn find_submission_sets() {
    let q = parse(
        vocab::SQ_FIND_SUBMISSION_SETS,
        &[
            ("$XDSSubmissionSetPatientId", &[PID]),
            ("$XDSSubmissionSetStatus", &[APPROVED]),
            ("$XDSSubmissionSetSourceId", &["('1.2.669847365.352.1')"]),
            ("$XDSSubmissionSetSubmissionTimeFrom", &["200412"]),
            ("$XDSSubmissionSetSubmissionTimeTo", &["200501"]),
            ("$XDSSubmissionSetAuthorPerson", &["'%Dopplemeyer%'"]),
            (
                "$XDSSubmissionSetContentType",
                &[
                    "('66280005^^2.16.840.1.113883.6.96')",
                    "('225728007^^2.16.840.1.113883.6.96')",
                ],
            ),
        ],
    );
    let StoredQuery::FindSubmissionSets(p) = q else {
        panic!()
    };
    assert_eq!(p.source_ids, ["1.2.669847365.352.1"]);
    assert_eq!(p.submission_time.from.as_ref().unwrap().as_str(), "200412");
    assert_eq!(p.author_person.as_deref(), Some("%Dopplemeyer%"));
    assert_eq!(p.content_type_codes.len(), 2);
    // The SubmissionSet author is single-valued.
    fails(
        vocab::SQ_FIND_SUBMISSION_SETS,
        &[
            ("$XDSSubmissionSetPatientId", &[PID]),
            ("$XDSSubmissionSetStatus", &[APPROVED]),
            ("$XDSSubmissionSetAuthorPerson", &["('%a%', '%b%')"]),
        ],
        XdsErrorCode::StoredQueryParamNumber,
        &["$XDSSubmissionSetAuthorPerson"],
    );
}

#[test]
fn find_folders() {
    let q = parse(
        vocab::SQ_FIND_FOLDERS,
        &[
            ("$XDSFolderPatientId", &[PID]),
            ("$XDSFolderStatus", &[APPROVED]),
            ("$XDSFolderLastUpdateTimeFrom", &["2001"]),
            ("$XDSFolderLastUpdateTimeTo", &["2003"]),
            (
                "$XDSFolderCodeList",
                &["('Referrals^^Connect-a-thon folderCodeList')"],
            ),
            (
                "$XDSFolderCodeList",
                &["('Cardiology^^1.2.3', 'Oncology^^1.2.3')"],
            ),
        ],
    );
    let StoredQuery::FindFolders(p) = q else {
        panic!()
    };
    assert_eq!(p.last_update_time.to.as_ref().unwrap().as_str(), "2003");
    assert_eq!(p.codes.len(), 2);
    assert_eq!(
        p.codes[0],
        [code("Referrals^^Connect-a-thon folderCodeList")]
    );
    assert_eq!(p.codes[1].len(), 2);
}

/// NIST 15803 `all`.
#[test]
fn get_all() {
    let both = [
        "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')",
        "('urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated')",
    ];
    let q = parse(
        vocab::SQ_GET_ALL,
        &[
            ("$patientId", &[PID]),
            ("$XDSDocumentEntryStatus", &both),
            ("$XDSSubmissionSetStatus", &both),
            ("$XDSFolderStatus", &[APPROVED]),
            (
                "$XDSDocumentEntryFormatCode",
                &["('urn:ihe:rad:TEXT^^1.3.6.1.4.1.19376.1.2.3')"],
            ),
            (
                "$XDSDocumentEntryConfidentialityCode",
                &["('R^^2.16.840.1.113883.5.25')"],
            ),
            (
                "$XDSDocumentEntryType",
                &[
                    "('urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1')",
                    "('urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248')",
                ],
            ),
        ],
    );
    let StoredQuery::GetAll(p) = q else { panic!() };
    assert_eq!(p.document_statuses.len(), 2);
    assert_eq!(p.submission_set_statuses.len(), 2);
    assert_eq!(p.folder_statuses, [AvailabilityStatus::Approved]);
    assert_eq!(p.format_codes.len(), 1);
    assert_eq!(p.confidentiality_codes.len(), 1);
    assert_eq!(
        p.document_entry_types,
        [DocumentEntryType::Stable, DocumentEntryType::OnDemand]
    );
    fails(
        vocab::SQ_GET_ALL,
        &[
            ("$patientId", &[PID]),
            ("$XDSDocumentEntryStatus", &both),
            ("$XDSSubmissionSetStatus", &both),
        ],
        XdsErrorCode::StoredQueryMissingParam,
        &["$XDSFolderStatus"],
    );
}
