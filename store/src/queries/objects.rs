//! Registry objects (DocumentEntry, SubmissionSet, Folder) and their codes by id.

use super::{IN_LIST_CHUNK, dtm_key, insert_rows, one_of};
use crate::error::StoreError;
use crate::models::{
    KIND_FOLDER, NewObjectCode, NewRegistryObject, ObjectCodeRow, RegistryObjectRow,
};
use crate::schema::{object_codes, registry_objects};
use crate::{AnyConnection, Db};
use diesel::prelude::*;
use std::borrow::Cow;

/// Rows per INSERT: 28 columns x 500 stays under every bind limit.
const OBJECT_INSERT_CHUNK: usize = 500;
/// Rows per INSERT for the 4-column code table.
const CODE_INSERT_CHUNK: usize = 2000;

/// Inserts objects, DTM columns normalised with [`dtm_key`]. Returns the row count.
pub fn insert_objects(
    conn: &mut AnyConnection,
    rows: &[NewRegistryObject],
) -> Result<usize, StoreError> {
    let normalised: Vec<Cow<'_, NewRegistryObject>> = rows.iter().map(with_dtm_keys).collect();
    let rows: Vec<&NewRegistryObject> = normalised.iter().map(|c| c.as_ref()).collect();
    insert_rows!(conn, registry_objects::table, &rows, OBJECT_INSERT_CHUNK)
}

/// The row with every DTM column in comparable form (borrowed if already so).
fn with_dtm_keys(row: &NewRegistryObject) -> Cow<'_, NewRegistryObject> {
    fn needs(v: &Option<String>) -> bool {
        v.as_deref().is_some_and(|s| dtm_key(s) != s)
    }
    fn fix(v: &mut Option<String>) {
        if let Some(s) = v {
            *s = dtm_key(s);
        }
    }
    let times = [
        &row.creation_time,
        &row.service_start_time,
        &row.service_stop_time,
        &row.submission_time,
        &row.last_update_time,
    ];
    if !times.into_iter().any(needs) {
        return Cow::Borrowed(row);
    }
    let mut row = row.clone();
    for v in [
        &mut row.creation_time,
        &mut row.service_start_time,
        &mut row.service_stop_time,
        &mut row.submission_time,
        &mut row.last_update_time,
    ] {
        fix(v);
    }
    Cow::Owned(row)
}

/// Inserts multi-valued attributes. Returns the row count.
pub fn insert_codes(conn: &mut AnyConnection, rows: &[NewObjectCode]) -> Result<usize, StoreError> {
    let rows: Vec<&NewObjectCode> = rows.iter().collect();
    insert_rows!(conn, object_codes::table, &rows, CODE_INSERT_CHUNK)
}

/// Objects with these entryUUIDs (any kind, any status), in registration order.
pub fn objects_by_ids(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<Vec<RegistryObjectRow>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let q = registry_objects::table
            .select(RegistryObjectRow::as_select())
            .into_boxed::<Db>();
        out.extend(one_of!(conn, q, registry_objects::id, chunk)?.load(conn)?);
    }
    sort_by_registration(&mut out);
    Ok(out)
}

/// Objects with these uniqueIds, optionally of one kind (all versions, any status).
pub fn objects_by_unique_ids(
    conn: &mut AnyConnection,
    kind: Option<&str>,
    unique_ids: &[String],
) -> Result<Vec<RegistryObjectRow>, StoreError> {
    let mut out = Vec::new();
    for chunk in unique_ids.chunks(IN_LIST_CHUNK) {
        let q = registry_objects::table
            .select(RegistryObjectRow::as_select())
            .into_boxed::<Db>();
        let mut q = one_of!(conn, q, registry_objects::unique_id, chunk)?;
        if let Some(kind) = kind {
            q = q.filter(registry_objects::kind.eq(kind));
        }
        out.extend(q.load(conn)?);
    }
    sort_by_registration(&mut out);
    Ok(out)
}

/// Every version of a logical object, oldest first.
///
/// Two lookups: the version whose entryUUID is the lid (the first), by
/// primary key, and the others through the partial `registry_objects_lid`
/// index, which holds only rows with `lid <> id` so that registering a first
/// version costs no lid index page.
pub fn objects_by_lid(
    conn: &mut AnyConnection,
    lid: &str,
) -> Result<Vec<RegistryObjectRow>, StoreError> {
    let mut out: Vec<RegistryObjectRow> = registry_objects::table
        .filter(registry_objects::id.eq(lid))
        .filter(registry_objects::lid.eq(lid))
        .select(RegistryObjectRow::as_select())
        .load(conn)?;
    out.extend(
        registry_objects::table
            .filter(registry_objects::lid.eq(lid))
            .filter(registry_objects::lid.ne(registry_objects::id))
            .select(RegistryObjectRow::as_select())
            .load(conn)?,
    );
    out.sort_by(|a, b| (a.version, &a.id).cmp(&(b.version, &b.id)));
    Ok(out)
}

/// Sets the availabilityStatus of these objects. Returns the rows changed.
pub fn set_status(
    conn: &mut AnyConnection,
    ids: &[String],
    status: &str,
) -> Result<usize, StoreError> {
    let mut changed = 0;
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        changed +=
            diesel::update(registry_objects::table.filter(registry_objects::id.eq_any(chunk)))
                .set(registry_objects::status.eq(status))
                .execute(conn)?;
    }
    Ok(changed)
}

/// Sets lastUpdateTime of these Folders (other kinds are left alone).
/// Returns the rows changed.
pub fn set_last_update_time(
    conn: &mut AnyConnection,
    folder_ids: &[String],
    dtm: &str,
) -> Result<usize, StoreError> {
    let key = dtm_key(dtm);
    let mut changed = 0;
    for chunk in folder_ids.chunks(IN_LIST_CHUNK) {
        changed += diesel::update(
            registry_objects::table
                .filter(registry_objects::id.eq_any(chunk))
                .filter(registry_objects::kind.eq(KIND_FOLDER)),
        )
        .set(registry_objects::last_update_time.eq(&key))
        .execute(conn)?;
    }
    Ok(changed)
}

/// The multi-valued attributes of these objects. `patient_ids` holds the
/// patient of every object asked for: codes are stored by patient
/// (`object_codes`' key), so the lookup walks those patients' codes.
pub fn codes_by_object_ids(
    conn: &mut AnyConnection,
    patient_ids: &[String],
    object_ids: &[String],
) -> Result<Vec<ObjectCodeRow>, StoreError> {
    let mut out = Vec::new();
    for patients in patient_ids.chunks(IN_LIST_CHUNK) {
        for chunk in object_ids.chunks(IN_LIST_CHUNK) {
            let q = object_codes::table
                .select(ObjectCodeRow::as_select())
                .into_boxed::<Db>();
            let q = one_of!(conn, q, object_codes::patient_id, patients)?;
            out.extend(one_of!(conn, q, object_codes::object_id, chunk)?.load(conn)?);
        }
    }
    out.sort_by(|a, b| (&a.object_id, &a.kind, &a.value).cmp(&(&b.object_id, &b.kind, &b.value)));
    Ok(out)
}

/// The distinct patients of these objects, for [`codes_by_object_ids`].
pub fn patients_of<'a>(rows: impl IntoIterator<Item = &'a RegistryObjectRow>) -> Vec<String> {
    let set: std::collections::BTreeSet<&str> =
        rows.into_iter().map(|r| r.patient_id.as_str()).collect();
    set.into_iter().map(str::to_string).collect()
}

/// Chunked loads come back per chunk; give callers one stable order.
pub(crate) fn sort_by_registration(rows: &mut [RegistryObjectRow]) {
    rows.sort_by(|a, b| (a.registered_at, &a.id).cmp(&(b.registered_at, &b.id)));
}
