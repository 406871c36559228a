//! Schema and migrations on the configured backend.

use crate::*;
use store::{Backend, testing::TestDatabase};

#[tokio::test]
async fn migrations_apply_and_are_idempotent() {
    let db = TestDatabase::new().await.unwrap();
    let store = Store::open(db.url(), 2).await.unwrap();
    assert_eq!(store.backend(), db.backend());
    store.ping().await.unwrap();
    drop(store);
    // A second open finds nothing pending and the schema intact.
    let again = Store::open(db.url(), 1).await.unwrap();
    again.ping().await.unwrap();
}

#[tokio::test]
async fn every_column_round_trips() {
    let (store, _db) = fresh_store().await;
    add_patients(&store, &["P1^^^&1.2&ISO"]).await;
    let full = NewRegistryObject {
        object_type: Some(STABLE.into()),
        submission_set_id: Some("ss".into()),
        class_code: Some("c^^s".into()),
        type_code: Some("t^^s".into()),
        format_code: Some("f^^s".into()),
        practice_setting_code: Some("p^^s".into()),
        healthcare_facility_type_code: Some("h^^s".into()),
        creation_time: Some("20200102030405".into()),
        service_start_time: Some("2020".into()),
        service_stop_time: Some("202101".into()),
        submission_time: Some("20200102".into()),
        source_id: Some("1.2.3".into()),
        content_type_code: Some("ct^^s".into()),
        last_update_time: Some("2020010203".into()),
        hash: Some("da39a3ee5e6b4b0d3255bfef95601890afd80709".into()),
        size: Some(5_000_000_000),
        repository_unique_id: Some("1.2.3.4".into()),
        mime_type: Some("text/xml".into()),
        ..object("urn:uuid:a", "P1^^^&1.2&ISO", store::KIND_DOCUMENT_ENTRY, 1)
    };
    let inserted = full.clone();
    let loaded = store
        .write(move |conn| {
            store::insert_objects(conn, std::slice::from_ref(&inserted))?;
            store::objects_by_ids(conn, &["urn:uuid:a".to_string()])
        })
        .await
        .unwrap();
    let expected = NewRegistryObject {
        // DTM columns come back in comparable (14-digit) form.
        service_start_time: Some("20200000000000".into()),
        service_stop_time: Some("20210100000000".into()),
        submission_time: Some("20200102000000".into()),
        last_update_time: Some("20200102030000".into()),
        ..full
    };
    assert_eq!(loaded, vec![expected]);
}

#[tokio::test]
async fn unknown_patient_is_refused_by_the_schema() {
    let (store, _db) = fresh_store().await;
    let err = store
        .write(|conn| {
            store::insert_objects(
                conn,
                &[object("urn:uuid:x", "nobody", store::KIND_FOLDER, 1)],
            )
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err}");
}

#[tokio::test]
async fn bad_urls_are_configuration_errors() {
    assert!(matches!(
        Store::open("mysql://h/db", 1).await,
        Err(StoreError::Config(_))
    ));
    assert!(matches!(
        Store::open(":memory:", 1).await,
        Err(StoreError::Config(_))
    ));
}

#[tokio::test]
async fn sqlite_plain_path_creates_the_file_and_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("hub.db");
    let store = Store::open(path.to_str().unwrap(), 1).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(path.exists());
}

/// Hub nodes starting at once all migrate the same (empty) database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_opens_agree() {
    let db = TestDatabase::new().await.unwrap();
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url().to_string();
            tokio::spawn(async move { Store::open(&url, 1).await })
        })
        .collect();
    for open in opens {
        open.await.unwrap().unwrap().ping().await.unwrap();
    }
}
