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
