//! A valid submission and the typed entries it yields.

use super::builders::*;
use crate::datatypes::{Code, DocumentEntryType, EntryUuid};
use crate::model::RegistryObject;
use crate::vocab;
use crate::xds::{
    AssociationKind, SubmissionSetStatus, ValidatingActor, ValidationOptions, validate_submission,
};

#[test]
fn submission_set_two_documents_folder_and_associations_validate() {
    let v = valid(&valid_request());
    assert_eq!(v.documents.len(), 2);
    assert_eq!(v.folders.len(), 1);
    assert_eq!(v.associations.len(), 5);
    assert!(v.references.is_empty());
    assert!(v.warnings.is_empty());

    let ss = &v.submission_set;
    assert_eq!(ss.unique_id.as_str(), SS_UID);
    assert_eq!(ss.source_id.as_str(), "1.3.6.1.4.1.21367.2005.3.7");
    assert_eq!(ss.patient_id.as_str(), PID);
    assert_eq!(ss.submission_time, "20041225235050");
    assert_eq!(
        ss.content_type_code,
        Code::new("History and Physical", "1.3.6.1.4.1.21367.2017.3").unwrap()
    );
    assert_eq!(ss.author_persons, ["^Dopplemeyer^Sherry^^^"]);
    assert_eq!(ss.title.as_deref(), Some("Physical"));

    let de = &v.documents[0];
    assert_eq!(de.unique_id.as_str(), DE1_UID);
    assert_eq!(de.patient_id.as_str(), PID);
    assert_eq!(de.object_type, DocumentEntryType::Stable);
    assert_eq!(
        de.class_code.to_query_string(),
        "REPORTS^^1.3.6.1.4.1.19376.1.2.6.1"
    );
    assert_eq!(de.type_code.code, "34108-1");
    assert_eq!(de.format_code.code, "urn:ihe:pcc:xphr:2007");
    assert_eq!(de.practice_setting_code.code, "General Medicine");
    assert_eq!(de.healthcare_facility_type_code.code, "Outpatient");
    assert_eq!(de.confidentiality_codes.len(), 1);
    assert_eq!(
        de.event_codes
            .iter()
            .map(|c| c.code.as_str())
            .collect::<Vec<_>>(),
        ["urn:connectathon:bppc:foundational:policy", "T-D4909"]
    );
    assert_eq!(de.author_persons, ["^Smitty^Gerald^^^"]);
    assert_eq!(
        de.author_institutions,
        ["Cleveland Clinic", "Parma Community"]
    );
    assert_eq!(
        de.reference_ids,
        ["ORD-1^^^&1.2.3&ISO^urn:ihe:iti:xds:2013:order"]
    );
    assert_eq!(de.creation_time.as_deref(), Some("20051224000000"));
    assert_eq!(de.service_start.as_deref(), Some("20041223080000"));
    assert_eq!(de.service_stop.as_deref(), Some("20041223080100"));
    assert_eq!(
        de.hash.as_deref(),
        Some("e543712c0e10501972de13a5bfcbe826c49feb75")
    );
    assert_eq!(de.size, Some(61224));
    assert_eq!(
        de.repository_unique_id.as_ref().map(|r| r.as_str()),
        Some("1.19.6.24.109.42.1")
    );
    assert_eq!(de.mime_type, "text/xml");
    assert_eq!(de.language_code, "ja-JP");
    assert_eq!(
        de.source_patient_id,
        "ST-1000^^^&1.3.6.1.4.1.21367.2003.3.9&ISO"
    );
    assert_eq!(de.title.as_deref(), Some("紹介状 Referral"));
    assert_eq!(v.documents[1].unique_id.extension(), Some("DOC-0002"));

    let folder = &v.folders[0];
    assert_eq!(folder.unique_id.as_str(), FD_UID);
    assert_eq!(folder.title, "Referrals 2024");
    assert_eq!(folder.codes.len(), 2);

    let kinds: Vec<_> = v.associations.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds[0],
        AssociationKind::HasMember {
            submission_set_status: Some(SubmissionSetStatus::Original)
        }
    );
    assert_eq!(
        kinds[2],
        AssociationKind::HasMember {
            submission_set_status: None
        }
    );
}

#[test]
fn everything_sent_is_kept_and_status_is_approved() {
    let v = valid(&valid_request());
    let de = &v.documents[0];
    // The source said Submitted: the registry decides.
    assert_eq!(
        de.object.core.status.as_deref(),
        Some(vocab::STATUS_APPROVED)
    );
    assert_eq!(
        v.submission_set.object.core.status.as_deref(),
        Some(vocab::STATUS_APPROVED)
    );
    assert_eq!(
        v.folders[0].object.core.status.as_deref(),
        Some(vocab::STATUS_APPROVED)
    );
    assert!(
        v.associations
            .iter()
            .all(|a| a.object.core.status.as_deref() == Some(vocab::STATUS_APPROVED))
    );
    // Non-IHE slots stay: nothing is dropped, so no XDSExtraMetadataNotSaved.
    assert_eq!(de.object.core.slot_value("urn:example:extra"), Some("kept"));
    assert_eq!(
        de.object.core.slot("sourcePatientInfo").map(<[_]>::len),
        Some(2)
    );
    assert_eq!(de.object.core.version_name.as_deref(), Some("1"));
    // The submitted hash spelling is stored as sent.
    assert_eq!(
        de.object.core.slot_value("hash"),
        Some("E543712C0E10501972DE13A5BFCBE826C49FEB75")
    );
    // Default objectTypes are filled in for what the registry returns.
    assert_eq!(
        v.submission_set.object.core.object_type.as_deref(),
        Some(vocab::OBJ_REGISTRY_PACKAGE)
    );
    assert_eq!(
        v.associations[0].object.core.object_type.as_deref(),
        Some(vocab::OBJ_ASSOCIATION)
    );
}

#[test]
fn top_level_classifications_are_attached_to_their_object() {
    let mut request = valid_request();
    // classCode given at top level instead of nested.
    let class_code = {
        let core = core_mut(&mut request, "Document02");
        let i = core
            .classifications
            .iter()
            .position(|c| c.classification_scheme.as_deref() == Some(vocab::DE_CLASS_CODE))
            .unwrap();
        core.classifications.remove(i)
    };
    push(&mut request, RegistryObject::Classification(class_code));
    let v = valid(&request);
    let ss = &v.submission_set.object.core;
    assert!(
        ss.classifications
            .iter()
            .any(|c| c.classification_node.as_deref() == Some(vocab::SS_NODE)
                && c.classified_object == ss.id)
    );
    let de2 = &v.documents[1];
    assert_eq!(de2.class_code.code, "REPORTS");
    assert!(
        de2.object
            .core
            .classifications_by_scheme(vocab::DE_CLASS_CODE)
            .all(|c| c.classified_object == de2.entry_uuid.as_str())
    );
}

#[test]
fn on_demand_entries_need_no_hash_size_or_creation_time() {
    let mut request = valid_request();
    let core = core_mut(&mut request, "Document02");
    core.object_type = Some(vocab::OBJ_DOCUMENT_ENTRY_ON_DEMAND.to_owned());
    for name in ["hash", "size", "creationTime"] {
        remove_slot(core, name);
    }
    let v = valid(&request);
    assert_eq!(v.documents[1].object_type, DocumentEntryType::OnDemand);
    assert_eq!(v.documents[1].creation_time, None);
    assert_eq!(v.documents[1].hash, None);
}

#[test]
fn provide_and_register_leaves_repository_fields_to_the_repository() {
    let mut request = valid_request();
    for id in ["Document01", "Document02"] {
        let core = core_mut(&mut request, id);
        for name in ["hash", "size", "repositoryUniqueId"] {
            remove_slot(core, name);
        }
    }
    let options = ValidationOptions::provide_and_register();
    assert_eq!(options.actor, ValidatingActor::Repository);
    let v = validate_submission(&request, &options).unwrap();
    assert_eq!(v.documents[0].hash, None);
    assert_eq!(v.documents[0].repository_unique_id, None);
    // ...but the registry requires them (NIST 12084).
    let errors = errors(&request);
    assert_error(
        &errors,
        crate::XdsErrorCode::RegistryMetadataError,
        &["Document01", "'repositoryUniqueId'"],
    );
}

#[test]
fn a_reference_to_a_registered_document_is_listed_for_the_registry() {
    let mut request = valid_request();
    push(
        &mut request,
        RegistryObject::Association(has_member(
            "as06",
            "SubmissionSet01",
            REGISTERED,
            Some("Reference"),
        )),
    );
    let mut rplc = association(
        "rplc",
        vocab::ASSOC_RPLC,
        "Document02",
        &REGISTERED.to_uppercase(),
    );
    rplc.core.classifications.push(coded(
        "doc",
        "rplc",
        vocab::ASSOCIATION_DOCUMENTATION,
        "Additional_Information",
        "1.3.6.1.4.1.21367.2017.3",
    ));
    push(&mut request, RegistryObject::Association(rplc));
    let v = valid(&request);
    assert_eq!(v.references, [EntryUuid::parse(REGISTERED).unwrap()]);
    let rplc = v
        .associations
        .iter()
        .find(|a| a.kind == AssociationKind::Rplc)
        .unwrap();
    assert_eq!(rplc.target.as_str(), REGISTERED);
    assert_eq!(rplc.source, v.documents[1].entry_uuid);
    assert!(rplc.kind.replaces() && rplc.kind.is_relationship());
}
