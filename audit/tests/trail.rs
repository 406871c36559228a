//! The audit trail against a real database (SQLite, or PostgreSQL when
//! RENKEI_TEST_DATABASE_URL is set): transactional appends, verification and
//! retention.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use audit::{AuditEvent, AuditSource, Requestor, Transaction};
use chrono::{Duration, Utc};
use store::testing::TestDatabase;
use store::{Store, StoreError};

async fn fresh() -> (Store, TestDatabase) {
    let db = TestDatabase::new().await.unwrap();
    (db.open_store().await.unwrap(), db)
}

fn event(days_ago: i64) -> AuditEvent {
    AuditEvent::new(Transaction::Iti18, Requestor::facility("1.2.392.1"))
        .with_patient(Some("P1^^^&1.2&ISO".into()))
        .at_time(Utc::now() - Duration::days(days_ago))
}

#[tokio::test]
async fn a_rolled_back_action_leaves_no_record() {
    let (store, _db) = fresh().await;
    let source = AuditSource::unconfigured();
    let result: Result<(), StoreError> = store
        .write(move |conn| {
            audit::append(conn, &source, &event(0))?;
            Err(StoreError::Config("the action failed".into()))
        })
        .await;
    assert!(result.is_err());
    let report = audit::verify(&store).await.unwrap();
    assert_eq!((report.checked, report.head_seq), (0, 0));
    assert!(report.is_intact());
}

#[tokio::test]
async fn concurrent_appends_form_one_chain() {
    let (store, _db) = fresh().await;
    let source = AuditSource::unconfigured();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, source) = (store.clone(), source.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..5 {
                audit::record(&store, &source, vec![event(0)])
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let report = audit::verify(&store).await.unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!(report.checked, 40);
}

#[tokio::test]
async fn retention_archives_forwarded_old_records_and_the_rest_still_verifies() {
    let (store, _db) = fresh().await;
    let source = AuditSource::unconfigured();
    let events: Vec<AuditEvent> = [40, 35, 31, 2, 1].iter().map(|d| event(*d)).collect();
    audit::record(&store, &source, events).await.unwrap();
    let dest = "tls://arr.example:6514".to_string();
    let dir = tempfile::tempdir().unwrap();
    let cutoff = Utc::now() - Duration::days(30);

    // Nothing forwarded yet: nothing may be pruned.
    let none = audit::retention::archive_and_prune(
        &store,
        cutoff,
        std::slice::from_ref(&dest),
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(none.rows, 0);

    // The destination has the first two records only.
    let d = dest.clone();
    store
        .write(move |conn| store::set_audit_cursor(conn, &d, 2))
        .await
        .unwrap();
    let pruned = audit::retention::archive_and_prune(
        &store,
        cutoff,
        std::slice::from_ref(&dest),
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(pruned.rows, 2);
    let archive = std::fs::read_to_string(pruned.archive.unwrap()).unwrap();
    let archived: Vec<audit::retention::ArchivedRow> = archive
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        archived.iter().map(|r| r.record.seq).collect::<Vec<_>>(),
        vec![1, 2]
    );

    let report = audit::verify(&store).await.unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!(
        (report.pruned_seq, report.checked, report.head_seq),
        (2, 3, 5)
    );
    // The archive continues into the remaining chain.
    let first_left = store
        .read(|conn| store::audit_rows_after(conn, 0, 1))
        .await
        .unwrap();
    assert_eq!(first_left[0].prev_hash, archived[1].hash);

    // Everything forwarded: only records older than the cutoff go.
    let d = dest.clone();
    store
        .write(move |conn| store::set_audit_cursor(conn, &d, 5))
        .await
        .unwrap();
    let pruned = audit::retention::archive_and_prune(
        &store,
        cutoff,
        std::slice::from_ref(&dest),
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(pruned.rows, 1);
    let report = audit::verify(&store).await.unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!((report.pruned_seq, report.checked), (3, 2));
}

#[tokio::test]
async fn search_filters_by_patient_facility_time_and_event() {
    let (store, _db) = fresh().await;
    let source = AuditSource::unconfigured();
    let other = AuditEvent::new(Transaction::Iti43, Requestor::facility("1.2.392.2"))
        .with_patient(Some("P2^^^&1.2&ISO".into()));
    audit::record(&store, &source, vec![event(10), event(1), other])
        .await
        .unwrap();
    let q = |f: fn(&mut audit::report::AuditQuery)| {
        let mut query = audit::report::AuditQuery::default();
        f(&mut query);
        let store = store.clone();
        async move { audit::report::search(&store, &query).await.unwrap() }
    };
    assert_eq!(
        q(|q| q.patient = Some("P1^^^&1.2&ISO".into())).await.len(),
        2
    );
    assert_eq!(q(|q| q.facility = Some("1.2.392.2".into())).await.len(), 1);
    assert_eq!(q(|q| q.transaction = Some("ITI-43".into())).await.len(), 1);
    assert_eq!(q(|q| q.event_id = Some("110112".into())).await.len(), 2);
    assert_eq!(
        q(|q| q.since = Some(Utc::now() - Duration::days(5)))
            .await
            .len(),
        2
    );
    assert_eq!(q(|q| q.limit = Some(1)).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_share_commits_without_losing_or_splitting_records() {
    let (store, _db) = fresh().await;
    let source = AuditSource::unconfigured();
    let callers: Vec<_> = (0..50)
        .map(|i| {
            let (store, source) = (store.clone(), source.clone());
            tokio::spawn(async move {
                let patient = format!("P{i}^^^&1.2&ISO");
                let two = vec![
                    event(0).with_patient(Some(patient.clone())),
                    event(0).with_patient(Some(patient)),
                ];
                audit::record(&store, &source, two).await.unwrap();
            })
        })
        .collect();
    for c in callers {
        c.await.unwrap();
    }
    let rows = audit::report::search(&store, &audit::report::AuditQuery::default())
        .await
        .unwrap();
    assert_eq!(rows.len(), 100);
    // A caller's records are adjacent and each caller appears once.
    let mut seen = std::collections::HashSet::new();
    for pair in rows.chunks(2) {
        assert_eq!(pair[0].patient, pair[1].patient, "{pair:?}");
        assert_eq!(pair[1].seq, pair[0].seq + 1);
        assert!(seen.insert(pair[0].patient.clone()));
    }
    assert!(audit::verify(&store).await.unwrap().is_intact());
}

/// PostgreSQL: an action's record goes to the inbox without taking the chain
/// head's row lock, so a second action commits while the first transaction
/// is still open. Before the inbox, the second waited for the first's COMMIT
/// (here: forever, so the timeout fails the test). SQLite has one writer:
/// its write transactions queue by design, and this does not apply.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_open_transaction_does_not_hold_other_actions_records() {
    let (store, _db) = fresh().await;
    if store.backend() != store::Backend::Postgres {
        return;
    }
    let source = AuditSource::unconfigured();
    let (appended, has_appended) = std::sync::mpsc::channel::<()>();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let first = tokio::spawn({
        let (store, source) = (store.clone(), source.clone());
        async move {
            store
                .write(move |conn| {
                    audit::append(conn, &source, &event(0))?;
                    appended.send(()).unwrap();
                    released
                        .recv_timeout(std::time::Duration::from_secs(30))
                        .map_err(|e| StoreError::Task(e.to_string()))
                })
                .await
        }
    });
    tokio::task::spawn_blocking(move || has_appended.recv().unwrap())
        .await
        .unwrap();
    let second = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        store.write(move |conn| audit::append(conn, &source, &event(0))),
    )
    .await;
    release.send(()).unwrap();
    assert!(
        matches!(second, Ok(Ok(()))),
        "the second action's record waited for the first transaction: {second:?}"
    );
    first.await.unwrap().unwrap();
    let report = audit::verify(&store).await.unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!(report.checked, 2);
}

/// Records committed with their actions are found by every reader of the
/// trail at once, whether they still wait in the inbox (PostgreSQL, until
/// the hub's linker runs; none runs in this test) or were linked in place
/// (SQLite).
#[tokio::test]
async fn committed_records_are_found_before_the_linker_runs() {
    let (store, _db) = fresh().await;
    let source = AuditSource::unconfigured();
    for _ in 0..3 {
        let source = source.clone();
        store
            .write(move |conn| audit::append(conn, &source, &event(0)))
            .await
            .unwrap();
    }
    let raw = store
        .read(|conn| store::audit_rows_after(conn, 0, 10))
        .await
        .unwrap();
    let expected_raw = match store.backend() {
        store::Backend::Postgres => 0,
        store::Backend::Sqlite => 3,
    };
    assert_eq!(raw.len(), expected_raw, "rows in the chain before linking");
    let found = audit::report::search(&store, &audit::report::AuditQuery::default())
        .await
        .unwrap();
    assert_eq!(found.len(), 3);
    let report = audit::verify(&store).await.unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!((report.checked, report.head_seq), (3, 3));
    assert_eq!(
        audit::link_inbox(&store).await.unwrap(),
        0,
        "inbox left empty"
    );
}
