//! Consent grants and emergency accesses, by patient.

use super::{IN_LIST_CHUNK, one_of};
use crate::AnyConnection;
use crate::error::StoreError;
use crate::models_consent::{ConsentGrantRow, EmergencyAccessRow};
use crate::schema::{consent_grants, emergency_accesses};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn insert_consent_grants(
    conn: &mut AnyConnection,
    rows: &[ConsentGrantRow],
) -> Result<usize, StoreError> {
    let mut inserted = 0;
    for row in rows {
        inserted += diesel::insert_into(consent_grants::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(inserted)
}

/// The grants of these patients that may concern `facility_oid` (its own
/// and the `*` ones), for a decision; every grant when `facility_oid` is `None`.
pub fn consent_grants_of(
    conn: &mut AnyConnection,
    patient_ids: &[String],
    facility_oid: Option<&str>,
) -> Result<Vec<ConsentGrantRow>, StoreError> {
    let mut out = Vec::new();
    for chunk in patient_ids.chunks(IN_LIST_CHUNK) {
        let q = consent_grants::table.into_boxed();
        let mut q = one_of!(conn, q, consent_grants::patient_id, chunk)?;
        if let Some(f) = facility_oid {
            q = q.filter(
                consent_grants::facility_oid
                    .eq(f)
                    .or(consent_grants::facility_oid.eq("*")),
            );
        }
        out.extend(
            q.order((consent_grants::given_at, consent_grants::id))
                .select(ConsentGrantRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// Withdraws, at `at`, the patient's grants not yet withdrawn: all of them,
/// or those naming `facility_oid`. Returns the withdrawn rows.
pub fn withdraw_consent_grants(
    conn: &mut AnyConnection,
    patient_id: &str,
    facility_oid: Option<&str>,
    at: NaiveDateTime,
) -> Result<Vec<ConsentGrantRow>, StoreError> {
    let mut q = consent_grants::table
        .filter(consent_grants::patient_id.eq(patient_id))
        .filter(consent_grants::withdrawn_at.is_null())
        .into_boxed();
    if let Some(f) = facility_oid {
        q = q.filter(consent_grants::facility_oid.eq(f));
    }
    let rows: Vec<ConsentGrantRow> = q.select(ConsentGrantRow::as_select()).load(conn)?;
    mark_withdrawn(conn, &rows, at)
}

/// Withdraws, at `at`, the grants recorded by these BPPC DocumentEntries.
pub fn withdraw_grants_of_documents(
    conn: &mut AnyConnection,
    entry_ids: &[String],
    at: NaiveDateTime,
) -> Result<Vec<ConsentGrantRow>, StoreError> {
    let mut rows = Vec::new();
    for chunk in entry_ids.chunks(IN_LIST_CHUNK) {
        rows.extend(
            consent_grants::table
                .filter(consent_grants::document_entry_id.eq_any(chunk))
                .filter(consent_grants::withdrawn_at.is_null())
                .select(ConsentGrantRow::as_select())
                .load(conn)?,
        );
    }
    mark_withdrawn(conn, &rows, at)
}

fn mark_withdrawn(
    conn: &mut AnyConnection,
    rows: &[ConsentGrantRow],
    at: NaiveDateTime,
) -> Result<Vec<ConsentGrantRow>, StoreError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        diesel::update(consent_grants::table.filter(consent_grants::id.eq_any(chunk)))
            .set(consent_grants::withdrawn_at.eq(at))
            .execute(conn)?;
    }
    Ok(rows
        .iter()
        .map(|r| ConsentGrantRow {
            withdrawn_at: Some(at),
            ..r.clone()
        })
        .collect())
}

pub fn insert_emergency_access(
    conn: &mut AnyConnection,
    row: &EmergencyAccessRow,
) -> Result<(), StoreError> {
    diesel::insert_into(emergency_accesses::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Emergency accesses of these patients, all or those of `facility_oid`.
pub fn emergency_accesses_of(
    conn: &mut AnyConnection,
    patient_ids: &[String],
    facility_oid: Option<&str>,
) -> Result<Vec<EmergencyAccessRow>, StoreError> {
    let mut out = Vec::new();
    for chunk in patient_ids.chunks(IN_LIST_CHUNK) {
        let q = emergency_accesses::table.into_boxed();
        let mut q = one_of!(conn, q, emergency_accesses::patient_id, chunk)?;
        if let Some(f) = facility_oid {
            q = q.filter(emergency_accesses::facility_oid.eq(f));
        }
        out.extend(
            q.order((emergency_accesses::opened_at, emergency_accesses::id))
                .select(EmergencyAccessRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// (object id, value) of the given values of one multi-valued attribute
/// (e.g. the restricted and secret confidentialityCodes) among these
/// objects of these patients (`patient_ids` holds each object's patient);
/// served by `object_codes`' key, and only matching rows come back.
pub fn objects_with_codes(
    conn: &mut AnyConnection,
    patient_ids: &[String],
    object_ids: &[String],
    kind: &str,
    values: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    use crate::schema::object_codes;
    let mut out = Vec::new();
    if values.is_empty() {
        return Ok(out);
    }
    for patients in patient_ids.chunks(IN_LIST_CHUNK) {
        for chunk in object_ids.chunks(IN_LIST_CHUNK) {
            let q = object_codes::table
                .filter(object_codes::kind.eq(kind))
                .select((object_codes::object_id, object_codes::value))
                .into_boxed::<crate::Db>();
            let q = one_of!(conn, q, object_codes::patient_id, patients)?;
            let q = one_of!(conn, q, object_codes::value, values)?;
            let q = one_of!(conn, q, object_codes::object_id, chunk)?;
            out.extend(q.load::<(String, String)>(conn)?);
        }
    }
    Ok(out)
}

/// Ends an emergency access at `at` (if it was still open later). Returns
/// whether it existed.
pub fn end_emergency_access(
    conn: &mut AnyConnection,
    id: &str,
    at: NaiveDateTime,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        emergency_accesses::table
            .filter(emergency_accesses::id.eq(id))
            .filter(emergency_accesses::expires_at.gt(at)),
    )
    .set(emergency_accesses::expires_at.eq(at))
    .execute(conn)?;
    Ok(changed > 0
        || emergency_accesses::table
            .find(id)
            .count()
            .get_result::<i64>(conn)?
            > 0)
}
