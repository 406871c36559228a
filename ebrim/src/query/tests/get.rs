//! The id-based Get queries and query ids.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::XdsErrorCode;
use crate::datatypes::DocumentEntryType;
use crate::query::{ByIds, EntryOrUnique};
use crate::query::{StoredQuery, parse_stored_query};

#[test]
fn get_documents_by_one_kind_of_id() {
    // Several rim:Values (NIST 11901 uuid_multiple_slot_values), UUIDs in any case.
    let q = parse(
        vocab::SQ_GET_DOCUMENTS,
        &[(
            "$XDSDocumentEntryEntryUUID",
            &[
                &format!("('{UUID1}')"),
                &format!("('{}')", UUID2.to_uppercase()),
            ],
        )],
    );
    assert_eq!(
        q,
        StoredQuery::GetDocuments(ByIds::EntryUuids(vec![uuid(UUID1), uuid(UUID2)]))
    );
    let q = parse(
        vocab::SQ_GET_DOCUMENTS,
        &[(
            "$XDSDocumentEntryUniqueId",
            &["('1.2.3.4', '1.2.392.1^DOC-1')"],
        )],
    );
    assert_eq!(
        q,
        StoredQuery::GetDocuments(ByIds::UniqueIds(vec![
            "1.2.3.4".to_owned(),
            "1.2.392.1^DOC-1".to_owned()
        ]))
    );
    let q = parse(
        vocab::SQ_GET_DOCUMENTS,
        &[("$XDSDocumentEntryLogicalID", &[&format!("'{UUID1}'")])],
    );
    assert_eq!(
        q,
        StoredQuery::GetDocuments(ByIds::LogicalIds(vec![uuid(UUID1)]))
    );
    // Either-or: both, or neither.
    fails(
        vocab::SQ_GET_DOCUMENTS,
        &[
            ("$XDSDocumentEntryEntryUUID", &[&format!("('{UUID1}')")]),
            ("$XDSDocumentEntryUniqueId", &["('1.2.3.4')"]),
        ],
        XdsErrorCode::StoredQueryParamNumber,
        &["$XDSDocumentEntryEntryUUID and $XDSDocumentEntryUniqueId"],
    );
    fails(
        vocab::SQ_GET_DOCUMENTS,
        &[("$homeCommunityId", &["'urn:oid:1.1.1'"])],
        XdsErrorCode::StoredQueryMissingParam,
        &["$XDSDocumentEntryEntryUUID", "$XDSDocumentEntryUniqueId"],
    );
    fails(
        vocab::SQ_GET_DOCUMENTS,
        &[("$XDSDocumentEntryEntryUUID", &["('Document01')"])],
        XdsErrorCode::RegistryError,
        &["Document01", "urn:uuid:"],
    );
    // GetDocumentsAndAssociations has no logical-id form.
    let q = parse(
        vocab::SQ_GET_DOCUMENTS_AND_ASSOCIATIONS,
        &[("$XDSDocumentEntryUniqueId", &["'1.2.3.4'"])],
    );
    assert_eq!(
        q,
        StoredQuery::GetDocumentsAndAssociations(ByIds::UniqueIds(vec!["1.2.3.4".to_owned()]))
    );
    fails(
        vocab::SQ_GET_DOCUMENTS_AND_ASSOCIATIONS,
        &[("$XDSDocumentEntryLogicalID", &[&format!("'{UUID1}'")])],
        XdsErrorCode::StoredQueryMissingParam,
        &[],
    );
}

#[test]
fn a_list_split_inside_a_value_is_malformed() {
    let err = parse_stored_query(&request(
        vocab::SQ_GET_DOCUMENTS,
        &[(
            "$XDSDocumentEntryEntryUUID",
            &[&format!("('{UUID1}',"), &format!("'{UUID2}')")],
        )],
    ))
    .unwrap_err();
    assert_eq!(err.code, XdsErrorCode::RegistryError);
    assert_eq!(err.location.as_deref(), Some("$XDSDocumentEntryEntryUUID"));
}

#[test]
fn get_folders() {
    let q = parse(
        vocab::SQ_GET_FOLDERS,
        &[("$XDSFolderUniqueId", &["('1.2.3.5','1.2.3.6')"])],
    );
    assert_eq!(
        q,
        StoredQuery::GetFolders(ByIds::UniqueIds(vec![
            "1.2.3.5".to_owned(),
            "1.2.3.6".to_owned()
        ]))
    );
    let q = parse(
        vocab::SQ_GET_FOLDERS,
        &[("$XDSFolderEntryUUID", &[&format!("'{UUID2}'")])],
    );
    assert_eq!(
        q,
        StoredQuery::GetFolders(ByIds::EntryUuids(vec![uuid(UUID2)]))
    );
}

#[test]
fn get_associations_and_submission_sets_need_uuids() {
    let uuids = format!("('{UUID1}', '{UUID2}')");
    let q = parse(vocab::SQ_GET_ASSOCIATIONS, &[("$uuid", &[&uuids])]);
    assert_eq!(
        q,
        StoredQuery::GetAssociations {
            uuids: vec![uuid(UUID1), uuid(UUID2)]
        }
    );
    let q = parse(vocab::SQ_GET_SUBMISSION_SETS, &[("$uuid", &[&uuids])]);
    assert_eq!(
        q,
        StoredQuery::GetSubmissionSets {
            uuids: vec![uuid(UUID1), uuid(UUID2)]
        }
    );
    for id in [vocab::SQ_GET_ASSOCIATIONS, vocab::SQ_GET_SUBMISSION_SETS] {
        fails(id, &[], XdsErrorCode::StoredQueryMissingParam, &["$uuid"]);
        fails(
            id,
            &[("$uuid", &["()"])],
            XdsErrorCode::StoredQueryMissingParam,
            &["$uuid"],
        );
    }
}

#[test]
fn get_submission_set_and_contents() {
    let q = parse(
        vocab::SQ_GET_SUBMISSION_SET_AND_CONTENTS,
        &[
            (
                "$XDSSubmissionSetUniqueId",
                &["'1.3.6.1.4.1.21367.2005.3.9999.33'"],
            ),
            (
                "$XDSDocumentEntryFormatCode",
                &["('urn:ihe:rad:TEXT^^1.3.6.1.4.1.19376.1.2.3')"],
            ),
            (
                "$XDSDocumentEntryConfidentialityCode",
                &["('R^^2.16.840.1.113883.5.25', 'N^^2.16.840.1.113883.5.25')"],
            ),
        ],
    );
    let StoredQuery::GetSubmissionSetAndContents {
        id,
        format_codes,
        confidentiality_codes,
        document_entry_types,
    } = q
    else {
        panic!()
    };
    assert_eq!(
        id,
        EntryOrUnique::UniqueId("1.3.6.1.4.1.21367.2005.3.9999.33".to_owned())
    );
    assert_eq!(format_codes.len(), 1);
    assert_eq!(
        confidentiality_codes,
        [vec![
            code("R^^2.16.840.1.113883.5.25"),
            code("N^^2.16.840.1.113883.5.25")
        ]]
    );
    assert_eq!(document_entry_types, [DocumentEntryType::Stable]);
    // The identifier is single-valued.
    fails(
        vocab::SQ_GET_SUBMISSION_SET_AND_CONTENTS,
        &[(
            "$XDSSubmissionSetEntryUUID",
            &[&format!("('{UUID1}', '{UUID2}')")],
        )],
        XdsErrorCode::StoredQueryParamNumber,
        &["$XDSSubmissionSetEntryUUID"],
    );
    fails(
        vocab::SQ_GET_SUBMISSION_SET_AND_CONTENTS,
        &[
            ("$XDSSubmissionSetEntryUUID", &[&format!("'{UUID1}'")]),
            ("$XDSSubmissionSetUniqueId", &["'1.2.3'"]),
        ],
        XdsErrorCode::StoredQueryParamNumber,
        &["mutually exclusive"],
    );
}

#[test]
fn get_folder_and_contents() {
    let q = parse(
        vocab::SQ_GET_FOLDER_AND_CONTENTS,
        &[
            ("$XDSFolderEntryUUID", &[&format!("'{UUID1}'")]),
            (
                "$XDSDocumentEntryConfidentialityCode",
                &["('R^^2.16.840.1.113883.5.25')"],
            ),
            (
                "$XDSDocumentEntryConfidentialityCode",
                &["('N^^2.16.840.1.113883.5.25')"],
            ),
        ],
    );
    let StoredQuery::GetFolderAndContents {
        id,
        confidentiality_codes,
        ..
    } = q
    else {
        panic!()
    };
    assert_eq!(id, EntryOrUnique::EntryUuid(uuid(UUID1)));
    assert_eq!(
        confidentiality_codes.len(),
        2,
        "both_conf_code: two AND groups"
    );
}

#[test]
fn get_folders_for_document() {
    let q = parse(
        vocab::SQ_GET_FOLDERS_FOR_DOCUMENT,
        &[("$XDSDocumentEntryUniqueId", &["('1.2.3.4')"])],
    );
    assert_eq!(
        q,
        StoredQuery::GetFoldersForDocument {
            id: EntryOrUnique::UniqueId("1.2.3.4".to_owned())
        }
    );
    fails(
        vocab::SQ_GET_FOLDERS_FOR_DOCUMENT,
        &[("$XDSDocumentEntryUniqueId", &["('1.2.3.4', '1.2.3.5')"])],
        XdsErrorCode::StoredQueryParamNumber,
        &["2 values"],
    );
}

#[test]
fn get_related_documents() {
    let q = parse(
        vocab::SQ_GET_RELATED_DOCUMENTS,
        &[
            ("$XDSDocumentEntryEntryUUID", &[&format!("'{UUID1}'")]),
            (
                "$AssociationTypes",
                &[
                    "('urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember', 'urn:ihe:iti:2007:AssociationType:RPLC')",
                ],
            ),
        ],
    );
    let StoredQuery::GetRelatedDocuments {
        id,
        association_types,
        document_entry_types,
    } = q
    else {
        panic!()
    };
    assert_eq!(id, EntryOrUnique::EntryUuid(uuid(UUID1)));
    assert_eq!(
        association_types,
        [vocab::ASSOC_HAS_MEMBER, vocab::ASSOC_RPLC]
    );
    assert_eq!(document_entry_types, [DocumentEntryType::Stable]);
    fails(
        vocab::SQ_GET_RELATED_DOCUMENTS,
        &[("$XDSDocumentEntryEntryUUID", &[&format!("'{UUID1}'")])],
        XdsErrorCode::StoredQueryMissingParam,
        &["$AssociationTypes"],
    );
}

#[test]
fn unknown_query_ids_are_rejected() {
    // FindDocumentsForMultiplePatients is ITI-51, not ITI-18.
    for id in [
        "urn:uuid:3d1bdb10-39a2-11de-89c2-2f44d94eaa9f",
        "FindDocuments",
        "",
    ] {
        let err = parse_stored_query(&request(id, &[])).unwrap_err();
        assert_eq!(err.code, XdsErrorCode::UnknownStoredQuery);
        assert!(err.context.contains(id));
    }
}

#[test]
fn every_query_has_its_id_and_name() {
    assert_eq!(q_name(vocab::SQ_FIND_DOCUMENTS), "FindDocuments");
    let q = parse(
        vocab::SQ_GET_ASSOCIATIONS,
        &[("$uuid", &[&format!("'{UUID1}'")])],
    );
    assert_eq!(
        (q.name(), q.query_id(), q.patient_id()),
        ("GetAssociations", vocab::SQ_GET_ASSOCIATIONS, None)
    );
}
