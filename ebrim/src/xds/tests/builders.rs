//! Builders for submissions: a valid SubmissionSet with two
//! DocumentEntries and a Folder, and small helpers to break it.

use crate::error::{RegistryError, XdsErrorCode};
use crate::model::*;
use crate::vocab;
use crate::xds::{ValidatedSubmission, ValidationOptions, validate_submission};

pub const PID: &str = "SELF-5^^^&1.3.6.1.4.1.21367.2005.3.7&ISO";
pub const OTHER_PID: &str = "OTHER-9^^^&1.3.6.1.4.1.21367.2005.3.7&ISO";
pub const SS_UID: &str = "1.3.6.1.4.1.21367.2005.3.9999.33";
pub const DE1_UID: &str = "1.3.6.1.4.1.21367.2005.3.9999.32";
pub const DE2_UID: &str = "1.2.392.100495.20.3.11^DOC-0002";
pub const FD_UID: &str = "1.3.6.1.4.1.21367.2005.3.9999.34";
pub const REGISTERED: &str = "urn:uuid:0b8c3f3e-2d6a-4b7e-9a51-3c2f5e8d1a77";

pub fn slot(name: &str, values: &[&str]) -> Slot {
    Slot {
        name: name.to_owned(),
        slot_type: None,
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    }
}

pub fn text(value: &str) -> InternationalString {
    InternationalString {
        values: vec![LocalizedString {
            lang: None,
            charset: None,
            value: value.to_owned(),
        }],
    }
}

pub fn coded(
    id: &str,
    owner: &str,
    scheme: &str,
    code: &str,
    coding_scheme: &str,
) -> Classification {
    Classification {
        id: id.to_owned(),
        classification_scheme: Some(scheme.to_owned()),
        classified_object: owner.to_owned(),
        node_representation: Some(code.to_owned()),
        name: Some(text(code)),
        slots: vec![slot("codingScheme", &[coding_scheme])],
        ..Classification::default()
    }
}

pub fn author(id: &str, owner: &str, scheme: &str, person: &str) -> Classification {
    Classification {
        id: id.to_owned(),
        classification_scheme: Some(scheme.to_owned()),
        classified_object: owner.to_owned(),
        node_representation: Some(String::new()),
        slots: vec![
            slot("authorPerson", &[person]),
            slot(
                "authorInstitution",
                &["Cleveland Clinic", "Parma Community"],
            ),
            slot("authorRole", &["Attending"]),
        ],
        ..Classification::default()
    }
}

pub fn node(id: &str, owner: &str, node: &str) -> Classification {
    Classification {
        id: id.to_owned(),
        classification_node: Some(node.to_owned()),
        classified_object: owner.to_owned(),
        ..Classification::default()
    }
}

pub fn ext_id(id: &str, owner: &str, scheme: &str, value: &str, label: &str) -> ExternalIdentifier {
    ExternalIdentifier {
        id: id.to_owned(),
        registry_object: owner.to_owned(),
        identification_scheme: scheme.to_owned(),
        value: value.to_owned(),
        name: Some(text(label)),
        ..ExternalIdentifier::default()
    }
}

/// A complete stable DocumentEntry as ITI-42 requires it.
pub fn document(id: &str, unique_id: &str) -> ExtrinsicObject {
    let cl = |n: &str| format!("{id}-cl{n}");
    ExtrinsicObject {
        core: ObjectCore {
            id: id.to_owned(),
            object_type: Some(vocab::OBJ_DOCUMENT_ENTRY_STABLE.to_owned()),
            status: Some(vocab::STATUS_SUBMITTED.to_owned()),
            name: Some(text("紹介状 Referral")),
            slots: vec![
                slot("creationTime", &["20051224"]),
                slot("languageCode", &["ja-JP"]),
                slot("serviceStartTime", &["200412230800"]),
                slot("serviceStopTime", &["200412230801"]),
                slot(
                    "sourcePatientId",
                    &["ST-1000^^^&1.3.6.1.4.1.21367.2003.3.9&ISO"],
                ),
                slot(
                    "sourcePatientInfo",
                    &[
                        "PID-3|ST-1000^^^&1.3.6.1.4.1.21367.2003.3.9&ISO",
                        "PID-5|Doe^John^^^",
                    ],
                ),
                slot("hash", &["E543712C0E10501972DE13A5BFCBE826C49FEB75"]),
                slot("size", &["061224"]),
                slot("repositoryUniqueId", &["1.19.6.24.109.42.1"]),
                slot(
                    vocab::SLOT_REFERENCE_ID_LIST,
                    &["ORD-1^^^&1.2.3&ISO^urn:ihe:iti:xds:2013:order"],
                ),
                slot("urn:example:extra", &["kept"]),
            ],
            classifications: vec![
                author(&cl("a1"), id, vocab::DE_AUTHOR, "^Smitty^Gerald^^^"),
                coded(
                    &cl("1"),
                    id,
                    vocab::DE_CLASS_CODE,
                    "REPORTS",
                    "1.3.6.1.4.1.19376.1.2.6.1",
                ),
                coded(
                    &cl("2"),
                    id,
                    vocab::DE_CONFIDENTIALITY_CODE,
                    "N",
                    "2.16.840.1.113883.5.25",
                ),
                coded(
                    &cl("3"),
                    id,
                    vocab::DE_FORMAT_CODE,
                    "urn:ihe:pcc:xphr:2007",
                    "1.3.6.1.4.1.19376.1.2.3",
                ),
                coded(
                    &cl("4"),
                    id,
                    vocab::DE_HEALTHCARE_FACILITY_TYPE_CODE,
                    "Outpatient",
                    "1.3.6.1.4.1.21367.2017.3",
                ),
                coded(
                    &cl("5"),
                    id,
                    vocab::DE_PRACTICE_SETTING_CODE,
                    "General Medicine",
                    "1.3.6.1.4.1.21367.2017.3",
                ),
                coded(
                    &cl("6"),
                    id,
                    vocab::DE_TYPE_CODE,
                    "34108-1",
                    "2.16.840.1.113883.6.1",
                ),
                coded(
                    &cl("7"),
                    id,
                    vocab::DE_EVENT_CODE,
                    "urn:connectathon:bppc:foundational:policy",
                    "1.3.6.1.4.1.21367.2017.3",
                ),
                coded(&cl("8"), id, vocab::DE_EVENT_CODE, "T-D4909", "SNM3"),
            ],
            external_identifiers: vec![
                ext_id(
                    &format!("{id}-ei1"),
                    id,
                    vocab::DE_PATIENT_ID,
                    PID,
                    "XDSDocumentEntry.patientId",
                ),
                ext_id(
                    &format!("{id}-ei2"),
                    id,
                    vocab::DE_UNIQUE_ID,
                    unique_id,
                    "XDSDocumentEntry.uniqueId",
                ),
            ],
            ..ObjectCore::default()
        },
        mime_type: Some("text/xml".to_owned()),
        is_opaque: None,
    }
}

/// A SubmissionSet package; its SS_NODE classification is added at top
/// level by [`valid_request`], as the samples do.
pub fn submission_set(id: &str, unique_id: &str) -> RegistryPackage {
    RegistryPackage {
        core: ObjectCore {
            id: id.to_owned(),
            name: Some(text("Physical")),
            slots: vec![slot("submissionTime", &["20041225235050"])],
            classifications: vec![
                author("ss-a1", id, vocab::SS_AUTHOR, "^Dopplemeyer^Sherry^^^"),
                coded(
                    "ss-cl1",
                    id,
                    vocab::SS_CONTENT_TYPE_CODE,
                    "History and Physical",
                    "1.3.6.1.4.1.21367.2017.3",
                ),
            ],
            external_identifiers: vec![
                ext_id(
                    "ss-ei1",
                    id,
                    vocab::SS_UNIQUE_ID,
                    unique_id,
                    "XDSSubmissionSet.uniqueId",
                ),
                ext_id(
                    "ss-ei2",
                    id,
                    vocab::SS_SOURCE_ID,
                    "1.3.6.1.4.1.21367.2005.3.7",
                    "XDSSubmissionSet.sourceId",
                ),
                ext_id(
                    "ss-ei3",
                    id,
                    vocab::SS_PATIENT_ID,
                    PID,
                    "XDSSubmissionSet.patientId",
                ),
            ],
            ..ObjectCore::default()
        },
    }
}

/// A Folder with its FD_NODE classification nested.
pub fn folder(id: &str, unique_id: &str) -> RegistryPackage {
    RegistryPackage {
        core: ObjectCore {
            id: id.to_owned(),
            name: Some(text("Referrals 2024")),
            classifications: vec![
                node(&format!("{id}-node"), id, vocab::FD_NODE),
                coded(
                    &format!("{id}-cl1"),
                    id,
                    vocab::FD_CODE_LIST,
                    "Referrals",
                    "1.3.6.1.4.1.21367.2017.3",
                ),
                coded(
                    &format!("{id}-cl2"),
                    id,
                    vocab::FD_CODE_LIST,
                    "Cardiology",
                    "1.3.6.1.4.1.21367.2017.3",
                ),
            ],
            external_identifiers: vec![
                ext_id(
                    &format!("{id}-ei1"),
                    id,
                    vocab::FD_UNIQUE_ID,
                    unique_id,
                    "XDSFolder.uniqueId",
                ),
                ext_id(
                    &format!("{id}-ei2"),
                    id,
                    vocab::FD_PATIENT_ID,
                    PID,
                    "XDSFolder.patientId",
                ),
            ],
            ..ObjectCore::default()
        },
    }
}

pub fn association(id: &str, kind: &str, source: &str, target: &str) -> Association {
    Association {
        core: ObjectCore {
            id: id.to_owned(),
            ..ObjectCore::default()
        },
        association_type: kind.to_owned(),
        source_object: source.to_owned(),
        target_object: target.to_owned(),
    }
}

pub fn has_member(id: &str, source: &str, target: &str, status: Option<&str>) -> Association {
    let mut a = association(id, vocab::ASSOC_HAS_MEMBER, source, target);
    if let Some(status) = status {
        a.core.slots.push(slot("SubmissionSetStatus", &[status]));
    }
    a
}

/// SubmissionSet01 with Document01, Document02 and Folder01; Document01 is
/// in the Folder.
pub fn valid_request() -> SubmitObjectsRequest {
    SubmitObjectsRequest {
        objects: vec![
            RegistryObject::ExtrinsicObject(document("Document01", DE1_UID)),
            RegistryObject::ExtrinsicObject(document("Document02", DE2_UID)),
            RegistryObject::RegistryPackage(submission_set("SubmissionSet01", SS_UID)),
            RegistryObject::Classification(node("ss-node", "SubmissionSet01", vocab::SS_NODE)),
            RegistryObject::RegistryPackage(folder("Folder01", FD_UID)),
            RegistryObject::Association(has_member(
                "as01",
                "SubmissionSet01",
                "Document01",
                Some("Original"),
            )),
            RegistryObject::Association(has_member(
                "as02",
                "SubmissionSet01",
                "Document02",
                Some("Original"),
            )),
            RegistryObject::Association(has_member("as03", "SubmissionSet01", "Folder01", None)),
            RegistryObject::Association(has_member("as04", "Folder01", "Document01", None)),
            RegistryObject::Association(has_member("as05", "SubmissionSet01", "as04", None)),
            RegistryObject::ObjectRef(ObjectRef {
                id: vocab::SS_NODE.to_owned(),
                home: None,
            }),
        ],
    }
}

pub fn push(request: &mut SubmitObjectsRequest, object: RegistryObject) {
    request.objects.push(object);
}

/// The core of the object with this id (as sent).
pub fn core_mut<'a>(request: &'a mut SubmitObjectsRequest, id: &str) -> &'a mut ObjectCore {
    request
        .objects
        .iter_mut()
        .find_map(|o| match o {
            RegistryObject::ExtrinsicObject(eo) if eo.core.id == id => Some(&mut eo.core),
            RegistryObject::RegistryPackage(rp) if rp.core.id == id => Some(&mut rp.core),
            RegistryObject::Association(a) if a.core.id == id => Some(&mut a.core),
            _ => None,
        })
        .expect("object in request")
}

pub fn association_mut<'a>(request: &'a mut SubmitObjectsRequest, id: &str) -> &'a mut Association {
    request
        .objects
        .iter_mut()
        .find_map(|o| match o {
            RegistryObject::Association(a) if a.core.id == id => Some(a),
            _ => None,
        })
        .expect("association in request")
}

pub fn remove_object(request: &mut SubmitObjectsRequest, id: &str) {
    request.objects.retain(|o| match o {
        RegistryObject::ExtrinsicObject(eo) => eo.core.id != id,
        RegistryObject::RegistryPackage(rp) => rp.core.id != id,
        RegistryObject::Association(a) => a.core.id != id,
        RegistryObject::Classification(c) => c.id != id,
        RegistryObject::ObjectRef(r) => r.id != id,
    });
}

pub fn remove_slot(core: &mut ObjectCore, name: &str) {
    core.slots.retain(|s| s.name != name);
}

pub fn remove_scheme(core: &mut ObjectCore, scheme: &str) {
    core.classifications
        .retain(|c| c.classification_scheme.as_deref() != Some(scheme));
    core.external_identifiers
        .retain(|e| e.identification_scheme != scheme);
}

pub fn set_external_id(core: &mut ObjectCore, scheme: &str, value: &str) {
    let e = core
        .external_identifiers
        .iter_mut()
        .find(|e| e.identification_scheme == scheme)
        .expect("external identifier");
    e.value = value.to_owned();
}

pub fn validate(request: &SubmitObjectsRequest) -> Result<ValidatedSubmission, Vec<RegistryError>> {
    validate_submission(request, &ValidationOptions::register())
}

pub fn valid(request: &SubmitObjectsRequest) -> ValidatedSubmission {
    match validate(request) {
        Ok(v) => v,
        Err(errors) => panic!("expected a valid submission, got {errors:#?}"),
    }
}

pub fn errors_with(
    request: &SubmitObjectsRequest,
    options: &ValidationOptions,
) -> Vec<RegistryError> {
    match validate_submission(request, options) {
        Ok(_) => panic!("expected errors, the submission validated"),
        Err(errors) => errors,
    }
}

pub fn errors(request: &SubmitObjectsRequest) -> Vec<RegistryError> {
    errors_with(request, &ValidationOptions::register())
}

/// Asserts an error with this code whose codeContext contains every needle.
#[track_caller]
pub fn assert_error(errors: &[RegistryError], code: XdsErrorCode, needles: &[&str]) {
    let found = errors
        .iter()
        .any(|e| e.code == code && needles.iter().all(|n| e.context.contains(n)));
    assert!(found, "no {code} containing {needles:?} in {errors:#?}");
}

/// Asserts that the only errors have this code (and there is at least one).
#[track_caller]
pub fn assert_only(errors: &[RegistryError], code: XdsErrorCode) {
    assert!(!errors.is_empty());
    assert!(
        errors.iter().all(|e| e.code == code),
        "expected only {code}: {errors:#?}"
    );
}
