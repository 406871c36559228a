//! Patient ids (affinity-domain CX) known to the registry.

use super::per_backend;
use crate::AnyConnection;
use crate::error::StoreError;
use crate::models::PatientRow;
use crate::schema::patients;
use diesel::prelude::*;

/// Registers a patient id. Returns `false` if it was already known
/// (concurrent adds of the same id are safe).
pub fn add_patient(conn: &mut AnyConnection, patient_id: &str) -> Result<bool, StoreError> {
    let row = PatientRow {
        patient_id: patient_id.to_string(),
        created_at: chrono::Utc::now().naive_utc(),
        merged_into: None,
    };
    let insert = diesel::insert_into(patients::table)
        .values(&row)
        .on_conflict_do_nothing();
    let inserted = per_backend!(conn, c => insert.execute(c))?;
    Ok(inserted > 0)
}

pub fn patient_exists(conn: &mut AnyConnection, patient_id: &str) -> Result<bool, StoreError> {
    Ok(diesel::select(diesel::dsl::exists(patients::table.find(patient_id))).get_result(conn)?)
}

pub fn patient(
    conn: &mut AnyConnection,
    patient_id: &str,
) -> Result<Option<PatientRow>, StoreError> {
    Ok(patients::table
        .find(patient_id)
        .select(PatientRow::as_select())
        .first(conn)
        .optional()?)
}

/// Inside a write transaction: the patient's row (`None` if unknown) and,
/// on PostgreSQL, its row lock until commit, so concurrent submissions for
/// one patient run one after the other (their uniqueness checks and status
/// changes cannot interleave). SQLite write transactions are already
/// serialized by `BEGIN IMMEDIATE`. One statement for both, as a
/// registration needs both (a round trip less on PostgreSQL).
pub fn lock_patient(
    conn: &mut AnyConnection,
    patient_id: &str,
) -> Result<Option<PatientRow>, StoreError> {
    Ok(match conn {
        AnyConnection::Postgresql(c) => patients::table
            .find(patient_id)
            .select(PatientRow::as_select())
            .for_update()
            .first(c)
            .optional()?,
        AnyConnection::Sqlite(c) => patients::table
            .find(patient_id)
            .select(PatientRow::as_select())
            .first(c)
            .optional()?,
    })
}

/// Records that `patient_id` was merged into `surviving_id` (PIX merge).
/// Returns `false` if `patient_id` is unknown.
pub fn mark_merged(
    conn: &mut AnyConnection,
    patient_id: &str,
    surviving_id: &str,
) -> Result<bool, StoreError> {
    let changed = diesel::update(patients::table.find(patient_id))
        .set(patients::merged_into.eq(surviving_id))
        .execute(conn)?;
    Ok(changed > 0)
}

/// Brings the planner's statistics up to date (PostgreSQL `ANALYZE`; SQLite
/// plans without them). For bulk loads into a fresh database: plans made
/// while the tables were empty choose sequential scans, and a registration
/// on them ran at a third of its speed until autovacuum caught up.
pub fn refresh_statistics(conn: &mut AnyConnection) -> Result<(), StoreError> {
    if let AnyConnection::Postgresql(c) = conn {
        diesel::sql_query("ANALYZE").execute(c)?;
    }
    Ok(())
}
