//! Association rules.

use super::builders::*;
use crate::XdsErrorCode::{RegistryMetadataError, UnresolvedReferenceException};
use crate::model::RegistryObject;
use crate::vocab;
use crate::xds::{AssociationKind, ValidationOptions, validate_submission};

fn with(association: crate::model::Association) -> crate::model::SubmitObjectsRequest {
    let mut request = valid_request();
    push(&mut request, RegistryObject::Association(association));
    request
}

#[test]
fn has_member_to_a_submitted_document_needs_submission_set_status_original() {
    let mut missing = valid_request();
    association_mut(&mut missing, "as01").core.slots.clear();
    let found = errors(&missing);
    assert_error(
        &found,
        RegistryMetadataError,
        &["Association 'as01'", "needs the SubmissionSetStatus slot"],
    );
    assert_eq!(found[0].location.as_deref(), Some("as01"));

    let mut reference = valid_request();
    association_mut(&mut reference, "as01")
        .core
        .set_slot("SubmissionSetStatus", vec!["Reference".to_owned()]);
    assert_error(
        &errors(&reference),
        RegistryMetadataError,
        &["'as01'", "Reference", "'Document01'", "use Original"],
    );

    let mut unknown = valid_request();
    association_mut(&mut unknown, "as01")
        .core
        .set_slot("SubmissionSetStatus", vec!["Copy".to_owned()]);
    assert_error(
        &errors(&unknown),
        RegistryMetadataError,
        &["SubmissionSetStatus 'Copy'"],
    );
}

#[test]
fn original_status_for_a_registered_document_is_rejected() {
    let request = with(has_member(
        "as06",
        "SubmissionSet01",
        REGISTERED,
        Some("Original"),
    ));
    assert_error(
        &errors(&request),
        RegistryMetadataError,
        &["'as06'", "Original", "use Reference"],
    );
}

/// NIST 12370: the documentation classification is for lifecycle
/// associations, not HasMember.
#[test]
fn documentation_classification_is_forbidden_on_has_member() {
    let mut request = valid_request();
    association_mut(&mut request, "as01")
        .core
        .classifications
        .push(coded(
            "doc",
            "as01",
            vocab::ASSOCIATION_DOCUMENTATION,
            "Additional_Information",
            "1.3.6.1.4.1.21367.2017.3",
        ));
    assert_error(
        &errors(&request),
        RegistryMetadataError,
        &["'as01'", "documentation classification", "not on HasMember"],
    );

    // As a top-level Classification it is attached and caught the same way.
    let mut request = valid_request();
    push(
        &mut request,
        RegistryObject::Classification(coded(
            "doc",
            "as02",
            vocab::ASSOCIATION_DOCUMENTATION,
            "x",
            "y",
        )),
    );
    assert_error(
        &errors(&request),
        RegistryMetadataError,
        &["'as02'", "not on HasMember"],
    );
}

#[test]
fn has_member_shapes() {
    let bad_source = with(has_member("as06", "Document01", "Document02", None));
    assert_error(
        &errors(&bad_source),
        RegistryMetadataError,
        &["'as06'", "source of a HasMember"],
    );

    let folder_to_folder = with(has_member("as06", "Folder01", "SubmissionSet01", None));
    assert_error(
        &errors(&folder_to_folder),
        RegistryMetadataError,
        &["'as06'", "must point to a DocumentEntry"],
    );

    let to_itself = with(has_member("as06", "Folder01", "Folder01", None));
    assert_error(
        &errors(&to_itself),
        RegistryMetadataError,
        &["'as06'", "the same object"],
    );

    // Adding a registered document to a registered folder (NIST 12326).
    let mut existing = valid_request();
    push(
        &mut existing,
        RegistryObject::Association(has_member(
            "fd-de",
            "urn:uuid:d3c9e0a1-5b6f-4c2d-9e8a-7f1b2c3d4e5f",
            REGISTERED,
            None,
        )),
    );
    push(
        &mut existing,
        RegistryObject::Association(has_member("ss-hm", "SubmissionSet01", "fd-de", None)),
    );
    let v = valid(&existing);
    assert_eq!(v.references.len(), 2);
}

#[test]
fn unknown_association_types_are_rejected() {
    for kind in [
        "HasMember",
        "urn:ihe:iti:2007:AssociationType:APND_TXFM",
        "",
    ] {
        let request = with(association("odd", kind, "Document02", REGISTERED));
        let errors = errors(&request);
        assert_only(&errors, RegistryMetadataError);
        assert_error(
            &errors,
            RegistryMetadataError,
            &["'odd'", &format!("associationType '{kind}'")],
        );
    }
}

/// NIST 21000: Metadata Update constructs in ITI-42.
#[test]
fn metadata_update_associations_are_rejected_outside_iti_57() {
    for kind in [
        vocab::ASSOC_UPDATE_AVAILABILITY_STATUS,
        vocab::ASSOC_SUBMIT_ASSOCIATION,
    ] {
        let mut a = association("mu", kind, "SubmissionSet01", REGISTERED);
        a.core
            .slots
            .push(slot("OriginalStatus", &[vocab::STATUS_APPROVED]));
        a.core
            .slots
            .push(slot("NewStatus", &[vocab::STATUS_DEPRECATED]));
        let request = with(a);
        assert_error(
            &errors(&request),
            RegistryMetadataError,
            &["'mu'", "Metadata Update (ITI-57)"],
        );
        let v = validate_submission(&request, &ValidationOptions::update()).unwrap();
        assert!(v.associations.iter().any(|x| x.kind.as_urn() == kind));
    }
}

#[test]
fn relationship_sources_must_be_new_document_entries() {
    let registered_source = with(association(
        "rplc",
        vocab::ASSOC_RPLC,
        REGISTERED,
        "urn:uuid:1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
    ));
    let found = errors(&registered_source);
    assert_error(
        &found,
        UnresolvedReferenceException,
        &["'rplc'", REGISTERED, "new DocumentEntry"],
    );

    let package_source = with(association(
        "apnd",
        vocab::ASSOC_APND,
        "SubmissionSet01",
        REGISTERED,
    ));
    assert_error(
        &errors(&package_source),
        RegistryMetadataError,
        &["'apnd'", "source of APND must be a DocumentEntry"],
    );

    // Metadata Update may relate two registered DocumentEntries.
    let v = validate_submission(&registered_source, &ValidationOptions::update()).unwrap();
    assert!(
        v.associations
            .iter()
            .any(|a| a.kind == AssociationKind::Rplc)
    );
}

#[test]
fn replacement_targets_must_already_be_registered() {
    for kind in [
        vocab::ASSOC_RPLC,
        vocab::ASSOC_XFRM_RPLC,
        vocab::ASSOC_IS_SNAPSHOT_OF,
    ] {
        let request = with(association("rel", kind, "Document02", "Document01"));
        assert_error(
            &errors(&request),
            RegistryMetadataError,
            &["'rel'", "already registered", "'Document01'"],
        );
    }
    // An addendum, transform or signature may target a document submitted alongside.
    for kind in [vocab::ASSOC_APND, vocab::ASSOC_XFRM, vocab::ASSOC_SIGNS] {
        valid(&with(association("rel", kind, "Document02", "Document01")));
    }
    let apnd_to_folder = with(association(
        "rel",
        vocab::ASSOC_APND,
        "Document02",
        "Folder01",
    ));
    assert_error(
        &errors(&apnd_to_folder),
        RegistryMetadataError,
        &["target of APND must be a DocumentEntry"],
    );
    // A signature may sign the SubmissionSet.
    valid(&with(association(
        "sig",
        vocab::ASSOC_SIGNS,
        "Document02",
        "SubmissionSet01",
    )));
}

#[test]
fn documentation_classification_is_accepted_on_relationships() {
    let mut rplc = association("rplc", vocab::ASSOC_RPLC, "Document02", REGISTERED);
    rplc.core.classifications.push(coded(
        "",
        "rplc",
        vocab::ASSOCIATION_DOCUMENTATION,
        "Additional_Information",
        "1.3.6.1.4.1.21367.2017.3",
    ));
    let v = valid(&with(rplc));
    let rplc = v
        .associations
        .iter()
        .find(|a| a.kind == AssociationKind::Rplc)
        .unwrap();
    assert_eq!(rplc.object.core.classifications.len(), 1);
    assert_eq!(
        rplc.object.core.classifications[0].classified_object,
        rplc.entry_uuid.as_str()
    );
}

#[test]
fn missing_association_ends_are_reported() {
    let request = with(association("empty", vocab::ASSOC_APND, "Document02", ""));
    assert_error(
        &errors(&request),
        RegistryMetadataError,
        &["'empty'", "targetObject is missing"],
    );
}
