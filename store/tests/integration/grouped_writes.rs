//! `Store::write_grouped`: concurrent callers share one transaction on
//! SQLite, yet each commits or fails alone and hears its own answer.

use crate::*;
use std::time::Duration;

/// Holds the writer for a while, so the writes started meanwhile queue up
/// and go in one batch.
fn hold_writer(store: &Store) -> tokio::task::JoinHandle<Result<(), StoreError>> {
    let store = store.clone();
    tokio::spawn(async move {
        store
            .write_grouped(|conn| {
                std::thread::sleep(Duration::from_millis(300));
                store::add_patient(conn, "HOLDER").map(drop)
            })
            .await
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_grouped_write_commits_or_fails_alone() {
    let (store, _db) = fresh_store().await;
    let holder = hold_writer(&store);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut writes = Vec::new();
    for i in 0..30 {
        let store = store.clone();
        writes.push(tokio::spawn(async move {
            store
                .write_grouped(move |conn| {
                    let patient = format!("G{i}");
                    store::add_patient(conn, &patient)?;
                    match i % 3 {
                        // Its own rule says no, after it wrote.
                        1 => Err(AppError::Rejected),
                        // A statement fails (no such patient: foreign key).
                        2 => {
                            store::insert_objects(
                                conn,
                                &[object(
                                    &format!("urn:uuid:{i}"),
                                    "nobody",
                                    store::KIND_FOLDER,
                                    i,
                                )],
                            )?;
                            Ok(i)
                        }
                        _ => {
                            store::insert_objects(
                                conn,
                                &[object(
                                    &format!("urn:uuid:{i}"),
                                    &patient,
                                    store::KIND_FOLDER,
                                    i,
                                )],
                            )?;
                            Ok(i)
                        }
                    }
                })
                .await
        }));
    }
    holder.await.unwrap().unwrap();
    for (i, write) in writes.into_iter().enumerate() {
        let result = write.await.unwrap();
        match i % 3 {
            1 => assert!(matches!(result, Err(AppError::Rejected)), "{i}: {result:?}"),
            2 => assert!(
                matches!(&result, Err(AppError::Store(e)) if !e.is_unique_violation()
                    && matches!(e, StoreError::Database(_))),
                "{i}: {result:?}"
            ),
            _ => assert_eq!(result.unwrap(), i as i64),
        }
        // Only the successful writes left anything behind.
        assert_eq!(exists(&store, &format!("G{i}")).await, i % 3 == 0, "G{i}");
    }
    let ids: Vec<String> = (0..30).map(|i| format!("urn:uuid:{i}")).collect();
    let stored = store
        .read(move |conn| store::objects_by_ids(conn, &ids))
        .await
        .unwrap();
    let mut stored: Vec<String> = stored.into_iter().map(|o| o.id).collect();
    stored.sort();
    let mut expected: Vec<String> = (0..30)
        .filter(|i| i % 3 == 0)
        .map(|i| format!("urn:uuid:{i}"))
        .collect();
    expected.sort();
    assert_eq!(stored, expected);
}

/// A later write in the same batch sees what an earlier one wrote, as two
/// transactions committed one after the other would.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_grouped_write_sees_the_writes_before_it() {
    let (store, _db) = fresh_store().await;
    let holder = hold_writer(&store);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let first = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .write_grouped(|conn| store::add_patient(conn, "SAME"))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = store
        .write_grouped(|conn| store::add_patient(conn, "SAME"))
        .await
        .unwrap();
    holder.await.unwrap().unwrap();
    assert!(first.await.unwrap().unwrap(), "the first adds the patient");
    assert!(!second, "the second finds it there");
}

/// SQLite only: on PostgreSQL each grouped write is a transaction of its
/// own, started at once, so there is no queue to leave.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_whose_caller_left_before_it_ran_is_not_written() {
    let (store, db) = fresh_store().await;
    if db.backend() != store::Backend::Sqlite {
        return;
    }
    let holder = hold_writer(&store);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let gave_up = tokio::time::timeout(
        Duration::from_millis(50),
        store.write_grouped(|conn| store::add_patient(conn, "LEFT")),
    )
    .await;
    assert!(gave_up.is_err(), "the caller stopped waiting");
    holder.await.unwrap().unwrap();
    // A write queued after it runs, so the batch holding it has been drained.
    store
        .write_grouped(|conn| store::add_patient(conn, "AFTER"))
        .await
        .unwrap();
    assert!(!exists(&store, "LEFT").await);
    assert!(exists(&store, "AFTER").await);
}

/// A panic in one closure loses its whole batch (the connection is dropped,
/// which rolls the transaction back): every caller in it hears an error,
/// none of it is stored, and the next write works.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_panicking_write_fails_its_batch_and_the_store_recovers() {
    let (store, db) = fresh_store().await;
    let holder = hold_writer(&store);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut writes = Vec::new();
    for i in 0..4 {
        let store = store.clone();
        writes.push(tokio::spawn(async move {
            store
                .write_grouped(move |conn| {
                    store::add_patient(conn, &format!("B{i}"))?;
                    if i == 2 {
                        panic!("a bug in one closure");
                    }
                    Ok::<_, StoreError>(())
                })
                .await
        }));
    }
    holder.await.unwrap().unwrap();
    for (i, write) in writes.into_iter().enumerate() {
        let r = write.await.unwrap();
        if db.backend() == store::Backend::Sqlite {
            assert!(r.is_err(), "B{i} was in the panicking batch");
            assert!(!exists(&store, &format!("B{i}")).await);
        } else {
            // Separate transactions: only the panicking one is lost.
            assert_eq!(r.is_err(), i == 2, "B{i}");
            assert_eq!(exists(&store, &format!("B{i}")).await, i != 2);
        }
    }
    store
        .write_grouped(|conn| store::add_patient(conn, "NEXT"))
        .await
        .unwrap();
    assert!(exists(&store, "NEXT").await);
}
