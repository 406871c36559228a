//! Mapping between validated XDS objects, database rows and the ebRIM objects
//! a query returns. The stored `body` is the object as registered (JSON of the
//! ebRIM model); registry-maintained values (status, lastUpdateTime, home)
//! live in columns and are applied when an object leaves the registry.

use crate::{RegistryConfig, Submitter};
use ebrim::vocab::*;
use ebrim::xds::ValidatedSubmission;
use ebrim::{Association, RegistryObject, Slot};
use store::{
    AssociationRow, NewAssociation, NewObjectCode, NewRegistryObject, RegistryObjectRow, StoreError,
};

pub(crate) struct Rows {
    pub objects: Vec<NewRegistryObject>,
    pub codes: Vec<NewObjectCode>,
    pub associations: Vec<NewAssociation>,
}

fn to_json(obj: &RegistryObject) -> Result<String, StoreError> {
    serde_json::to_string(obj).map_err(|e| StoreError::Serialization(e.to_string()))
}

fn code(
    codes: &mut Vec<NewObjectCode>,
    object_id: &str,
    patient_id: &str,
    kind: &str,
    values: impl IntoIterator<Item = String>,
) {
    for value in values {
        let row = NewObjectCode {
            object_id: object_id.to_string(),
            patient_id: patient_id.to_string(),
            kind: kind.to_string(),
            value,
        };
        // The primary key is (object, kind, value): a repeated code is stored once.
        if !codes.contains(&row) {
            codes.push(row);
        }
    }
}

pub(crate) fn rows_of(
    v: &ValidatedSubmission,
    submitter: &Submitter,
    now: &str,
) -> Result<Rows, StoreError> {
    let ss = &v.submission_set;
    let patient = ss.patient_id.to_string();
    let mut objects = Vec::new();
    let mut codes = Vec::new();
    let registered_at = chrono::Utc::now().naive_utc();

    let mut ss_obj = ss.object.clone();
    ss_obj.core.status = Some(STATUS_APPROVED.to_string());
    ss_obj
        .core
        .version_name
        .get_or_insert_with(|| "1".to_string());
    objects.push(NewRegistryObject {
        id: ss.entry_uuid.to_string(),
        patient_id: patient.clone(),
        kind: store::KIND_SUBMISSION_SET.to_string(),
        lid: ss.entry_uuid.to_string(),
        version: 1,
        unique_id: ss.unique_id.to_string(),
        status: STATUS_APPROVED.to_string(),
        submitter: submitter.facility_oid.clone(),
        submission_set_id: None,
        submission_time: Some(ss.submission_time.clone()),
        source_id: Some(ss.source_id.to_string()),
        content_type_code: Some(ss.content_type_code.to_query_string()),
        body: to_json(&RegistryObject::RegistryPackage(ss_obj))?,
        registered_at,
        ..NewRegistryObject::default()
    });
    code(
        &mut codes,
        ss.entry_uuid.as_str(),
        &patient,
        store::CODE_AUTHOR_PERSON,
        ss.author_persons.iter().cloned(),
    );
    code(
        &mut codes,
        ss.entry_uuid.as_str(),
        &patient,
        store::CODE_AUTHOR_INSTITUTION,
        ss.author_institutions.iter().cloned(),
    );

    for d in &v.documents {
        let mut obj = d.object.clone();
        obj.core.status = Some(STATUS_APPROVED.to_string());
        obj.core.version_name.get_or_insert_with(|| "1".to_string());
        objects.push(NewRegistryObject {
            id: d.entry_uuid.to_string(),
            patient_id: patient.clone(),
            kind: store::KIND_DOCUMENT_ENTRY.to_string(),
            lid: d.lid.to_string(),
            version: 1,
            unique_id: d.unique_id.to_string(),
            status: STATUS_APPROVED.to_string(),
            object_type: Some(d.object_type.as_urn().to_string()),
            submitter: submitter.facility_oid.clone(),
            submission_set_id: Some(ss.entry_uuid.to_string()),
            class_code: Some(d.class_code.to_query_string()),
            type_code: Some(d.type_code.to_query_string()),
            format_code: Some(d.format_code.to_query_string()),
            practice_setting_code: Some(d.practice_setting_code.to_query_string()),
            healthcare_facility_type_code: Some(d.healthcare_facility_type_code.to_query_string()),
            creation_time: d.creation_time.clone(),
            service_start_time: d.service_start.clone(),
            service_stop_time: d.service_stop.clone(),
            hash: d.hash.clone(),
            size: d.size.map(|s| s as i64),
            repository_unique_id: d.repository_unique_id.as_ref().map(|r| r.to_string()),
            mime_type: Some(d.mime_type.clone()),
            body: to_json(&RegistryObject::ExtrinsicObject(obj))?,
            registered_at,
            ..NewRegistryObject::default()
        });
        let id = d.entry_uuid.as_str();
        code(
            &mut codes,
            id,
            &patient,
            store::CODE_CONFIDENTIALITY,
            d.confidentiality_codes.iter().map(|c| c.to_query_string()),
        );
        code(
            &mut codes,
            id,
            &patient,
            store::CODE_EVENT,
            d.event_codes.iter().map(|c| c.to_query_string()),
        );
        code(
            &mut codes,
            id,
            &patient,
            store::CODE_AUTHOR_PERSON,
            d.author_persons.iter().cloned(),
        );
        code(
            &mut codes,
            id,
            &patient,
            store::CODE_AUTHOR_INSTITUTION,
            d.author_institutions.iter().cloned(),
        );
        code(
            &mut codes,
            id,
            &patient,
            store::CODE_REFERENCE_ID,
            d.reference_ids.iter().cloned(),
        );
    }

    for f in &v.folders {
        let mut obj = f.object.clone();
        obj.core.status = Some(STATUS_APPROVED.to_string());
        obj.core.version_name.get_or_insert_with(|| "1".to_string());
        objects.push(NewRegistryObject {
            id: f.entry_uuid.to_string(),
            patient_id: patient.clone(),
            kind: store::KIND_FOLDER.to_string(),
            lid: f.entry_uuid.to_string(),
            version: 1,
            unique_id: f.unique_id.to_string(),
            status: STATUS_APPROVED.to_string(),
            submitter: submitter.facility_oid.clone(),
            submission_set_id: Some(ss.entry_uuid.to_string()),
            last_update_time: Some(now.to_string()),
            body: to_json(&RegistryObject::RegistryPackage(obj))?,
            registered_at,
            ..NewRegistryObject::default()
        });
        code(
            &mut codes,
            f.entry_uuid.as_str(),
            &patient,
            store::CODE_FOLDER,
            f.codes.iter().map(|c| c.to_query_string()),
        );
    }

    let mut associations = Vec::new();
    for a in &v.associations {
        let mut obj = a.object.clone();
        obj.core.status = Some(STATUS_APPROVED.to_string());
        associations.push(NewAssociation {
            id: obj.core.id.clone(),
            patient_id: patient.clone(),
            association_type: obj.association_type.clone(),
            source_id: obj.source_object.clone(),
            target_id: obj.target_object.clone(),
            status: STATUS_APPROVED.to_string(),
            submission_set_id: Some(ss.entry_uuid.to_string()),
            body: to_json(&RegistryObject::Association(obj))?,
            registered_at,
        });
    }
    Ok(Rows {
        objects,
        codes,
        associations,
    })
}

/// A registry-created association (folder membership copied on replacement).
pub(crate) fn association_row(
    id: &str,
    association_type: &str,
    source: &str,
    target: &str,
    patient_id: &str,
    submission_set: &str,
    slots: &[Slot],
) -> Result<NewAssociation, StoreError> {
    let mut obj = Association {
        association_type: association_type.to_string(),
        source_object: source.to_string(),
        target_object: target.to_string(),
        ..Association::default()
    };
    obj.core.id = id.to_string();
    obj.core.object_type = Some(OBJ_ASSOCIATION.to_string());
    obj.core.status = Some(STATUS_APPROVED.to_string());
    obj.core.slots = slots.to_vec();
    Ok(NewAssociation {
        id: id.to_string(),
        patient_id: patient_id.to_string(),
        association_type: association_type.to_string(),
        source_id: source.to_string(),
        target_id: target.to_string(),
        status: STATUS_APPROVED.to_string(),
        submission_set_id: Some(submission_set.to_string()),
        body: to_json(&RegistryObject::Association(obj))?,
        registered_at: chrono::Utc::now().naive_utc(),
    })
}

/// A stored object as a query returns it: registry-maintained values applied.
pub(crate) fn object_of(
    row: &RegistryObjectRow,
    config: &RegistryConfig,
) -> Result<RegistryObject, StoreError> {
    from_stored(
        &row.body,
        &row.status,
        row.last_update_time.as_deref(),
        config,
    )
}

pub(crate) fn association_of(
    row: &AssociationRow,
    config: &RegistryConfig,
) -> Result<RegistryObject, StoreError> {
    from_stored(&row.body, &row.status, None, config)
}

/// The stored body with the registry-maintained values of its row applied.
fn from_stored(
    body: &str,
    status: &str,
    last_update_time: Option<&str>,
    config: &RegistryConfig,
) -> Result<RegistryObject, StoreError> {
    let mut obj: RegistryObject =
        serde_json::from_str(body).map_err(|e| StoreError::Serialization(e.to_string()))?;
    let core = match &mut obj {
        RegistryObject::ExtrinsicObject(o) => &mut o.core,
        RegistryObject::RegistryPackage(o) => &mut o.core,
        RegistryObject::Association(o) => &mut o.core,
        RegistryObject::Classification(_) | RegistryObject::ObjectRef(_) => return Ok(obj),
    };
    core.status = Some(status.to_string());
    core.home = Some(config.home_community_id.clone());
    if let Some(t) = last_update_time {
        core.set_slot("lastUpdateTime", vec![t.to_string()]);
    }
    Ok(obj)
}
