//! Symbolic id replacement and id rules.

use super::builders::*;
use crate::XdsErrorCode::RegistryMetadataError;
use crate::datatypes::EntryUuid;
use crate::model::RegistryObject;
use crate::vocab;
use crate::xds::{ValidationOptions, validate_submission};
use std::collections::HashSet;

#[test]
fn symbolic_ids_are_replaced_consistently_everywhere() {
    let v = valid(&valid_request());
    let id = |symbol: &str| v.assigned_ids.get(symbol).unwrap().as_str().to_owned();
    let (ss, de1, de2, fd, as04) = (
        id("SubmissionSet01"),
        id("Document01"),
        id("Document02"),
        id("Folder01"),
        id("as04"),
    );

    // Fresh, distinct, well-formed UUIDs.
    let all: HashSet<_> = v.assigned_ids.values().collect();
    assert_eq!(all.len(), v.assigned_ids.len());
    assert!(
        v.assigned_ids
            .values()
            .all(|u| EntryUuid::parse(u.as_str()).is_ok())
    );

    assert_eq!(v.submission_set.entry_uuid.as_str(), ss);
    assert_eq!(v.documents[0].entry_uuid.as_str(), de1);
    assert_eq!(v.documents[0].lid.as_str(), de1);
    assert_eq!(
        v.documents[0].object.core.lid.as_deref(),
        Some(de1.as_str())
    );
    assert_eq!(v.documents[1].entry_uuid.as_str(), de2);
    assert_eq!(v.folders[0].entry_uuid.as_str(), fd);

    // Nested classifications and external identifiers point at their owner
    // and got UUIDs themselves.
    for de in &v.documents {
        let core = &de.object.core;
        assert!(
            core.classifications
                .iter()
                .all(|c| c.classified_object == core.id)
        );
        assert!(
            core.external_identifiers
                .iter()
                .all(|e| e.registry_object == core.id)
        );
        assert!(
            core.classifications
                .iter()
                .all(|c| c.id.starts_with("urn:uuid:"))
        );
        assert!(
            core.external_identifiers
                .iter()
                .all(|e| e.id.starts_with("urn:uuid:"))
        );
    }
    // Only top-level objects can be referenced, so only their symbols are
    // in the map.
    assert!(!v.assigned_ids.contains_key("Document01-cl1"));
    assert_eq!(v.assigned_ids.len(), 10, "{:?}", v.assigned_ids.keys());

    // Associations reference the same UUIDs.
    let ends: Vec<(&str, &str)> = v
        .associations
        .iter()
        .map(|a| (a.source.as_str(), a.target.as_str()))
        .collect();
    assert_eq!(
        ends,
        [
            (ss.as_str(), de1.as_str()),
            (ss.as_str(), de2.as_str()),
            (ss.as_str(), fd.as_str()),
            (fd.as_str(), de1.as_str()),
            (ss.as_str(), as04.as_str()),
        ]
    );
    for a in &v.associations {
        assert_eq!(a.object.source_object, a.source.as_str());
        assert_eq!(a.object.target_object, a.target.as_str());
        assert_eq!(a.object.core.id, a.entry_uuid.as_str());
    }
}

#[test]
fn uuid_ids_are_kept_in_lower_case_and_matched_case_insensitively() {
    let upper = "urn:uuid:9F5A4E1C-7B3D-4C2A-8E6F-1A2B3C4D5E6F";
    let mut request = valid_request();
    let core = core_mut(&mut request, "Document01");
    for c in &mut core.classifications {
        c.classified_object = upper.to_lowercase();
    }
    for e in &mut core.external_identifiers {
        e.registry_object = upper.to_owned();
    }
    core.id = upper.to_owned();
    association_mut(&mut request, "as01").target_object = upper.to_owned();
    association_mut(&mut request, "as04").target_object = upper.to_lowercase();
    let v = valid(&request);
    assert_eq!(v.documents[0].entry_uuid.as_str(), upper.to_lowercase());
    assert!(!v.assigned_ids.contains_key(upper));
    assert_eq!(v.associations[0].target, v.documents[0].entry_uuid);
    assert_eq!(v.associations[3].target, v.documents[0].entry_uuid);
}

#[test]
fn nested_objects_without_id_get_fresh_uuids() {
    // The ebXML 2.1 form (NIST test data) has Classifications without id and
    // without classifiedObject.
    let mut request = valid_request();
    for c in &mut core_mut(&mut request, "Document01").classifications {
        c.id.clear();
        c.classified_object.clear();
    }
    association_mut(&mut request, "as02").core.id.clear();
    let v = valid(&request);
    let ids: HashSet<_> = v.documents[0]
        .object
        .core
        .classifications
        .iter()
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(ids.len(), v.documents[0].object.core.classifications.len());
    assert!(ids.iter().all(|id| EntryUuid::parse(id).is_ok()));
    assert!(
        v.documents[0]
            .object
            .core
            .classifications
            .iter()
            .all(|c| c.classified_object == v.documents[0].entry_uuid.as_str())
    );
}

/// ReposAcceptanceTest-1113 repeats nested Classification ids across two
/// DocumentEntries; nothing references them, so each gets its own UUID.
#[test]
fn repeated_nested_symbolic_ids_get_distinct_uuids() {
    let mut request = valid_request();
    for id in ["Document01", "Document02"] {
        for (i, c) in core_mut(&mut request, id)
            .classifications
            .iter_mut()
            .enumerate()
        {
            c.id = format!("id_{i}");
        }
    }
    let v = valid(&request);
    let ids: HashSet<_> = v
        .documents
        .iter()
        .flat_map(|d| d.object.core.classifications.iter().map(|c| c.id.clone()))
        .collect();
    assert_eq!(ids.len(), 18);
}

#[test]
fn malformed_uuid_ids_are_rejected() {
    let mut request = valid_request();
    core_mut(&mut request, "Document02").id = "urn:uuid:not-a-uuid".to_owned();
    let errors = errors(&request);
    assert_error(
        &errors,
        RegistryMetadataError,
        &["urn:uuid:not-a-uuid", "entryUUID"],
    );
    assert!(
        errors
            .iter()
            .any(|e| e.location.as_deref() == Some("urn:uuid:not-a-uuid"))
    );
}

#[test]
fn an_id_used_twice_is_rejected() {
    let mut request = valid_request();
    let mut twin = document("Document02", "1.2.3.4.5");
    twin.core.classifications.clear();
    twin.core.external_identifiers.clear();
    push(&mut request, RegistryObject::ExtrinsicObject(twin));
    assert_error(
        &errors(&request),
        RegistryMetadataError,
        &["'Document02'", "used by more than one object"],
    );
}

#[test]
fn dangling_references_are_metadata_errors() {
    let mut request = valid_request();
    push(
        &mut request,
        RegistryObject::Association(association(
            "apnd",
            vocab::ASSOC_APND,
            "Document02",
            "Document99",
        )),
    );
    let errors = errors(&request);
    assert_error(
        &errors,
        RegistryMetadataError,
        &["'apnd' targetObject", "'Document99'"],
    );
    // Reported once: the association rules stay silent about it.
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].location.as_deref(), Some("apnd"));
}

#[test]
fn a_top_level_classification_of_nothing_in_the_submission_is_rejected() {
    let mut request = valid_request();
    push(
        &mut request,
        RegistryObject::Classification(coded("cl-x", "NoSuchDoc", vocab::DE_EVENT_CODE, "x", "y")),
    );
    push(
        &mut request,
        RegistryObject::Classification(coded("cl-y", REGISTERED, vocab::DE_EVENT_CODE, "x", "y")),
    );
    let errors = errors(&request);
    assert_error(
        &errors,
        RegistryMetadataError,
        &["'cl-x' classifiedObject", "'NoSuchDoc'"],
    );
    assert_error(
        &errors,
        RegistryMetadataError,
        &["'cl-y'", "not in this submission"],
    );
}

#[test]
fn a_nested_classification_must_classify_its_owner() {
    let mut request = valid_request();
    core_mut(&mut request, "Document01").classifications[1].classified_object =
        "Document02".to_owned();
    assert_error(
        &errors(&request),
        RegistryMetadataError,
        &[
            "'Document01-cl1' inside ExtrinsicObject 'Document01'",
            "not the object it is nested in",
        ],
    );
}

#[test]
fn lid_must_equal_the_id_outside_metadata_update() {
    let mut request = valid_request();
    core_mut(&mut request, "Document01").lid = Some(REGISTERED.to_owned());
    assert_error(
        &errors(&request),
        RegistryMetadataError,
        &["'Document01'", "lid"],
    );
    let v = validate_submission(&request, &ValidationOptions::update()).unwrap();
    assert_eq!(v.documents[0].lid.as_str(), REGISTERED);
    assert_ne!(v.documents[0].entry_uuid.as_str(), REGISTERED);

    // A lid naming the object's own symbol is fine.
    let mut request = valid_request();
    core_mut(&mut request, "Document01").lid = Some("Document01".to_owned());
    let v = valid(&request);
    assert_eq!(v.documents[0].lid, v.documents[0].entry_uuid);
}

#[test]
fn object_refs_must_name_uuids() {
    let mut request = valid_request();
    push(
        &mut request,
        RegistryObject::ObjectRef(crate::model::ObjectRef {
            id: "$Folder$".to_owned(),
            home: None,
        }),
    );
    assert_error(
        &errors(&request),
        RegistryMetadataError,
        &["ObjectRef '$Folder$'"],
    );
}

#[test]
fn a_package_without_id_is_rejected() {
    let mut request = valid_request();
    let mut folder = folder("", "1.2.3.4.6");
    for c in &mut folder.core.classifications {
        c.classified_object.clear();
    }
    for e in &mut folder.core.external_identifiers {
        e.registry_object.clear();
    }
    push(&mut request, RegistryObject::RegistryPackage(folder));
    let errors = errors(&request);
    assert_error(
        &errors,
        RegistryMetadataError,
        &["RegistryPackage without id"],
    );
}
