//! The searches behind FindDocuments, FindSubmissionSets, FindFolders and
//! GetAll. Every query is anchored on the `(patient_id, kind, status)` index;
//! multi-valued attributes are matched with `id IN (SELECT object_id FROM
//! object_codes WHERE patient_id = ? AND kind = ? AND value ...)`, which the
//! `(patient_id, kind, value)` index serves. Only the filters given appear in
//! the SQL. Stored bodies are never scanned.
//!
//! List filters are OR within the list; an empty list means "no filter".
//! Time ranges match `from <= value < to` on [`crate::dtm_key`] forms; an
//! object without that time is not excluded by the range. LIKE patterns use
//! `%` and `_`, are case-sensitive on both backends, and `\` escapes.

use super::in_list::InJsonArray;
use super::objects::sort_by_registration;
use super::{dtm_key, one_of};
use crate::error::StoreError;
use crate::models::{
    CODE_AUTHOR_PERSON, CODE_CONFIDENTIALITY, CODE_EVENT, CODE_FOLDER, CODE_REFERENCE_ID,
    KIND_DOCUMENT_ENTRY, KIND_FOLDER, KIND_SUBMISSION_SET, RegistryObjectRow,
};
use crate::schema::{object_codes, registry_objects as ro};
use crate::{AnyConnection, Db};
use diesel::dsl::AsSelect;
use diesel::prelude::*;
use diesel::sql_types::Bool;

/// FindDocuments (and GetAll's DocumentEntry part).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentFilter {
    pub patient_id: String,
    pub statuses: Vec<String>,
    /// DocumentEntry objectType (stable / on-demand) UUIDs.
    pub object_types: Vec<String>,
    pub class_codes: Vec<String>,
    pub type_codes: Vec<String>,
    pub practice_setting_codes: Vec<String>,
    pub healthcare_facility_type_codes: Vec<String>,
    pub format_codes: Vec<String>,
    pub creation_time_from: Option<String>,
    pub creation_time_to: Option<String>,
    pub service_start_from: Option<String>,
    pub service_start_to: Option<String>,
    pub service_stop_from: Option<String>,
    pub service_stop_to: Option<String>,
    /// AND of groups, OR within a group (`$XDSDocumentEntryEventCodeList`).
    pub event_codes: Vec<Vec<String>>,
    /// AND of groups, OR within a group.
    pub confidentiality_codes: Vec<Vec<String>>,
    /// LIKE patterns, any may match.
    pub author_persons: Vec<String>,
    /// LIKE patterns, any may match (`$XDSDocumentEntryReferenceIdList`).
    pub reference_ids: Vec<String>,
}

/// FindSubmissionSets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmissionSetFilter {
    pub patient_id: String,
    pub statuses: Vec<String>,
    pub source_ids: Vec<String>,
    pub submission_time_from: Option<String>,
    pub submission_time_to: Option<String>,
    /// One LIKE pattern.
    pub author_person: Option<String>,
    pub content_type_codes: Vec<String>,
}

/// FindFolders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderFilter {
    pub patient_id: String,
    pub statuses: Vec<String>,
    pub last_update_from: Option<String>,
    pub last_update_to: Option<String>,
    /// AND of groups, OR within a group (`$XDSFolderCodeList`).
    pub codes: Vec<Vec<String>>,
}

type ObjectQuery<'a> = ro::BoxedQuery<'a, Db, AsSelect<RegistryObjectRow, Db>>;
type ObjectPredicate<'a> = Box<dyn BoxableExpression<ro::table, Db, SqlType = Bool> + 'a>;

/// `column IN (values)` ([`one_of!`]), skipped for an empty list. (Macros,
/// because diesel's bounds for a column-generic function are unwieldy.)
macro_rules! any_of {
    ($conn:expr, $q:ident, $column:expr, $values:expr) => {
        if !$values.is_empty() {
            $q = one_of!($conn, $q, $column, $values)?;
        }
    };
}

/// `from <= column < to` on DTM keys; rows where the column is NULL pass.
macro_rules! in_range {
    ($q:ident, $column:expr, $from:expr, $to:expr) => {
        if let Some(from) = $from {
            $q = $q.filter(
                $column
                    .is_null()
                    .or($column.assume_not_null().ge(dtm_key(from))),
            );
        }
        if let Some(to) = $to {
            $q = $q.filter(
                $column
                    .is_null()
                    .or($column.assume_not_null().lt(dtm_key(to))),
            );
        }
    };
}

/// DocumentEntries matching `f`, at most `limit` (ask for max + 1 to detect
/// "too many results"), in registration order.
pub fn find_documents(
    conn: &mut AnyConnection,
    f: &DocumentFilter,
    limit: i64,
) -> Result<Vec<RegistryObjectRow>, StoreError> {
    let pid = f.patient_id.as_str();
    let mut q = base(conn, pid, KIND_DOCUMENT_ENTRY, &f.statuses)?;
    any_of!(conn, q, ro::object_type, &f.object_types);
    any_of!(conn, q, ro::class_code, &f.class_codes);
    any_of!(conn, q, ro::type_code, &f.type_codes);
    any_of!(
        conn,
        q,
        ro::practice_setting_code,
        &f.practice_setting_codes
    );
    any_of!(
        conn,
        q,
        ro::healthcare_facility_type_code,
        &f.healthcare_facility_type_codes
    );
    any_of!(conn, q, ro::format_code, &f.format_codes);
    in_range!(
        q,
        ro::creation_time,
        &f.creation_time_from,
        &f.creation_time_to
    );
    in_range!(
        q,
        ro::service_start_time,
        &f.service_start_from,
        &f.service_start_to
    );
    in_range!(
        q,
        ro::service_stop_time,
        &f.service_stop_from,
        &f.service_stop_to
    );
    for group in &f.event_codes {
        q = q.filter(codes_among(conn, pid, CODE_EVENT, group)?);
    }
    for group in &f.confidentiality_codes {
        q = q.filter(codes_among(conn, pid, CODE_CONFIDENTIALITY, group)?);
    }
    if let Some(like) = like_any(pid, CODE_AUTHOR_PERSON, &f.author_persons) {
        q = q.filter(like);
    }
    if let Some(like) = like_any(pid, CODE_REFERENCE_ID, &f.reference_ids) {
        q = q.filter(like);
    }
    run(conn, q, limit)
}

/// SubmissionSets matching `f`, at most `limit`, in registration order.
pub fn find_submission_sets(
    conn: &mut AnyConnection,
    f: &SubmissionSetFilter,
    limit: i64,
) -> Result<Vec<RegistryObjectRow>, StoreError> {
    let pid = f.patient_id.as_str();
    let mut q = base(conn, pid, KIND_SUBMISSION_SET, &f.statuses)?;
    any_of!(conn, q, ro::source_id, &f.source_ids);
    any_of!(conn, q, ro::content_type_code, &f.content_type_codes);
    in_range!(
        q,
        ro::submission_time,
        &f.submission_time_from,
        &f.submission_time_to
    );
    if let Some(like) = like_any(pid, CODE_AUTHOR_PERSON, f.author_person.as_slice()) {
        q = q.filter(like);
    }
    run(conn, q, limit)
}

/// Folders matching `f`, at most `limit`, in registration order.
pub fn find_folders(
    conn: &mut AnyConnection,
    f: &FolderFilter,
    limit: i64,
) -> Result<Vec<RegistryObjectRow>, StoreError> {
    let pid = f.patient_id.as_str();
    let mut q = base(conn, pid, KIND_FOLDER, &f.statuses)?;
    in_range!(
        q,
        ro::last_update_time,
        &f.last_update_from,
        &f.last_update_to
    );
    for group in &f.codes {
        q = q.filter(codes_among(conn, pid, CODE_FOLDER, group)?);
    }
    run(conn, q, limit)
}

/// All objects of one kind for a patient (GetAll), optionally by status.
pub fn objects_for_patient(
    conn: &mut AnyConnection,
    patient_id: &str,
    kind: &str,
    statuses: &[String],
    limit: i64,
) -> Result<Vec<RegistryObjectRow>, StoreError> {
    let q = base(conn, patient_id, kind, statuses)?;
    run(conn, q, limit)
}

fn base<'a>(
    conn: &AnyConnection,
    patient_id: &'a str,
    kind: &'a str,
    statuses: &'a [String],
) -> Result<ObjectQuery<'a>, StoreError> {
    let q = ro::table
        .filter(ro::patient_id.eq(patient_id))
        .filter(ro::kind.eq(kind))
        .select(RegistryObjectRow::as_select())
        .into_boxed();
    if statuses.is_empty() {
        Ok(q)
    } else {
        one_of!(conn, q, ro::status, statuses)
    }
}

fn run(
    conn: &mut AnyConnection,
    q: ObjectQuery<'_>,
    limit: i64,
) -> Result<Vec<RegistryObjectRow>, StoreError> {
    let mut rows = q
        .order((ro::registered_at.asc(), ro::id.asc()))
        .limit(limit.max(0))
        .load(conn)?;
    sort_by_registration(&mut rows);
    Ok(rows)
}

/// `id IN (objects having a `kind` value among `values`)`. On SQLite the
/// list is bound as one JSON array ([`InJsonArray`]), so the statement's
/// text does not depend on its length and stays prepared.
fn codes_among<'a>(
    conn: &AnyConnection,
    patient_id: &'a str,
    kind: &'a str,
    values: &'a [String],
) -> Result<ObjectPredicate<'a>, StoreError> {
    Ok(match conn {
        AnyConnection::Sqlite(_) => {
            let among = InJsonArray::new(object_codes::value, values)?;
            Box::new(ro::id.eq_any(codes_in_json(patient_id, kind, among)))
        }
        AnyConnection::Postgresql(_) => {
            Box::new(ro::id.eq_any(codes_equal(patient_id, kind, values)))
        }
    })
}

/// The patient's code rows of one `kind`: what the three subqueries below
/// narrow by value.
///
/// Subqueries stay unboxed: diesel renders `IN (subquery)` for the
/// MultiConnection backend through the concrete backends' implementations.
#[diesel::dsl::auto_type]
fn codes_of_kind<'a>(patient_id: &'a str, kind: &'a str) -> _ {
    object_codes::table
        .filter(object_codes::patient_id.eq(patient_id))
        .filter(object_codes::kind.eq(kind))
}

/// Ids of the patient's objects having a `kind` value among `values`.
#[diesel::dsl::auto_type(no_type_alias)]
fn codes_equal<'a>(patient_id: &'a str, kind: &'a str, values: &'a [String]) -> _ {
    let of_kind: codes_of_kind<'a> = codes_of_kind(patient_id, kind);
    of_kind
        .filter(object_codes::value.eq_any(values))
        .select(object_codes::object_id)
}

/// [`codes_equal`] with the values as a SQLite JSON array.
#[diesel::dsl::auto_type(no_type_alias)]
fn codes_in_json<'a>(
    patient_id: &'a str,
    kind: &'a str,
    among: InJsonArray<object_codes::value>,
) -> _ {
    let of_kind: codes_of_kind<'a> = codes_of_kind(patient_id, kind);
    of_kind.filter(among).select(object_codes::object_id)
}

/// Ids of the patient's objects having a `kind` value matching one LIKE pattern.
#[diesel::dsl::auto_type(no_type_alias)]
fn codes_like<'a>(patient_id: &'a str, kind: &'a str, pattern: &'a str) -> _ {
    let like: diesel::dsl::Escape<diesel::dsl::Like<object_codes::value, &'a str>> =
        object_codes::value.like(pattern).escape('\\');
    let of_kind: codes_of_kind<'a> = codes_of_kind(patient_id, kind);
    of_kind.filter(like).select(object_codes::object_id)
}

/// `id IN (objects whose kind value is LIKE p1) OR id IN (... p2) ...`,
/// or `None` for no patterns.
fn like_any<'a>(
    patient_id: &'a str,
    kind: &'a str,
    patterns: &'a [String],
) -> Option<ObjectPredicate<'a>> {
    patterns.iter().fold(None, |acc, p| {
        let this = ro::id.eq_any(codes_like(patient_id, kind, p));
        Some(match acc {
            None => Box::new(this),
            Some(prev) => Box::new(prev.or(this)),
        })
    })
}
