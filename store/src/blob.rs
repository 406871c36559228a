//! Document bytes in an object store (local directory by default; S3 or
//! in-memory plug in through [`BlobStore::new`]). Writes stream through a
//! multipart upload, so memory use is bounded whatever the document size.

use crate::error::StoreError;
use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{GetResultPayload, ObjectStore, ObjectStoreExt, WriteMultipart};
use std::io::Read;
use std::sync::Arc;

/// Bytes buffered per upload part. S3 needs at least 5 MiB per part (but the last).
const PART_SIZE: usize = 5 * 1024 * 1024;
/// Parts uploading at once per writer; with the part being filled this caps a
/// writer's memory at about `(MAX_PARTS_IN_FLIGHT + 1) * PART_SIZE`.
const MAX_PARTS_IN_FLIGHT: usize = 2;
/// Bytes read from a local document file per blocking call when streaming it out.
const READ_CHUNK: usize = 128 * 1024;
/// Prefix of every document key.
const DOCUMENT_PREFIX: &str = "documents";

/// Where document bytes live. Cheap to clone.
#[derive(Clone, Debug)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
}

impl BlobStore {
    /// Any object_store backend (S3, InMemory, ...).
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self { inner }
    }

    /// Files under `dir` (created if missing). Each write lands in a staging
    /// file and is renamed into place on finish, so readers never see a part;
    /// finished files are fsynced, so a document is on disk before the
    /// database row that points at it commits.
    pub fn local(dir: &std::path::Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)?;
        let fs = LocalFileSystem::new_with_prefix(dir)?
            .with_fsync(true)
            .with_automatic_cleanup(true);
        Ok(Self::new(Arc::new(fs)))
    }

    /// Memory only, for tests.
    pub fn in_memory() -> Self {
        Self::new(Arc::new(InMemory::new()))
    }

    /// A fresh key for a new document (`documents/<uuid>`). Keys are never
    /// derived from client input.
    pub fn new_key() -> String {
        format!("{DOCUMENT_PREFIX}/{}", uuid::Uuid::new_v4())
    }

    /// Document keys whose object was last written before `older_than`: the
    /// candidates of the orphan sweep (a crash between writing the bytes and
    /// committing their database row leaves such an object behind).
    pub async fn document_keys_older_than(
        &self,
        older_than: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let prefix = ObjectPath::from(DOCUMENT_PREFIX);
        let metas: Vec<object_store::ObjectMeta> =
            self.inner.list(Some(&prefix)).try_collect().await?;
        Ok(metas
            .into_iter()
            .filter(|m| m.last_modified < older_than)
            .map(|m| m.location.to_string())
            .collect())
    }

    /// Starts writing the object `key`. Nothing is visible under `key` until
    /// [`BlobWriter::finish`]; call [`BlobWriter::abort`] on failure.
    pub async fn writer(&self, key: &str) -> Result<BlobWriter, StoreError> {
        let path = object_path(key)?;
        let upload = self.inner.put_multipart(&path).await?;
        Ok(BlobWriter {
            key: key.to_string(),
            upload: Some(WriteMultipart::new_with_chunk_size(upload, PART_SIZE)),
            size: 0,
        })
    }

    /// The object's bytes as a stream.
    pub async fn get(
        &self,
        key: &str,
    ) -> Result<BoxStream<'static, Result<Bytes, StoreError>>, StoreError> {
        Ok(self.get_sized(key).await?.1)
    }

    /// The object's size and its bytes as a stream.
    pub async fn get_sized(
        &self,
        key: &str,
    ) -> Result<(u64, BoxStream<'static, Result<Bytes, StoreError>>), StoreError> {
        let found = self.inner.get(&object_path(key)?).await?;
        let size = found.meta.size;
        let bytes = match found.payload {
            GetResultPayload::File(file, _) => file_chunks(file, size),
            GetResultPayload::Stream(s) => s.map_err(StoreError::from).boxed(),
        };
        Ok((size, bytes))
    }

    /// The object's size.
    pub async fn size(&self, key: &str) -> Result<u64, StoreError> {
        Ok(self.inner.head(&object_path(key)?).await?.size)
    }

    /// Deletes the object; deleting a missing object is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self.inner.delete(&object_path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// A local file's first `size` bytes in [`READ_CHUNK`] pieces, each read on
/// the blocking pool. (object_store's own stream reads 8 KiB per blocking
/// call: 128 thread hand-offs per megabyte, the bulk of ITI-43's cost for
/// large documents.)
fn file_chunks(file: std::fs::File, size: u64) -> BoxStream<'static, Result<Bytes, StoreError>> {
    futures_util::stream::try_unfold((file, size), |(mut file, left)| async move {
        if left == 0 {
            return Ok(None);
        }
        let want = usize::try_from(left).map_or(READ_CHUNK, |l| l.min(READ_CHUNK));
        let (file, chunk) = tokio::task::spawn_blocking(move || {
            let mut chunk = vec![0u8; want];
            let mut filled = 0;
            while filled < want {
                match file.read(&mut chunk[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            chunk.truncate(filled);
            Ok((file, chunk))
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))??;
        if chunk.is_empty() {
            // Shorter than its recorded size: truncated on disk.
            return Err(StoreError::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "document file is shorter than its recorded size",
            )));
        }
        let left = left - chunk.len() as u64;
        Ok(Some((Bytes::from(chunk), (file, left))))
    })
    .boxed()
}

fn object_path(key: &str) -> Result<ObjectPath, StoreError> {
    ObjectPath::parse(key).map_err(|e| StoreError::BlobKey {
        key: key.to_string(),
        reason: e.to_string(),
    })
}

/// A streaming upload of one object. Dropping it unfinished aborts the
/// upload in the background (when a tokio runtime is available).
pub struct BlobWriter {
    key: String,
    /// `None` once finished or aborted.
    upload: Option<WriteMultipart>,
    size: u64,
}

impl std::fmt::Debug for BlobWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobWriter")
            .field("key", &self.key)
            .field("size", &self.size)
            .finish()
    }
}

impl BlobWriter {
    /// Appends a chunk, waiting while too many parts are uploading.
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        let upload = self
            .upload
            .as_mut()
            .ok_or_else(|| StoreError::Task("blob writer already closed".into()))?;
        upload.wait_for_capacity(MAX_PARTS_IN_FLIGHT).await?;
        self.size += chunk.len() as u64;
        upload.put(chunk);
        Ok(())
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// Completes the upload and makes the object visible. Returns its size.
    pub async fn finish(mut self) -> Result<u64, StoreError> {
        let upload = self
            .upload
            .take()
            .ok_or_else(|| StoreError::Task("blob writer already closed".into()))?;
        // On failure object_store aborts the upload itself.
        upload.finish().await?;
        Ok(self.size)
    }

    /// Abandons the upload; nothing remains under the key.
    pub async fn abort(mut self) {
        if let Some(upload) = self.upload.take()
            && let Err(e) = upload.abort().await
        {
            tracing::warn!(key = %self.key, error = %e, "could not abort blob upload");
        }
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        let Some(upload) = self.upload.take() else {
            return;
        };
        let key = std::mem::take(&mut self.key);
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    if let Err(e) = upload.abort().await {
                        tracing::warn!(%key, error = %e, "could not abort dropped blob upload");
                    }
                });
            }
            Err(_) => {
                tracing::warn!(%key, "blob upload dropped outside a runtime; staging data may remain")
            }
        }
    }
}
