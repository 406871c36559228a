//! Registry objects (DocumentEntry, SubmissionSet, Folder) and their codes by id.

use super::in_list::InJsonArray;
use super::unnest::UnnestInsert;
use super::{IN_LIST_CHUNK, dtm_key, insert_rows, one_of};
use crate::error::StoreError;
use crate::models::{
    KIND_FOLDER, NewObjectCode, NewRegistryObject, ObjectCodeRow, RegistryObjectRow,
};
use crate::schema::{object_codes, registry_objects};
use crate::{AnyConnection, Db};
use diesel::prelude::*;
use std::borrow::Cow;

/// Inserts objects, DTM columns normalised with [`dtm_key`]. Returns the row count.
pub fn insert_objects(
    conn: &mut AnyConnection,
    rows: &[NewRegistryObject],
) -> Result<usize, StoreError> {
    let normalised = normalised(rows);
    let rows: Vec<&NewRegistryObject> = normalised.iter().map(|c| c.as_ref()).collect();
    insert_rows!(conn, registry_objects::table, &rows, objects_unnest)
}

/// Names the prepared PostgreSQL INSERT of registry objects.
pub(crate) struct ObjectsInsert;

/// PostgreSQL's INSERT of `rows`, every column of `registry_objects`.
pub(crate) fn objects_unnest<'a>(
    rows: &[&'a NewRegistryObject],
) -> UnnestInsert<'a, ObjectsInsert> {
    use crate::schema::registry_objects as t;
    use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};
    UnnestInsert::into("registry_objects")
        .column::<Text, _>(t::id::NAME, rows.iter().map(|r| r.id.as_str()))
        .column::<Text, _>(
            t::patient_id::NAME,
            rows.iter().map(|r| r.patient_id.as_str()),
        )
        .column::<Text, _>(t::kind::NAME, rows.iter().map(|r| r.kind.as_str()))
        .column::<Text, _>(t::lid::NAME, rows.iter().map(|r| r.lid.as_str()))
        .column::<Integer, _>(t::version::NAME, rows.iter().map(|r| r.version))
        .column::<Text, _>(
            t::unique_id::NAME,
            rows.iter().map(|r| r.unique_id.as_str()),
        )
        .column::<Text, _>(t::status::NAME, rows.iter().map(|r| r.status.as_str()))
        .column::<Nullable<Text>, _>(
            t::object_type::NAME,
            rows.iter().map(|r| r.object_type.as_deref()),
        )
        .column::<Nullable<Text>, _>(
            t::submission_set_id::NAME,
            rows.iter().map(|r| r.submission_set_id.as_deref()),
        )
        .column::<Text, _>(
            t::submitter::NAME,
            rows.iter().map(|r| r.submitter.as_str()),
        )
        .column::<Nullable<Text>, _>(
            t::class_code::NAME,
            rows.iter().map(|r| r.class_code.as_deref()),
        )
        .column::<Nullable<Text>, _>(
            t::type_code::NAME,
            rows.iter().map(|r| r.type_code.as_deref()),
        )
        .column::<Nullable<Text>, _>(
            t::format_code::NAME,
            rows.iter().map(|r| r.format_code.as_deref()),
        )
        .column::<Nullable<Text>, _>(
            t::practice_setting_code::NAME,
            rows.iter().map(|r| r.practice_setting_code.as_deref()),
        )
        .column::<Nullable<Text>, _>(
            t::healthcare_facility_type_code::NAME,
            rows.iter()
                .map(|r| r.healthcare_facility_type_code.as_deref()),
        )
        .column::<Nullable<Text>, _>(
            t::creation_time::NAME,
            rows.iter().map(|r| r.creation_time.as_deref()),
        )
        .column::<Nullable<Text>, _>(
            t::service_start_time::NAME,
            rows.iter().map(|r| r.service_start_time.as_deref()),
        )
        .column::<Nullable<Text>, _>(
            t::service_stop_time::NAME,
            rows.iter().map(|r| r.service_stop_time.as_deref()),
        )
        .column::<Nullable<Text>, _>(
            t::submission_time::NAME,
            rows.iter().map(|r| r.submission_time.as_deref()),
        )
        .column::<Nullable<Text>, _>(
            t::source_id::NAME,
            rows.iter().map(|r| r.source_id.as_deref()),
        )
        .column::<Nullable<Text>, _>(
            t::content_type_code::NAME,
            rows.iter().map(|r| r.content_type_code.as_deref()),
        )
        .column::<Nullable<Text>, _>(
            t::last_update_time::NAME,
            rows.iter().map(|r| r.last_update_time.as_deref()),
        )
        .column::<Nullable<Text>, _>(t::hash::NAME, rows.iter().map(|r| r.hash.as_deref()))
        .column::<Nullable<BigInt>, _>(t::size::NAME, rows.iter().map(|r| r.size))
        .column::<Nullable<Text>, _>(
            t::repository_unique_id::NAME,
            rows.iter().map(|r| r.repository_unique_id.as_deref()),
        )
        .column::<Nullable<Text>, _>(
            t::mime_type::NAME,
            rows.iter().map(|r| r.mime_type.as_deref()),
        )
        .column::<Text, _>(t::body::NAME, rows.iter().map(|r| r.body.as_str()))
        .column::<Timestamp, _>(t::registered_at::NAME, rows.iter().map(|r| r.registered_at))
}

/// The rows with every DTM column in comparable form.
pub(crate) fn normalised(rows: &[NewRegistryObject]) -> Vec<Cow<'_, NewRegistryObject>> {
    rows.iter().map(with_dtm_keys).collect()
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
    insert_rows!(conn, object_codes::table, &rows, codes_unnest)
}

/// Names the prepared PostgreSQL INSERT of object codes.
pub(crate) struct CodesInsert;

/// PostgreSQL's INSERT of `rows`, every column of `object_codes`.
pub(crate) fn codes_unnest<'a>(rows: &[&'a NewObjectCode]) -> UnnestInsert<'a, CodesInsert> {
    use crate::schema::object_codes as t;
    use diesel::sql_types::Text;
    UnnestInsert::into("object_codes")
        .column::<Text, _>(
            t::object_id::NAME,
            rows.iter().map(|r| r.object_id.as_str()),
        )
        .column::<Text, _>(
            t::patient_id::NAME,
            rows.iter().map(|r| r.patient_id.as_str()),
        )
        .column::<Text, _>(t::kind::NAME, rows.iter().map(|r| r.kind.as_str()))
        .column::<Text, _>(t::value::NAME, rows.iter().map(|r| r.value.as_str()))
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

/// Objects whose entryUUID is one of `ids` or whose uniqueId is one of
/// `unique_ids` (any kind, any status), in registration order. A
/// registration checks its new entryUUIDs and its uniqueIds with this one
/// lookup: one round trip on PostgreSQL instead of two.
pub fn objects_by_ids_or_unique_ids(
    conn: &mut AnyConnection,
    ids: &[String],
    unique_ids: &[String],
) -> Result<Vec<RegistryObjectRow>, StoreError> {
    let one_list = |v: &[String]| !v.is_empty() && v.len() <= IN_LIST_CHUNK;
    if !(one_list(ids) && one_list(unique_ids)) {
        // Long or empty lists: the two chunked lookups, each row once.
        let mut out = objects_by_ids(conn, ids)?;
        let seen: std::collections::HashSet<String> = out.iter().map(|o| o.id.clone()).collect();
        out.extend(
            objects_by_unique_ids(conn, None, unique_ids)?
                .into_iter()
                .filter(|o| !seen.contains(&o.id)),
        );
        sort_by_registration(&mut out);
        return Ok(out);
    }
    let q = registry_objects::table
        .select(RegistryObjectRow::as_select())
        .into_boxed::<Db>();
    let q = match conn {
        AnyConnection::Postgresql(_) => q.filter(
            registry_objects::id
                .eq_any(ids)
                .or(registry_objects::unique_id.eq_any(unique_ids)),
        ),
        AnyConnection::Sqlite(_) => q.filter(
            InJsonArray::new(registry_objects::id, ids)?
                .or(InJsonArray::new(registry_objects::unique_id, unique_ids)?),
        ),
    };
    let mut out = q.load(conn)?;
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
