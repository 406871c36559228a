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

/// The patient of the upgrade test's rows.
const P: &str = "P1^^^&1.2&ISO";

/// The 2026-12-05 migrations rebuild `object_codes` and (SQLite) `audit_log`
/// and replace the lid index: a database seeded as the release before left
/// it reads the same after the upgrade.
#[tokio::test]
async fn upgrading_keeps_codes_versions_and_audit_rows() {
    let db = TestDatabase::new().await.unwrap();
    // Seeded as the release before left it (blocking calls: nothing else
    // runs on this test's runtime).
    let mut conn = db.migrate_through("2026-12-02-000000").unwrap();
    let at = "'2024-05-01 09:00:00'";
    let sql = [
        format!("INSERT INTO patients (patient_id, created_at) VALUES ('{P}', {at})"),
        objects_sql(at),
        format!(
            "INSERT INTO object_codes (object_id, patient_id, kind, value) VALUES \
             ('D1', '{P}', 'confidentialityCode', 'N^^c'), \
             ('D1', '{P}', 'eventCode', 'E1^^e'), \
             ('D2', '{P}', 'confidentialityCode', 'R^^c')"
        ),
        format!(
            "INSERT INTO audit_log (seq, recorded_at, transaction_label, event_id, \
             action, outcome, facility, patient, documents, access_basis, message, \
             prev_hash, hash) VALUES \
             (1, {at}, 'ITI-42', 'e1', 'C', 0, '1.2.3', '{P}', '[]', NULL, '<m/>', 'p0', 'h1'), \
             (2, {at}, 'ITI-18', 'e2', 'E', 4, NULL, NULL, '[]', 'consent', '<m2/>', 'h1', 'h2')"
        ),
    ];
    for s in sql {
        store::testing::execute_sql(&mut conn, &s).unwrap();
    }
    let before = snapshot(&mut conn);
    drop(conn);
    assert_eq!(before.0.len(), 3);
    assert_eq!(before.1.len(), 2);
    assert_eq!(before.2.len(), 2);

    let store = Store::open(db.url(), 1).await.unwrap();
    let after = store
        .read(|c| Ok::<_, StoreError>(snapshot(c)))
        .await
        .unwrap();
    assert_eq!(after, before);
    // And the upgraded schema takes new rows of every kind.
    store
        .write(|c| {
            store::insert_codes(
                c,
                &[store::ObjectCodeRow {
                    object_id: "D2".into(),
                    patient_id: P.into(),
                    kind: "eventCode".into(),
                    value: "E2^^e".into(),
                }],
            )
        })
        .await
        .unwrap();
}

/// Two versions of one logical DocumentEntry (lid D1).
fn objects_sql(at: &str) -> String {
    let row = |id: &str, lid: &str, version: i32, uid: &str| {
        format!(
            "('{id}', '{P}', 'DocumentEntry', '{lid}', {version}, '{uid}', 'Approved', \
             '1.2.3', '{{\"id\":\"{id}\"}}', {at})"
        )
    };
    format!(
        "INSERT INTO registry_objects (id, patient_id, kind, lid, version, unique_id, status, \
         submitter, body, registered_at) VALUES {}, {}",
        row("D1", "D1", 1, "1.2.3.1"),
        row("D2", "D1", 2, "1.2.3.1")
    )
}

type Snapshot = (
    Vec<store::ObjectCodeRow>,
    Vec<store::RegistryObjectRow>,
    Vec<store::AuditRow>,
);

fn snapshot(conn: &mut store::AnyConnection) -> Snapshot {
    let ids = ["D1".to_string(), "D2".to_string()];
    (
        store::codes_by_object_ids(conn, &[P.to_string()], &ids).unwrap(),
        store::objects_by_lid(conn, "D1").unwrap(),
        store::search_audit(conn, &store::AuditFilter::default(), 10).unwrap(),
    )
}
