//! A PostgreSQL multi-row INSERT that stays prepared.
//!
//! diesel renders a multi-row INSERT as `VALUES ($1, …), ($29, …)`; its text
//! depends on the row count, so diesel never caches it and PostgreSQL
//! parses and plans it on every registration (a SubmissionSet and its
//! DocumentEntries, their codes). [`UnnestInsert`] binds one array per
//! column instead, `INSERT INTO t (a, b) SELECT * FROM unnest($1, $2)`:
//! the text is the same for any number of rows, and its static [`QueryId`]
//! keeps it in diesel's statement cache.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{Array, HasSqlType};
use std::fmt::Debug;
use std::marker::PhantomData;

/// One column's values, bound as one array parameter.
trait ColumnArray {
    fn name(&self) -> &'static str;
    fn bind<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()>;
}

struct Column<ST, T> {
    name: &'static str,
    values: Vec<T>,
    sql_type: PhantomData<ST>,
}

impl<ST, T> ColumnArray for Column<ST, T>
where
    ST: 'static,
    Pg: HasSqlType<ST>,
    T: ToSql<ST, Pg> + Debug,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn bind<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_bind_param::<Array<ST>, Vec<T>>(&self.values)
    }
}

/// `INSERT INTO table (columns) SELECT * FROM unnest(arrays)`. `Id` names
/// the statement for diesel's cache: one `Id` per table and column list.
pub(crate) struct UnnestInsert<'a, Id> {
    table: &'static str,
    columns: Vec<Box<dyn ColumnArray + 'a>>,
    statement: PhantomData<Id>,
}

impl<'a, Id> UnnestInsert<'a, Id> {
    pub(crate) fn into(table: &'static str) -> Self {
        Self {
            table,
            columns: Vec::new(),
            statement: PhantomData,
        }
    }

    /// Adds column `name` of SQL type `ST` with one value per row.
    pub(crate) fn column<ST, T>(
        mut self,
        name: &'static str,
        values: impl Iterator<Item = T>,
    ) -> Self
    where
        ST: 'static,
        Pg: HasSqlType<ST>,
        T: ToSql<ST, Pg> + Debug + 'a,
    {
        self.columns.push(Box::new(Column::<ST, T> {
            name,
            values: values.collect(),
            sql_type: PhantomData,
        }));
        self
    }
}

impl<Id> QueryFragment<Pg> for UnnestInsert<'_, Id> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("INSERT INTO ");
        out.push_identifier(self.table)?;
        out.push_sql(" (");
        for (i, c) in self.columns.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_identifier(c.name())?;
        }
        out.push_sql(") SELECT * FROM unnest(");
        for (i, c) in self.columns.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            c.bind(&mut out)?;
        }
        out.push_sql(")");
        Ok(())
    }
}

impl<Id: 'static> QueryId for UnnestInsert<'_, Id> {
    type QueryId = Id;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Id> diesel::RunQueryDsl<diesel::PgConnection> for UnnestInsert<'_, Id> {}

#[cfg(test)]
mod tests {
    use crate::queries::associations::associations_unnest;
    use crate::queries::objects::{codes_unnest, objects_unnest};
    use crate::schema::{associations, object_codes, registry_objects};
    use diesel::pg::Pg;
    use diesel::prelude::*;

    /// The quoted identifiers in `sql`, less the table's own name.
    fn identifiers(sql: &str, table: &str) -> Vec<String> {
        sql.split('"')
            .skip(1)
            .step_by(2)
            .filter(|name| *name != table)
            .map(str::to_string)
            .collect()
    }

    /// The columns `insert` names, and those of `select`, a SELECT of all
    /// of `table`'s columns.
    fn columns(
        insert: &impl diesel::query_builder::QueryFragment<Pg>,
        select: &impl diesel::query_builder::QueryFragment<Pg>,
        table: &str,
    ) -> (Vec<String>, Vec<String>) {
        let sql = |q: String| identifiers(&q, table);
        (
            sql(diesel::debug_query::<Pg, _>(insert).to_string()),
            sql(diesel::debug_query::<Pg, _>(select).to_string()),
        )
    }

    /// A column added to a table must be added to its INSERT too: the
    /// derived single-row INSERT would have refused to compile, this one
    /// would leave the column NULL.
    #[test]
    fn each_insert_names_every_column_of_its_table_in_order() {
        let (insert, all) = columns(
            &objects_unnest(&[]),
            &registry_objects::table.select(registry_objects::all_columns),
            "registry_objects",
        );
        assert_eq!(insert, all);
        let (insert, all) = columns(
            &codes_unnest(&[]),
            &object_codes::table.select(object_codes::all_columns),
            "object_codes",
        );
        assert_eq!(insert, all);
        let (insert, all) = columns(
            &associations_unnest(&[]),
            &associations::table.select(associations::all_columns),
            "associations",
        );
        assert_eq!(insert, all);
    }

    #[test]
    fn the_statement_text_does_not_depend_on_the_row_count() {
        let row = crate::models::ObjectCodeRow {
            object_id: "o".into(),
            patient_id: "p".into(),
            kind: "k".into(),
            value: "v".into(),
        };
        let sql = |n: usize| {
            let rows: Vec<_> = std::iter::repeat_n(&row, n).collect();
            let text = diesel::debug_query::<Pg, _>(&codes_unnest(&rows)).to_string();
            text.split(" -- binds:")
                .next()
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(sql(1), sql(7));
        assert_eq!(
            sql(1),
            r#"INSERT INTO "object_codes" ("object_id", "patient_id", "kind", "value") SELECT * FROM unnest($1, $2, $3, $4)"#
        );
    }
}
