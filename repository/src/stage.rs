//! Streaming a document into the blob store while computing what XDS needs
//! to know about it (SHA-1, size). Bytes never sit whole in memory.

use crate::Repository;
use bytes::Bytes;
use sha1::{Digest, Sha1};
use store::{BlobStore, BlobWriter, StoreError};

/// A document written to the blob store but not yet registered. Until the
/// registering transaction commits it must be deleted on every failure path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedDocument {
    pub blob_key: String,
    pub size: u64,
    /// Lower-case hex SHA-1 of the bytes.
    pub sha1_hex: String,
}

pub struct Stager {
    key: String,
    writer: BlobWriter,
    hasher: Sha1,
    size: u64,
}

impl Stager {
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        self.hasher.update(&chunk);
        self.size += chunk.len() as u64;
        self.writer.write(chunk).await
    }

    pub async fn finish(self) -> Result<StagedDocument, StoreError> {
        self.writer.finish().await?;
        Ok(StagedDocument {
            blob_key: self.key,
            size: self.size,
            sha1_hex: hex::encode(self.hasher.finalize()),
        })
    }

    pub async fn abort(self) {
        self.writer.abort().await;
    }
}

impl Repository {
    /// Opens a new blob for an incoming document.
    pub async fn stage(&self) -> Result<Stager, StoreError> {
        let key = BlobStore::new_key();
        let writer = self.blobs.writer(&key).await?;
        Ok(Stager {
            key,
            writer,
            hasher: Sha1::new(),
            size: 0,
        })
    }

    /// Stages bytes already in memory (inline base64 documents).
    pub async fn stage_bytes(&self, bytes: Vec<u8>) -> Result<StagedDocument, StoreError> {
        let mut s = self.stage().await?;
        if let Err(e) = s.write(Bytes::from(bytes)).await {
            s.abort().await;
            return Err(e);
        }
        s.finish().await
    }

    /// Deletes staged documents of a submission that did not commit.
    pub async fn discard<'a>(&self, staged: impl IntoIterator<Item = &'a StagedDocument>) {
        for d in staged {
            if let Err(e) = self.blobs.delete(&d.blob_key).await {
                tracing::warn!(key = %d.blob_key, error = %e, "could not delete staged document");
            }
        }
    }
}

impl Repository {
    /// Deletes document objects that no stored document row points at and
    /// that are older than `grace` (the leftovers of a crash between writing
    /// the bytes and committing the registration). Returns how many went.
    pub async fn sweep_orphans(&self, grace: std::time::Duration) -> Result<usize, StoreError> {
        let cutoff = chrono::Utc::now()
            - chrono::Duration::from_std(grace).unwrap_or_else(|_| chrono::Duration::hours(6));
        let keys = self.blobs.document_keys_older_than(cutoff).await?;
        if keys.is_empty() {
            return Ok(0);
        }
        let lookup = keys.clone();
        let referenced = self
            .registry
            .store()
            .read(move |conn| store::referenced_blob_keys(conn, &lookup))
            .await?;
        let mut removed = 0;
        for key in keys.iter().filter(|k| !referenced.contains(*k)) {
            self.blobs.delete(key).await?;
            tracing::warn!(key = %key, "deleted an orphaned document object");
            removed += 1;
        }
        Ok(removed)
    }
}
