//! Attribute and cross-object rules, one test per error they produce.

use super::builders::*;
use crate::XdsErrorCode::{
    PatientIdDoesNotMatch, RegistryDuplicateUniqueIdInMessage, RegistryMetadataError,
    RepositoryDuplicateUniqueIdInMessage, RepositoryMetadataError,
};
use crate::model::RegistryObject;
use crate::vocab;
use crate::xds::ValidationOptions;

/// NIST 11998a: each required DocumentEntry attribute missing on its own
/// fails the submission with XDSRegistryMetadataError naming it.
#[test]
fn each_missing_document_entry_attribute_is_a_metadata_error() {
    let slots = [
        "creationTime",
        "languageCode",
        "sourcePatientId",
        "hash",
        "size",
        "repositoryUniqueId",
    ];
    for name in slots {
        let mut request = valid_request();
        remove_slot(core_mut(&mut request, "Document01"), name);
        let errors = errors(&request);
        assert_only(&errors, RegistryMetadataError);
        assert_error(
            &errors,
            RegistryMetadataError,
            &["DocumentEntry 'Document01'", &format!("'{name}'")],
        );
        assert_eq!(errors[0].location.as_deref(), Some("Document01"));
    }
    let schemes = [
        (vocab::DE_CLASS_CODE, "classCode"),
        (vocab::DE_CONFIDENTIALITY_CODE, "confidentialityCode"),
        (vocab::DE_FORMAT_CODE, "formatCode"),
        (
            vocab::DE_HEALTHCARE_FACILITY_TYPE_CODE,
            "healthcareFacilityTypeCode",
        ),
        (vocab::DE_PRACTICE_SETTING_CODE, "practiceSettingCode"),
        (vocab::DE_TYPE_CODE, "typeCode"),
        (vocab::DE_PATIENT_ID, "patientId"),
        (vocab::DE_UNIQUE_ID, "uniqueId"),
    ];
    for (scheme, attribute) in schemes {
        let mut request = valid_request();
        remove_scheme(core_mut(&mut request, "Document01"), scheme);
        let errors = errors(&request);
        assert_only(&errors, RegistryMetadataError);
        assert_error(
            &errors,
            RegistryMetadataError,
            &["'Document01'", &format!("{attribute} is missing")],
        );
    }
}

#[test]
fn mime_type_and_object_type_are_required() {
    let mut request = valid_request();
    let RegistryObject::ExtrinsicObject(de) = &mut request.objects[0] else {
        unreachable!()
    };
    de.mime_type = None;
    de.core.object_type = Some("urn:uuid:00000000-0000-0000-0000-000000000000".to_owned());
    let errors = errors(&request);
    assert_error(
        &errors,
        RegistryMetadataError,
        &["'Document01'", "mimeType is missing"],
    );
    assert_error(
        &errors,
        RegistryMetadataError,
        &["objectType 'urn:uuid:00000000"],
    );
}

#[test]
fn malformed_values_are_metadata_errors_that_quote_the_value() {
    let cases: [(&str, &str, &[&str]); 7] = [
        ("creationTime", "2005-12-24", &["2005-12-24"]),
        ("serviceStartTime", "20041332", &["20041332", "month"]),
        ("hash", "xyz", &["hash 'xyz'"]),
        ("size", "-1", &["size '-1'"]),
        ("repositoryUniqueId", "1.02.3", &["1.02.3", "leading zero"]),
        ("languageCode", "en_US", &["en_US"]),
        ("sourcePatientId", "ST-1000", &["ST-1000"]),
    ];
    for (name, value, needles) in cases {
        let mut request = valid_request();
        let core = core_mut(&mut request, "Document02");
        core.set_slot(name, vec![value.to_owned()]);
        let errors = errors(&request);
        assert_only(&errors, RegistryMetadataError);
        let mut all = vec!["'Document02'"];
        all.extend_from_slice(needles);
        assert_error(&errors, RegistryMetadataError, &all);
    }
}

#[test]
fn bad_patient_and_unique_ids_are_rejected() {
    let mut request = valid_request();
    set_external_id(
        core_mut(&mut request, "Document01"),
        vocab::DE_PATIENT_ID,
        "SELF-5^^^&1.3.6&L",
    );
    set_external_id(
        core_mut(&mut request, "Document02"),
        vocab::DE_UNIQUE_ID,
        "not-an-oid",
    );
    set_external_id(
        core_mut(&mut request, "SubmissionSet01"),
        vocab::SS_UNIQUE_ID,
        "1.3.6^ext",
    );
    set_external_id(
        core_mut(&mut request, "Folder01"),
        vocab::FD_UNIQUE_ID,
        "1.2..3",
    );
    let errors = errors(&request);
    assert_only(&errors, RegistryMetadataError);
    assert_error(
        &errors,
        RegistryMetadataError,
        &["'Document01'", "patientId", "SELF-5^^^&1.3.6&L", "ISO"],
    );
    assert_error(
        &errors,
        RegistryMetadataError,
        &["'Document02'", "uniqueId", "not-an-oid"],
    );
    assert_error(
        &errors,
        RegistryMetadataError,
        &["SubmissionSet 'SubmissionSet01'", "1.3.6^ext"],
    );
    assert_error(
        &errors,
        RegistryMetadataError,
        &["Folder 'Folder01'", "1.2..3"],
    );
}

#[test]
fn single_valued_attributes_given_twice_are_rejected() {
    let mut request = valid_request();
    let core = core_mut(&mut request, "Document01");
    core.set_slot(
        "creationTime",
        vec!["20051224".to_owned(), "20051225".to_owned()],
    );
    core.slots.push(slot("languageCode", &["en-US"]));
    core.classifications.push(coded(
        "extra-class",
        "Document01",
        vocab::DE_CLASS_CODE,
        "X",
        "1.2.3",
    ));
    let dup_uid = core.external_identifiers[1].clone();
    core.external_identifiers
        .push(crate::model::ExternalIdentifier {
            id: "ei-dup".to_owned(),
            ..dup_uid
        });
    let errors = errors(&request);
    assert_error(
        &errors,
        RegistryMetadataError,
        &["'creationTime' has 2 values"],
    );
    assert_error(
        &errors,
        RegistryMetadataError,
        &["'languageCode' appears 2 times"],
    );
    assert_error(
        &errors,
        RegistryMetadataError,
        &["classCode is given 2 times"],
    );
    assert_error(
        &errors,
        RegistryMetadataError,
        &["uniqueId is given 2 times"],
    );
}

#[test]
fn coded_attributes_need_a_code_and_one_coding_scheme() {
    let mut request = valid_request();
    let core = core_mut(&mut request, "Document01");
    let class = core
        .classifications
        .iter_mut()
        .find(|c| c.classification_scheme.as_deref() == Some(vocab::DE_CLASS_CODE))
        .unwrap();
    class.slots.clear();
    let event = core
        .classifications
        .iter_mut()
        .find(|c| c.classification_scheme.as_deref() == Some(vocab::DE_EVENT_CODE))
        .unwrap();
    event.node_representation = Some(String::new());
    let errors = errors(&request);
    assert_error(
        &errors,
        RegistryMetadataError,
        &["classCode 'REPORTS'", "codingScheme"],
    );
    assert_error(
        &errors,
        RegistryMetadataError,
        &[
            "eventCodeList Classification 'Document01-cl7'",
            "nodeRepresentation",
        ],
    );
}

#[test]
fn an_author_must_name_someone() {
    let mut request = valid_request();
    let core = core_mut(&mut request, "Document01");
    core.classifications[0]
        .slots
        .retain(|s| s.name == "authorRole");
    assert_error(
        &errors(&request),
        RegistryMetadataError,
        &["author Classification 'Document01-cla1'", "none of"],
    );
}

#[test]
fn service_start_after_stop_is_rejected() {
    let mut request = valid_request();
    let core = core_mut(&mut request, "Document01");
    core.set_slot("serviceStartTime", vec!["20050101".to_owned()]);
    core.set_slot("serviceStopTime", vec!["2004".to_owned()]);
    assert_error(
        &errors(&request),
        RegistryMetadataError,
        &[
            "'Document01'",
            "serviceStartTime 20050101 is after serviceStopTime 2004",
        ],
    );
    // A stop time of lower precision covers its whole period.
    let mut request = valid_request();
    let core = core_mut(&mut request, "Document01");
    core.set_slot("serviceStartTime", vec!["20040315".to_owned()]);
    core.set_slot("serviceStopTime", vec!["2004".to_owned()]);
    valid(&request);
}

#[test]
fn submission_set_attributes_are_required() {
    let mut request = valid_request();
    let core = core_mut(&mut request, "SubmissionSet01");
    remove_slot(core, "submissionTime");
    remove_scheme(core, vocab::SS_SOURCE_ID);
    remove_scheme(core, vocab::SS_CONTENT_TYPE_CODE);
    remove_scheme(core, vocab::SS_PATIENT_ID);
    let errors = errors(&request);
    for needle in [
        "'submissionTime'",
        "sourceId is missing",
        "contentTypeCode is missing",
        "patientId is missing",
    ] {
        assert_error(
            &errors,
            RegistryMetadataError,
            &["SubmissionSet 'SubmissionSet01'", needle],
        );
    }
}

#[test]
fn folder_title_and_code_list_are_required() {
    let mut request = valid_request();
    let core = core_mut(&mut request, "Folder01");
    core.name = None;
    remove_scheme(core, vocab::FD_CODE_LIST);
    let errors = errors(&request);
    assert_error(
        &errors,
        RegistryMetadataError,
        &["Folder 'Folder01'", "title"],
    );
    assert_error(
        &errors,
        RegistryMetadataError,
        &["Folder 'Folder01'", "codeList is missing"],
    );
}

#[test]
fn exactly_one_submission_set() {
    let mut none = valid_request();
    remove_object(&mut none, "ss-node");
    let errors_none = errors(&none);
    assert_error(
        &errors_none,
        RegistryMetadataError,
        &["RegistryPackage 'SubmissionSet01' is neither"],
    );
    assert_error(
        &errors_none,
        RegistryMetadataError,
        &["exactly one SubmissionSet", "has 0"],
    );

    let mut two = valid_request();
    push(
        &mut two,
        RegistryObject::RegistryPackage(submission_set("SubmissionSet02", "1.2.3.4.99")),
    );
    push(
        &mut two,
        RegistryObject::Classification(node("ss2-node", "SubmissionSet02", vocab::SS_NODE)),
    );
    assert_error(
        &errors(&two),
        RegistryMetadataError,
        &["exactly one SubmissionSet", "has 2"],
    );
}

#[test]
fn a_package_cannot_be_both_submission_set_and_folder() {
    let mut request = valid_request();
    push(
        &mut request,
        RegistryObject::Classification(node("fd-node-2", "SubmissionSet01", vocab::FD_NODE)),
    );
    assert_error(
        &errors(&request),
        RegistryMetadataError,
        &["'SubmissionSet01' is classified both"],
    );
}

/// NIST 11997: a DocumentEntry of another patient than its SubmissionSet.
#[test]
fn patient_ids_must_match_the_submission_set() {
    let mut request = valid_request();
    set_external_id(
        core_mut(&mut request, "Document02"),
        vocab::DE_PATIENT_ID,
        OTHER_PID,
    );
    set_external_id(
        core_mut(&mut request, "Folder01"),
        vocab::FD_PATIENT_ID,
        OTHER_PID,
    );
    let errors = errors(&request);
    assert_only(&errors, PatientIdDoesNotMatch);
    assert_eq!(errors.len(), 2);
    assert_error(
        &errors,
        PatientIdDoesNotMatch,
        &["DocumentEntry 'Document02'", OTHER_PID, PID],
    );
    assert_error(
        &errors,
        PatientIdDoesNotMatch,
        &["Folder 'Folder01'", OTHER_PID],
    );
    assert_eq!(errors[0].location.as_deref(), Some("Document02"));
}

#[test]
fn unique_ids_must_be_distinct_within_the_submission() {
    let mut request = valid_request();
    set_external_id(
        core_mut(&mut request, "Document02"),
        vocab::DE_UNIQUE_ID,
        DE1_UID,
    );
    set_external_id(
        core_mut(&mut request, "Folder01"),
        vocab::FD_UNIQUE_ID,
        SS_UID,
    );
    let errors = errors(&request);
    assert_only(&errors, RegistryDuplicateUniqueIdInMessage);
    assert_error(
        &errors,
        RegistryDuplicateUniqueIdInMessage,
        &[
            DE1_UID,
            "DocumentEntry 'Document02'",
            "DocumentEntry 'Document01'",
        ],
    );
    assert_error(
        &errors,
        RegistryDuplicateUniqueIdInMessage,
        &[SS_UID, "Folder 'Folder01'"],
    );
    // The repository reports the same problem with its own codes.
    let repository = errors_with(&request, &ValidationOptions::provide_and_register());
    assert_only(&repository, RepositoryDuplicateUniqueIdInMessage);
}

#[test]
fn repository_metadata_errors_use_the_repository_code() {
    let mut request = valid_request();
    remove_slot(core_mut(&mut request, "Document01"), "languageCode");
    let errors = errors_with(&request, &ValidationOptions::provide_and_register());
    assert_only(&errors, RepositoryMetadataError);
}

#[test]
fn documents_and_folders_must_be_members_of_the_submission_set() {
    let mut request = valid_request();
    remove_object(&mut request, "as02");
    remove_object(&mut request, "as03");
    let errors = errors(&request);
    assert_error(
        &errors,
        RegistryMetadataError,
        &["DocumentEntry 'Document02' is not a member of SubmissionSet 'SubmissionSet01'"],
    );
    assert_error(
        &errors,
        RegistryMetadataError,
        &["Folder 'Folder01' is not a member"],
    );
}

#[test]
fn all_problems_are_reported_together() {
    let mut request = valid_request();
    remove_slot(core_mut(&mut request, "Document01"), "creationTime");
    set_external_id(
        core_mut(&mut request, "Document02"),
        vocab::DE_PATIENT_ID,
        OTHER_PID,
    );
    remove_scheme(core_mut(&mut request, "Folder01"), vocab::FD_CODE_LIST);
    association_mut(&mut request, "as01").core.slots.clear();
    let errors = errors(&request);
    assert!(errors.len() >= 4, "{errors:#?}");
    assert_error(&errors, RegistryMetadataError, &["'creationTime'"]);
    assert_error(&errors, PatientIdDoesNotMatch, &["Document02"]);
    assert_error(&errors, RegistryMetadataError, &["codeList"]);
    assert_error(&errors, RegistryMetadataError, &["SubmissionSetStatus"]);
}
