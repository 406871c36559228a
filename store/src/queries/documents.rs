//! The repository's stored documents (the bytes are in the blob store).

use super::{IN_LIST_CHUNK, one_of};
use crate::error::StoreError;
use crate::models::{DocumentRow, NewDocument};
use crate::schema::documents;
use crate::{AnyConnection, Db};
use diesel::prelude::*;

/// Records a stored document. A second row for the same
/// (repositoryUniqueId, uniqueId) fails with a unique violation.
pub fn insert_document(conn: &mut AnyConnection, row: &NewDocument) -> Result<(), StoreError> {
    diesel::insert_into(documents::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The document this repository holds under `unique_id`, if any.
pub fn document_by_unique_id(
    conn: &mut AnyConnection,
    repository_unique_id: &str,
    unique_id: &str,
) -> Result<Option<DocumentRow>, StoreError> {
    Ok(documents::table
        .find((repository_unique_id, unique_id))
        .select(DocumentRow::as_select())
        .first(conn)
        .optional()?)
}

/// The documents this repository holds under any of `unique_ids`.
pub fn documents_by_unique_ids(
    conn: &mut AnyConnection,
    repository_unique_id: &str,
    unique_ids: &[String],
) -> Result<Vec<DocumentRow>, StoreError> {
    let mut out = Vec::new();
    for chunk in unique_ids.chunks(IN_LIST_CHUNK) {
        let q = documents::table
            .filter(documents::repository_unique_id.eq(repository_unique_id))
            .order(documents::unique_id)
            .select(DocumentRow::as_select())
            .into_boxed::<Db>();
        out.extend(one_of!(conn, q, documents::unique_id, chunk)?.load(conn)?);
    }
    Ok(out)
}

/// Forgets stored documents (their blobs are the caller's to delete).
/// Returns the rows removed.
pub fn delete_documents(
    conn: &mut AnyConnection,
    repository_unique_id: &str,
    unique_ids: &[String],
) -> Result<usize, StoreError> {
    let mut removed = 0;
    for chunk in unique_ids.chunks(IN_LIST_CHUNK) {
        removed += diesel::delete(
            documents::table
                .filter(documents::repository_unique_id.eq(repository_unique_id))
                .filter(documents::unique_id.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    Ok(removed)
}

/// Which of these blob keys a stored document points at.
pub fn referenced_blob_keys(
    conn: &mut AnyConnection,
    keys: &[String],
) -> Result<std::collections::HashSet<String>, StoreError> {
    let mut found = std::collections::HashSet::new();
    for chunk in keys.chunks(IN_LIST_CHUNK) {
        let rows: Vec<String> = documents::table
            .filter(documents::blob_key.eq_any(chunk))
            .select(documents::blob_key)
            .load(conn)?;
        found.extend(rows);
    }
    Ok(found)
}
