//! `column IN (values)` that stays prepared on SQLite.
//!
//! diesel renders `IN (?, ?, ...)` with one bind per value and, because
//! the statement's text depends on the list's length, never puts it in its
//! prepared-statement cache: on SQLite every such lookup was parsed again
//! (a few per cent of the hub's CPU on ITI-18 and ITI-42, BENCHMARKS.md
//! "Profiles"). [`one_of!`] binds the whole list as one JSON array instead,
//! `column IN (SELECT value FROM json_each(?))`, whose text never changes.
//! PostgreSQL keeps diesel's `= ANY($1)`, already one array bind.

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{Bool, HasSqlType, Text};

/// SQLite's `column IN (SELECT value FROM json_each(?))`. Only for SQLite
/// connections; [`one_of!`] chooses it.
#[derive(Debug, Clone)]
pub struct InJsonArray<C> {
    column: C,
    json: String,
}

impl<C> InJsonArray<C> {
    pub fn new(column: C, values: &[String]) -> Result<Self, crate::StoreError> {
        let json = serde_json::to_string(values)
            .map_err(|e| crate::StoreError::Serialization(e.to_string()))?;
        Ok(Self { column, json })
    }
}

impl<C: Expression> Expression for InJsonArray<C> {
    type SqlType = Bool;
}

// Generic over the backend because diesel renders a subquery's filters
// through the concrete backends' implementations; only SQLite connections
// are ever given one ([`one_of!`]).
impl<DB, C> QueryFragment<DB> for InJsonArray<C>
where
    DB: Backend + HasSqlType<Text>,
    C: QueryFragment<DB>,
    String: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> diesel::QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<Text, String>(&self.json)?;
        out.push_sql("))");
        Ok(())
    }
}

impl<C: QueryId + 'static> QueryId for InJsonArray<C> {
    type QueryId = InJsonArray<C::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = C::HAS_STATIC_QUERY_ID;
}

impl<C: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for InJsonArray<C> {}

impl<C: SelectableExpression<QS>, QS> SelectableExpression<QS> for InJsonArray<C> {}

impl<C: ValidGrouping<GB>, GB> ValidGrouping<GB> for InJsonArray<C> {
    type IsAggregate = C::IsAggregate;
}

/// Filters boxed query `$q` on text column `$column` being one of
/// `$values` (a `&[String]`), as a statement both backends keep prepared:
/// `= ?` for one value; otherwise `= ANY($1)` on PostgreSQL and
/// [`InJsonArray`] on SQLite. `$conn` is the `AnyConnection` the query will
/// run on. Evaluates to `Result<query, StoreError>`.
macro_rules! one_of {
    ($conn:expr, $q:expr, $column:expr, $values:expr) => {{
        let values: &[String] = $values;
        if values.len() == 1 {
            Ok($q.filter($column.eq(&values[0])))
        } else {
            match &*$conn {
                $crate::AnyConnection::Postgresql(_) => Ok($q.filter($column.eq_any(values))),
                $crate::AnyConnection::Sqlite(_) => {
                    $crate::queries::in_list::InJsonArray::new($column, values)
                        .map(|predicate| $q.filter(predicate))
                }
            }
        }
    }};
}
pub(crate) use one_of;
