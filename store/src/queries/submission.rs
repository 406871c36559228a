//! A submission's rows (its objects, their codes, its associations) in one
//! statement on PostgreSQL: one round trip instead of three.

use super::associations::associations_unnest;
use super::objects::{codes_unnest, insert_codes, insert_objects, normalised, objects_unnest};
use super::unnest::UnnestInsert;
use crate::AnyConnection;
use crate::error::StoreError;
use crate::models::{NewAssociation, NewObjectCode, NewRegistryObject};
use crate::schema::associations;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use std::collections::HashSet;

/// Inserts a submission's objects (DTM columns normalised), codes and
/// associations. An association whose id is already registered is not
/// inserted: its id is returned, and the caller must reject the submission
/// and roll back, since the objects are written by then.
pub fn insert_submission_rows(
    conn: &mut AnyConnection,
    objects: &[NewRegistryObject],
    codes: &[NewObjectCode],
    associations: &[NewAssociation],
) -> Result<Vec<String>, StoreError> {
    if let AnyConnection::Sqlite(_) = conn {
        // No round trip to save: the row-by-row inserts.
        insert_objects(conn, objects)?;
        insert_codes(conn, codes)?;
    }
    let inserted: HashSet<String> = match conn {
        AnyConnection::Postgresql(c) => {
            let objects = normalised(objects);
            let objects: Vec<&NewRegistryObject> = objects.iter().map(|o| o.as_ref()).collect();
            let codes: Vec<&NewObjectCode> = codes.iter().collect();
            let assocs: Vec<&NewAssociation> = associations.iter().collect();
            SubmissionInsert {
                objects: objects_unnest(&objects),
                codes: codes_unnest(&codes),
                associations: associations_unnest(&assocs),
            }
            .load::<String>(c)?
            .into_iter()
            .collect()
        }
        AnyConnection::Sqlite(c) => {
            let mut inserted = HashSet::new();
            for row in associations {
                let n = diesel::insert_into(associations::table)
                    .values(row)
                    .on_conflict(associations::id)
                    .do_nothing()
                    .execute(c)?;
                if n > 0 {
                    inserted.insert(row.id.clone());
                }
            }
            inserted
        }
    };
    Ok(associations
        .iter()
        .filter(|a| !inserted.contains(&a.id))
        .map(|a| a.id.clone())
        .collect())
}

/// `WITH o AS (INSERT objects), c AS (INSERT codes) INSERT associations …
/// ON CONFLICT (id) DO NOTHING RETURNING id`. PostgreSQL checks the codes'
/// foreign key to their objects at the end of the statement, when the
/// objects are in.
struct SubmissionInsert<'a> {
    objects: UnnestInsert<'a, super::objects::ObjectsInsert>,
    codes: UnnestInsert<'a, super::objects::CodesInsert>,
    associations: UnnestInsert<'a, super::associations::AssociationsInsert>,
}

impl QueryFragment<Pg> for SubmissionInsert<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH o AS (");
        self.objects.walk_ast(out.reborrow())?;
        out.push_sql("), c AS (");
        self.codes.walk_ast(out.reborrow())?;
        out.push_sql(") ");
        self.associations.walk_ast(out.reborrow())?;
        out.push_sql(" ON CONFLICT (");
        out.push_identifier(<associations::id as Column>::NAME)?;
        out.push_sql(") DO NOTHING RETURNING ");
        out.push_identifier(<associations::id as Column>::NAME)?;
        Ok(())
    }
}

/// Names the statement for diesel's cache.
struct SubmissionInsertId;

impl QueryId for SubmissionInsert<'_> {
    type QueryId = SubmissionInsertId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for SubmissionInsert<'_> {
    type SqlType = diesel::sql_types::Text;
}

impl RunQueryDsl<PgConnection> for SubmissionInsert<'_> {}
