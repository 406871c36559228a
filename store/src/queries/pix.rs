//! PIX Manager tables: cross-referenced patient identifiers, the registry's
//! merge resolver and the update-notification outbox.

use super::per_backend;
use crate::AnyConnection;
use crate::error::StoreError;
use crate::schema::{patient_identifiers as pi, patients, pix_outbox};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// `patient_identifiers.status` of an id in use.
pub const IDENTIFIER_ACTIVE: &str = "active";
/// `patient_identifiers.status` of an id retired by a merge.
pub const IDENTIFIER_MERGED: &str = "merged";

/// One patient identifier known to the PIX Manager.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = pi)]
#[diesel(treat_none_as_default_value = false)]
pub struct PatientIdentifierRow {
    pub authority_oid: String,
    pub id_value: String,
    /// Groups the linked ids of one person (a text uuid).
    pub person_key: String,
    /// OID of the facility that fed it (none for ids the hub or operator made).
    pub feeding_facility: Option<String>,
    pub status: String,
    /// For a retired id: the CX it was merged into.
    pub merged_into: Option<String>,
    pub family: Option<String>,
    pub given: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub address: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Demographic columns of [`PatientIdentifierRow`], for updates.
#[derive(Debug, Clone, Default, PartialEq, Eq, AsChangeset)]
#[diesel(table_name = pi)]
#[diesel(treat_none_as_null = true)]
pub struct DemographicsColumns {
    pub family: Option<String>,
    pub given: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub address: Option<String>,
}

/// A notification for one subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = pix_outbox)]
pub struct OutboxRow {
    pub seq: i64,
    pub subscriber: String,
    pub person_key: String,
    pub payload: String,
    pub created_at: NaiveDateTime,
    pub attempts: i32,
    pub delivered_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = pix_outbox)]
struct NewOutboxRow<'a> {
    subscriber: &'a str,
    person_key: &'a str,
    payload: &'a str,
    created_at: NaiveDateTime,
    attempts: i32,
}

/// Serializes PIX changes on PostgreSQL for the rest of the transaction
/// (identity feeds are few; linking decisions must not interleave). SQLite
/// write transactions are already serialized by `BEGIN IMMEDIATE`.
pub fn lock_pix(conn: &mut AnyConnection) -> Result<(), StoreError> {
    if let AnyConnection::Postgresql(c) = conn {
        // An arbitrary constant naming "the PIX cross-reference" lock.
        diesel::sql_query("SELECT pg_advisory_xact_lock(472575)").execute(c)?;
    }
    Ok(())
}

pub fn patient_identifier(
    conn: &mut AnyConnection,
    authority_oid: &str,
    id_value: &str,
) -> Result<Option<PatientIdentifierRow>, StoreError> {
    Ok(pi::table
        .find((authority_oid, id_value))
        .select(PatientIdentifierRow::as_select())
        .first(conn)
        .optional()?)
}

/// Every id of one person (active and retired), oldest first.
pub fn identifiers_of_person(
    conn: &mut AnyConnection,
    person_key: &str,
) -> Result<Vec<PatientIdentifierRow>, StoreError> {
    Ok(pi::table
        .filter(pi::person_key.eq(person_key))
        .order((pi::created_at, pi::authority_oid, pi::id_value))
        .select(PatientIdentifierRow::as_select())
        .load(conn)?)
}

/// Whether any id of this assigning authority is known.
pub fn authority_known(conn: &mut AnyConnection, authority_oid: &str) -> Result<bool, StoreError> {
    Ok(diesel::select(diesel::dsl::exists(
        pi::table.filter(pi::authority_oid.eq(authority_oid)),
    ))
    .get_result(conn)?)
}

pub fn insert_patient_identifier(
    conn: &mut AnyConnection,
    row: &PatientIdentifierRow,
) -> Result<(), StoreError> {
    diesel::insert_into(pi::table).values(row).execute(conn)?;
    Ok(())
}

/// Replaces the demographics of one id (and who fed them last).
pub fn update_demographics(
    conn: &mut AnyConnection,
    authority_oid: &str,
    id_value: &str,
    demographics: &DemographicsColumns,
    feeding_facility: Option<&str>,
) -> Result<bool, StoreError> {
    let now = chrono::Utc::now().naive_utc();
    let changed = diesel::update(pi::table.find((authority_oid, id_value)))
        .set((
            demographics,
            pi::updated_at.eq(now),
            pi::feeding_facility.eq(feeding_facility),
        ))
        .execute(conn)?;
    Ok(changed > 0)
}

/// Moves every id of person `from` to person `to`; returns how many moved.
pub fn move_person(conn: &mut AnyConnection, from: &str, to: &str) -> Result<usize, StoreError> {
    let now = chrono::Utc::now().naive_utc();
    Ok(diesel::update(pi::table.filter(pi::person_key.eq(from)))
        .set((pi::person_key.eq(to), pi::updated_at.eq(now)))
        .execute(conn)?)
}

/// Puts one id into person `person_key`.
pub fn set_person(
    conn: &mut AnyConnection,
    authority_oid: &str,
    id_value: &str,
    person_key: &str,
) -> Result<bool, StoreError> {
    let now = chrono::Utc::now().naive_utc();
    let changed = diesel::update(pi::table.find((authority_oid, id_value)))
        .set((pi::person_key.eq(person_key), pi::updated_at.eq(now)))
        .execute(conn)?;
    Ok(changed > 0)
}

/// Retires an id merged into `surviving_cx` (it stays in its person's row
/// set for history, but is no longer active).
pub fn retire_identifier(
    conn: &mut AnyConnection,
    authority_oid: &str,
    id_value: &str,
    surviving_cx: &str,
) -> Result<bool, StoreError> {
    let now = chrono::Utc::now().naive_utc();
    let changed = diesel::update(pi::table.find((authority_oid, id_value)))
        .set((
            pi::status.eq(IDENTIFIER_MERGED),
            pi::merged_into.eq(surviving_cx),
            pi::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(changed > 0)
}

/// Active ids sharing family name, given name and birth date with an id of
/// another person: the operator's "possible duplicates" report, ordered by
/// name so the groups are adjacent.
pub fn possible_duplicates(
    conn: &mut AnyConnection,
) -> Result<Vec<PatientIdentifierRow>, StoreError> {
    let groups: Vec<(Option<String>, Option<String>, Option<String>)> = pi::table
        .filter(pi::status.eq(IDENTIFIER_ACTIVE))
        .filter(pi::family.is_not_null())
        .filter(pi::birth_date.is_not_null())
        .group_by((pi::family, pi::given, pi::birth_date))
        .having(
            diesel::dsl::count(pi::person_key)
                .aggregate_distinct()
                .gt(1),
        )
        .select((pi::family, pi::given, pi::birth_date))
        .load(conn)?;
    let mut out = Vec::new();
    for (family, given, birth_date) in groups {
        let mut q = pi::table
            .filter(pi::status.eq(IDENTIFIER_ACTIVE))
            .filter(pi::family.eq(family.unwrap_or_default()))
            .filter(pi::birth_date.eq(birth_date.unwrap_or_default()))
            .into_boxed();
        q = match given {
            Some(g) => q.filter(pi::given.eq(g)),
            None => q.filter(pi::given.is_null()),
        };
        out.extend(
            q.order((pi::person_key, pi::authority_oid, pi::id_value))
                .select(PatientIdentifierRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// The registry's merge resolver: every patient id merged into `patient_id`,
/// directly or through other merged ids (not including `patient_id`).
pub fn ids_merged_into(
    conn: &mut AnyConnection,
    patient_id: &str,
) -> Result<Vec<String>, StoreError> {
    let mut found: Vec<String> = Vec::new();
    let mut frontier = vec![patient_id.to_string()];
    while !frontier.is_empty() {
        let next: Vec<String> = patients::table
            .filter(patients::merged_into.eq_any(&frontier))
            .select(patients::patient_id)
            .load(conn)?;
        frontier = next
            .into_iter()
            .filter(|id| id != patient_id && !found.contains(id))
            .collect();
        found.extend(frontier.iter().cloned());
    }
    Ok(found)
}

/// Queues one notification for `subscriber`.
pub fn enqueue_notification(
    conn: &mut AnyConnection,
    subscriber: &str,
    person_key: &str,
    payload: &str,
) -> Result<(), StoreError> {
    let row = NewOutboxRow {
        subscriber,
        person_key,
        payload,
        created_at: chrono::Utc::now().naive_utc(),
        attempts: 0,
    };
    let insert = diesel::insert_into(pix_outbox::table).values(&row);
    per_backend!(conn, c => insert.execute(c))?;
    Ok(())
}

/// The oldest undelivered notifications of `subscriber`, in order.
pub fn pending_notifications(
    conn: &mut AnyConnection,
    subscriber: &str,
    limit: i64,
) -> Result<Vec<OutboxRow>, StoreError> {
    Ok(pix_outbox::table
        .filter(pix_outbox::subscriber.eq(subscriber))
        .filter(pix_outbox::delivered_at.is_null())
        .order(pix_outbox::seq)
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)?)
}

pub fn mark_notification_delivered(conn: &mut AnyConnection, seq: i64) -> Result<(), StoreError> {
    let now = chrono::Utc::now().naive_utc();
    diesel::update(pix_outbox::table.find(seq))
        .set((
            pix_outbox::delivered_at.eq(now),
            pix_outbox::attempts.eq(pix_outbox::attempts + 1),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn note_notification_attempt(conn: &mut AnyConnection, seq: i64) -> Result<(), StoreError> {
    diesel::update(pix_outbox::table.find(seq))
        .set(pix_outbox::attempts.eq(pix_outbox::attempts + 1))
        .execute(conn)?;
    Ok(())
}

/// The id that `patient_id` finally survives as (itself when never merged);
/// follows `patients.merged_into` (bounded, so a bad cycle cannot hang).
pub fn surviving_patient_id(
    conn: &mut AnyConnection,
    patient_id: &str,
) -> Result<String, StoreError> {
    let mut current = patient_id.to_string();
    for _ in 0..64 {
        let next: Option<Option<String>> = patients::table
            .find(&current)
            .select(patients::merged_into)
            .first(conn)
            .optional()?;
        match next.flatten() {
            Some(next) if next != current => current = next,
            _ => break,
        }
    }
    Ok(current)
}
