//! `Store::write` commits on Ok, rolls back on Err and panics, and keeps
//! concurrent writers apart.

use crate::*;

#[tokio::test]
async fn err_rolls_back_everything() {
    let (store, _db) = fresh_store().await;
    let result = store
        .write(|conn| {
            store::add_patient(conn, "P1")?;
            store::insert_objects(conn, &[object("urn:uuid:1", "P1", store::KIND_FOLDER, 1)])?;
            Err::<(), _>(AppError::Rejected)
        })
        .await;
    assert!(matches!(result, Err(AppError::Rejected)));
    assert!(!exists(&store, "P1").await);
    let objects = store
        .read(|conn| store::objects_by_ids(conn, &strings(&["urn:uuid:1"])))
        .await
        .unwrap();
    assert!(objects.is_empty());
}

#[tokio::test]
async fn ok_commits() {
    let (store, _db) = fresh_store().await;
    let added = store
        .write(|conn| store::add_patient(conn, "P1"))
        .await
        .unwrap();
    assert!(added);
    assert!(exists(&store, "P1").await);
    // Adding again reports "already known" without failing the transaction.
    let again = store
        .write(|conn| {
            let again = store::add_patient(conn, "P1")?;
            store::add_patient(conn, "P2")?;
            Ok::<_, StoreError>(again)
        })
        .await
        .unwrap();
    assert!(!again);
    assert!(exists(&store, "P2").await);
}

#[tokio::test]
async fn store_errors_reach_the_callers_error_type() {
    let (store, _db) = fresh_store().await;
    let result = store
        .write(|conn| {
            store::add_patient(conn, "P1")?;
            // Foreign key violation: no such patient.
            store::insert_objects(
                conn,
                &[object("urn:uuid:1", "nobody", store::KIND_FOLDER, 1)],
            )?;
            Ok::<_, AppError>(())
        })
        .await;
    assert!(matches!(
        result,
        Err(AppError::Store(StoreError::Database(_)))
    ));
    assert!(!exists(&store, "P1").await);
}

#[tokio::test]
async fn a_panic_rolls_back_and_the_pool_recovers() {
    let (store, _db) = fresh_store().await;
    let result = store
        .write(|conn| {
            store::add_patient(conn, "P1")?;
            if store::patient_exists(conn, "P1")? {
                panic!("boom");
            }
            Ok::<_, StoreError>(())
        })
        .await;
    assert!(matches!(result, Err(StoreError::Task(_))));
    assert!(!exists(&store, "P1").await);
    store
        .write(|conn| store::add_patient(conn, "P2"))
        .await
        .unwrap();
    assert!(exists(&store, "P2").await);
}

/// Read-then-write transactions in parallel: with SQLite's `BEGIN IMMEDIATE`
/// none fails with "database is locked".
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_all_succeed() {
    let (store, _db) = fresh_store().await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .write(move |conn| {
                    let id = format!("P{i}");
                    if store::patient_exists(conn, &id)? {
                        return Ok(false);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    store::add_patient(conn, &id)
                })
                .await
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap().unwrap());
    }
    let count = store
        .read(|conn| {
            (0..16)
                .map(|i| store::patient_exists(conn, &format!("P{i}")))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .unwrap();
    assert!(count.into_iter().all(|e| e));
}

#[tokio::test]
async fn lock_patient_reports_existence() {
    let (store, _db) = fresh_store().await;
    add_patients(&store, &["P1"]).await;
    let (known, unknown) = store
        .write(|conn| {
            Ok::<_, StoreError>((
                store::lock_patient(conn, "P1")?,
                store::lock_patient(conn, "P9")?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(known.map(|p| p.patient_id).as_deref(), Some("P1"));
    assert!(unknown.is_none());
}

#[tokio::test]
async fn read_refuses_writes_on_every_backend() {
    let (store, _db) = fresh_store().await;
    let result = store.read(|conn| store::add_patient(conn, "P1")).await;
    assert!(matches!(result, Err(StoreError::Database(_))), "{result:?}");
    // The connection is writable again for the next write.
    for _ in 0..4 {
        store
            .write(|conn| store::add_patient(conn, "P1"))
            .await
            .unwrap();
    }
    assert!(exists(&store, "P1").await);
}

#[tokio::test]
async fn read_sees_one_snapshot() {
    let (store, _db) = fresh_store().await;
    let writer = store.clone();
    let (before, after) = store
        .read(move |conn| {
            let before = store::patient_exists(conn, "P1")?;
            // Committed by another connection while this read is open.
            let handle = tokio::runtime::Handle::current();
            std::thread::spawn(move || {
                handle.block_on(writer.write(|c| store::add_patient(c, "P1")))
            })
            .join()
            .unwrap()?;
            Ok::<_, StoreError>((before, store::patient_exists(conn, "P1")?))
        })
        .await
        .unwrap();
    assert!(!before);
    assert!(!after, "a read transaction keeps its snapshot");
    assert!(exists(&store, "P1").await);
}

/// SQLite: committed pages reach the database file without any commit
/// checkpointing (the background checkpointer), long before the
/// connections' own backstop of 25,000 WAL pages.
#[tokio::test]
async fn sqlite_wal_is_checkpointed_in_the_background() {
    let (store, db) = fresh_store().await;
    if store.backend() != store::Backend::Sqlite {
        return;
    }
    let path = std::path::PathBuf::from(db.url().trim_start_matches("sqlite://"));
    let size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let before = size();
    for batch in 0..20 {
        store
            .write(move |conn| {
                for i in 0..50 {
                    let id = format!("P{batch:02}{i:03}-{}", "x".repeat(400));
                    store::add_patient(conn, &id)?;
                }
                Ok::<_, StoreError>(())
            })
            .await
            .unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while size() <= before + 200 * 1024 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        size() > before + 200 * 1024,
        "the database file stayed at {} bytes (was {before}): nothing was checkpointed",
        size()
    );
}

#[derive(diesel::QueryableByName)]
struct Synchronous {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    synchronous: i32,
}

/// SQLite: the writer and the readers sync the WAL at every commit
/// (`synchronous = FULL`, 2), so an acknowledged commit survives a power
/// loss. PostgreSQL's own `synchronous_commit` is the server's setting.
#[tokio::test]
async fn sqlite_commits_are_synced_before_they_are_acknowledged() {
    use diesel::RunQueryDsl;
    let (store, _db) = fresh_store().await;
    if store.backend() != store::Backend::Sqlite {
        return;
    }
    let level = |conn: &mut store::AnyConnection| {
        let store::AnyConnection::Sqlite(c) = conn else {
            unreachable!("a SQLite store")
        };
        Ok::<_, StoreError>(
            diesel::sql_query("PRAGMA synchronous")
                .get_result::<Synchronous>(c)?
                .synchronous,
        )
    };
    assert_eq!(store.write(level).await.unwrap(), 2, "writer");
    assert_eq!(store.read(level).await.unwrap(), 2, "reader");
}
