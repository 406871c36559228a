//! Bytes whose registration never committed are swept; registered ones stay.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use registry::{Registry, RegistryConfig};
use repository::{Repository, RepositoryConfig};
use std::time::Duration;
use store::BlobStore;
use store::testing::TestDatabase;

#[tokio::test]
async fn orphaned_document_objects_are_swept_and_referenced_ones_kept() {
    let db = TestDatabase::new().await.unwrap();
    let store = db.open_store().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::local(dir.path()).unwrap();
    let registry = Registry::new(
        store.clone(),
        RegistryConfig {
            max_query_results: 10,
            home_community_id: "urn:oid:1.2.3".into(),
        },
    );
    let repo = Repository::new(
        registry,
        blobs,
        RepositoryConfig {
            repository_unique_id: "1.2.3.4".into(),
        },
    );
    let orphan = repo
        .stage_bytes(b"never registered".to_vec())
        .await
        .unwrap();
    let kept = repo.stage_bytes(b"registered".to_vec()).await.unwrap();
    let row = store::NewDocument {
        repository_unique_id: "1.2.3.4".into(),
        unique_id: "1.2.3.4.5".into(),
        blob_key: kept.blob_key.clone(),
        hash: kept.sha1_hex.clone(),
        size: kept.size as i64,
        mime_type: "text/plain".into(),
        patient_id: "P^^^&1.2.3&ISO".into(),
        stored_at: chrono::Utc::now().naive_utc(),
    };
    store
        .write(move |conn| {
            store::add_patient(conn, "P^^^&1.2.3&ISO")?;
            store::insert_document(conn, &row)
        })
        .await
        .unwrap();

    // Within the grace period nothing is touched.
    assert_eq!(
        repo.sweep_orphans(Duration::from_secs(3600)).await.unwrap(),
        0
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        repo.sweep_orphans(Duration::from_millis(1)).await.unwrap(),
        1
    );
    assert!(
        repo.blobs().size(&orphan.blob_key).await.is_err(),
        "orphan deleted"
    );
    assert_eq!(
        repo.blobs().size(&kept.blob_key).await.unwrap(),
        10,
        "registered bytes kept"
    );
}
