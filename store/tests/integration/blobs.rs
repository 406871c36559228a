//! Blob store: streaming writes, reads, abort and delete.

use bytes::Bytes;
use futures_util::TryStreamExt;
use store::BlobStore;

/// 20 MB of non-repeating-looking bytes.
fn payload() -> Vec<u8> {
    let mut state: u32 = 0x1234_5678;
    (0..20 * 1024 * 1024)
        .map(|_| {
            // xorshift32
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

async fn write_in_chunks(blobs: &BlobStore, key: &str, data: &[u8]) -> u64 {
    let mut w = blobs.writer(key).await.unwrap();
    // Odd chunk size so parts never line up with chunks.
    for chunk in data.chunks(64 * 1024 + 7) {
        w.write(Bytes::copy_from_slice(chunk)).await.unwrap();
    }
    assert_eq!(w.size(), data.len() as u64);
    w.finish().await.unwrap()
}

async fn read_all(blobs: &BlobStore, key: &str) -> Vec<u8> {
    let stream = blobs.get(key).await.unwrap();
    let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
    chunks.concat()
}

async fn round_trip(blobs: BlobStore) {
    let data = payload();
    let key = BlobStore::new_key();
    assert!(key.starts_with("documents/"));
    let size = write_in_chunks(&blobs, &key, &data).await;
    assert_eq!(size, data.len() as u64);
    assert_eq!(blobs.size(&key).await.unwrap(), size);
    let (sized, _) = blobs.get_sized(&key).await.unwrap();
    assert_eq!(sized, size);
    assert!(read_all(&blobs, &key).await == data, "bytes differ");
    blobs.delete(&key).await.unwrap();
    assert!(blobs.get(&key).await.err().unwrap().is_not_found());
    // Deleting again is fine.
    blobs.delete(&key).await.unwrap();
}

#[tokio::test]
async fn local_files_stream_20_mb() {
    let dir = tempfile::tempdir().unwrap();
    round_trip(BlobStore::local(&dir.path().join("blobs")).unwrap()).await;
}

#[tokio::test]
async fn in_memory_streams_20_mb() {
    round_trip(BlobStore::in_memory()).await;
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out
}

#[tokio::test]
async fn abort_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::local(dir.path()).unwrap();
    let key = BlobStore::new_key();
    let mut w = blobs.writer(&key).await.unwrap();
    // More than one part, so parts were already written to staging.
    w.write(Bytes::from(vec![7u8; 12 * 1024 * 1024]))
        .await
        .unwrap();
    w.abort().await;
    assert!(blobs.get(&key).await.err().unwrap().is_not_found());
    assert_eq!(files_under(dir.path()), Vec::<std::path::PathBuf>::new());
}

#[tokio::test]
async fn dropping_an_unfinished_writer_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::local(dir.path()).unwrap();
    let key = BlobStore::new_key();
    {
        let mut w = blobs.writer(&key).await.unwrap();
        w.write(Bytes::from_static(b"partial")).await.unwrap();
    }
    // The abort runs in the background.
    for _ in 0..100 {
        if files_under(dir.path()).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(files_under(dir.path()).is_empty());
    assert!(blobs.get(&key).await.err().unwrap().is_not_found());
}

#[tokio::test]
async fn keys_are_validated() {
    let blobs = BlobStore::in_memory();
    assert!(matches!(
        blobs.get("../etc/passwd").await,
        Err(store::StoreError::BlobKey { .. })
    ));
}

#[tokio::test]
async fn a_local_file_shorter_than_recorded_is_an_error_not_a_short_document() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::local(&dir.path().join("blobs")).unwrap();
    let key = BlobStore::new_key();
    let data = payload();
    write_in_chunks(&blobs, &key, &data[..1024 * 1024]).await;
    let (size, stream) = blobs.get_sized(&key).await.unwrap();
    assert_eq!(size, 1024 * 1024);
    // Cut the file on disk after its size was read.
    let file = std::fs::read_dir(dir.path().join("blobs/documents"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(300 * 1024)
        .unwrap();
    let read: Result<Vec<Bytes>, _> = stream.try_collect().await;
    assert!(
        read.is_err(),
        "a truncated document must not stream as complete"
    );
}
