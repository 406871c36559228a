//! PIX merges at the registry (IHE-REFERENCE §2): a query on a surviving
//! patient id also finds what was registered under the ids merged into it,
//! and every returned object shows the surviving id as patientId
//! (sourcePatientInfo is left as registered); a query on a subsumed id finds
//! nothing.

use ebrim::RegistryObject;
use ebrim::datatypes::PatientId;
use ebrim::query::StoredQuery;
use ebrim::vocab::{DE_PATIENT_ID, FD_PATIENT_ID, SS_PATIENT_ID};
use std::collections::HashMap;
use store::{AnyConnection, StoreError};

/// The ids a patient-anchored query must search: none for a subsumed id,
/// else the id and every id merged into it.
pub(crate) fn ids_to_search(
    conn: &mut AnyConnection,
    patient_id: &str,
) -> Result<Vec<String>, StoreError> {
    if store::patient(conn, patient_id)?.is_some_and(|p| p.merged_into.is_some()) {
        return Ok(Vec::new());
    }
    let mut ids = vec![patient_id.to_string()];
    ids.extend(store::ids_merged_into(conn, patient_id)?);
    Ok(ids)
}

/// `query` with its patient id replaced by `patient_id`.
pub(crate) fn for_patient(query: &StoredQuery, patient_id: &str) -> Option<StoredQuery> {
    let pid = PatientId::parse(patient_id).ok()?;
    let mut q = query.clone();
    match &mut q {
        StoredQuery::FindDocuments(p) => p.patient_id = pid,
        StoredQuery::FindDocumentsByReferenceId(p) => p.find.patient_id = pid,
        StoredQuery::FindSubmissionSets(p) => p.patient_id = pid,
        StoredQuery::FindFolders(p) => p.patient_id = pid,
        StoredQuery::GetAll(p) => p.patient_id = pid,
        _ => return None,
    }
    Some(q)
}

/// Surviving id of each merged patient id among `ids` (ids never merged are
/// left out).
pub(crate) fn survivors<'a>(
    conn: &mut AnyConnection,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<HashMap<String, String>, StoreError> {
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(id) {
            continue;
        }
        let survivor = store::surviving_patient_id(conn, id)?;
        if survivor != id {
            out.insert(id.to_string(), survivor);
        }
    }
    Ok(out)
}

/// Shows the surviving id in an object's patientId external identifier.
pub(crate) fn relabel(object: &mut RegistryObject, survivor: &str) {
    let core = match object {
        RegistryObject::ExtrinsicObject(o) => &mut o.core,
        RegistryObject::RegistryPackage(o) => &mut o.core,
        _ => return,
    };
    for e in &mut core.external_identifiers {
        if [DE_PATIENT_ID, SS_PATIENT_ID, FD_PATIENT_ID].contains(&e.identification_scheme.as_str())
        {
            e.value = survivor.to_string();
        }
    }
}
