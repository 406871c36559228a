//! Query functions, all taking `&mut AnyConnection` so the registry and
//! repository compose them inside one [`crate::Store::write`] closure.

pub mod associations;
pub mod audit;
pub mod consent;
pub mod documents;
pub mod facilities;
pub mod filters;
pub mod in_list;
pub mod objects;
pub mod patients;
pub mod pix;
pub mod submission;
pub(crate) mod unnest;

/// Runs the same diesel expression on the inner connection of either backend,
/// for statements the MultiConnection backend cannot render (multi-row
/// INSERT, ON CONFLICT, FOR UPDATE).
macro_rules! per_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::AnyConnection::Postgresql($c) => $body,
            $crate::AnyConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use per_backend;

pub(crate) use in_list::one_of;

/// Inserts `$rows` (a `&[&Row]`) into `$table`; evaluates to the row count
/// as `Result<usize, StoreError>`. Both backends keep the statement
/// prepared, whatever the row count. PostgreSQL gets one
/// [`unnest::UnnestInsert`] per [`UNNEST_INSERT_CHUNK`] rows, built by
/// `$unnest` (a fn from `&[&Row]`), one round trip each. SQLite gets one
/// single-row INSERT per row: it has no round trip to save, and a
/// multi-row INSERT would be parsed again for each submission
/// (BENCHMARKS.md "Profiles").
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr, $unnest:expr) => {{
        let rows: &[&_] = $rows;
        let mut inserted = 0usize;
        match $conn {
            $crate::AnyConnection::Postgresql(c) => {
                for chunk in rows.chunks($crate::queries::UNNEST_INSERT_CHUNK) {
                    inserted += $unnest(chunk).execute(c)?;
                }
            }
            $crate::AnyConnection::Sqlite(c) => {
                for row in rows {
                    inserted += diesel::insert_into($table).values(*row).execute(c)?;
                }
            }
        }
        Ok::<usize, $crate::StoreError>(inserted)
    }};
}
pub(crate) use insert_rows;

/// Rows per PostgreSQL INSERT: each column is one array parameter, so
/// only memory bounds it.
pub(crate) const UNNEST_INSERT_CHUNK: usize = 1000;

/// Most values bound in one `IN (...)` list. SQLite allows 32766 bound
/// parameters per statement and PostgreSQL 65535; stay far below both.
pub(crate) const IN_LIST_CHUNK: usize = 1000;

/// Width of a full XDS DTM (`YYYYMMDDhhmmss`).
const DTM_DIGITS: usize = 14;

/// The comparable form of an XDS DTM: right-padded with `0` to 14 digits,
/// so text order equals time order (`2004` < `200401011200` < `20040102`).
/// Longer values are kept as they are.
pub fn dtm_key(dtm: &str) -> String {
    let mut key = dtm.trim().to_string();
    while key.len() < DTM_DIGITS {
        key.push('0');
    }
    key
}

#[cfg(test)]
mod tests {
    use super::dtm_key;

    #[test]
    fn dtm_keys_order_like_times() {
        assert_eq!(dtm_key("2004"), "20040000000000");
        assert_eq!(dtm_key("20041231235959"), "20041231235959");
        assert!(dtm_key("2004") < dtm_key("200401011200"));
        assert!(dtm_key("200401011200") < dtm_key("20040102"));
        assert!(dtm_key("2004123123") < dtm_key("2005"));
    }
}
