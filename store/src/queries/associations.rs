//! Associations between registry objects (HasMember, RPLC, APND, XFRM, ...).

use super::unnest::UnnestInsert;
use super::{IN_LIST_CHUNK, insert_rows, one_of};
use crate::error::StoreError;
use crate::models::{AssociationRow, NewAssociation};
use crate::schema::associations;
use crate::{AnyConnection, Db};
use diesel::prelude::*;
use std::collections::HashSet;

/// Inserts associations. Returns the row count.
pub fn insert_associations(
    conn: &mut AnyConnection,
    rows: &[NewAssociation],
) -> Result<usize, StoreError> {
    let rows: Vec<&NewAssociation> = rows.iter().collect();
    insert_rows!(conn, associations::table, &rows, associations_unnest)
}

/// Names the prepared PostgreSQL INSERT of associations.
pub(crate) struct AssociationsInsert;

/// PostgreSQL's INSERT of `rows`, every column of `associations`.
pub(crate) fn associations_unnest<'a>(
    rows: &[&'a NewAssociation],
) -> UnnestInsert<'a, AssociationsInsert> {
    use crate::schema::associations as t;
    use diesel::sql_types::{Nullable, Text, Timestamp};
    UnnestInsert::into("associations")
        .column::<Text, _>(t::id::NAME, rows.iter().map(|r| r.id.as_str()))
        .column::<Text, _>(
            t::patient_id::NAME,
            rows.iter().map(|r| r.patient_id.as_str()),
        )
        .column::<Text, _>(
            t::association_type::NAME,
            rows.iter().map(|r| r.association_type.as_str()),
        )
        .column::<Text, _>(
            t::source_id::NAME,
            rows.iter().map(|r| r.source_id.as_str()),
        )
        .column::<Text, _>(
            t::target_id::NAME,
            rows.iter().map(|r| r.target_id.as_str()),
        )
        .column::<Text, _>(t::status::NAME, rows.iter().map(|r| r.status.as_str()))
        .column::<Nullable<Text>, _>(
            t::submission_set_id::NAME,
            rows.iter().map(|r| r.submission_set_id.as_deref()),
        )
        .column::<Text, _>(t::body::NAME, rows.iter().map(|r| r.body.as_str()))
        .column::<Timestamp, _>(t::registered_at::NAME, rows.iter().map(|r| r.registered_at))
}

/// Associations with these ids, in registration order.
pub fn associations_by_ids(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<Vec<AssociationRow>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let q = associations::table
            .select(AssociationRow::as_select())
            .into_boxed::<Db>();
        out.extend(one_of!(conn, q, associations::id, chunk)?.load(conn)?);
    }
    sort(&mut out);
    Ok(out)
}

/// Associations whose source is one of `ids`, optionally of some types.
pub fn associations_by_source(
    conn: &mut AnyConnection,
    ids: &[String],
    types: Option<&[String]>,
) -> Result<Vec<AssociationRow>, StoreError> {
    let mut out = by_end(conn, End::Source, ids, types)?;
    sort(&mut out);
    Ok(out)
}

/// Associations whose target is one of `ids`, optionally of some types.
pub fn associations_by_target(
    conn: &mut AnyConnection,
    ids: &[String],
    types: Option<&[String]>,
) -> Result<Vec<AssociationRow>, StoreError> {
    let mut out = by_end(conn, End::Target, ids, types)?;
    sort(&mut out);
    Ok(out)
}

/// Associations with one of `ids` as source or target, each once.
/// (Two indexed lookups rather than one `OR`, so both indexes are used.)
pub fn associations_touching(
    conn: &mut AnyConnection,
    ids: &[String],
    types: Option<&[String]>,
) -> Result<Vec<AssociationRow>, StoreError> {
    let mut out = by_end(conn, End::Source, ids, types)?;
    let mut seen: HashSet<String> = out.iter().map(|a| a.id.clone()).collect();
    for a in by_end(conn, End::Target, ids, types)? {
        if seen.insert(a.id.clone()) {
            out.push(a);
        }
    }
    sort(&mut out);
    Ok(out)
}

/// Sets the availabilityStatus of these associations. Returns the rows changed.
pub fn set_association_status(
    conn: &mut AnyConnection,
    ids: &[String],
    status: &str,
) -> Result<usize, StoreError> {
    let mut changed = 0;
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        changed += diesel::update(associations::table.filter(associations::id.eq_any(chunk)))
            .set(associations::status.eq(status))
            .execute(conn)?;
    }
    Ok(changed)
}

#[derive(Clone, Copy)]
enum End {
    Source,
    Target,
}

fn by_end(
    conn: &mut AnyConnection,
    end: End,
    ids: &[String],
    types: Option<&[String]>,
) -> Result<Vec<AssociationRow>, StoreError> {
    let mut out = Vec::new();
    if types.is_some_and(<[String]>::is_empty) {
        return Ok(out);
    }
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let mut q = associations::table
            .select(AssociationRow::as_select())
            .into_boxed::<Db>();
        q = match end {
            End::Source => one_of!(conn, q, associations::source_id, chunk)?,
            End::Target => one_of!(conn, q, associations::target_id, chunk)?,
        };
        if let Some(types) = types {
            q = one_of!(conn, q, associations::association_type, types)?;
        }
        out.extend(q.load(conn)?);
    }
    Ok(out)
}

fn sort(rows: &mut [AssociationRow]) {
    rows.sort_by(|a, b| (a.registered_at, &a.id).cmp(&(b.registered_at, &b.id)));
}
