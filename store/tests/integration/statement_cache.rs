//! Lookups by a list of values keep one prepared statement per connection,
//! whatever the list's length: the statement's SQL must not depend on it,
//! or SQLite parses it again on every call (BENCHMARKS.md "Profiles").

use crate::*;
use diesel::Connection;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use std::sync::{Arc, Mutex};
use store::{AnyConnection, DocumentFilter};

/// The SQL of every statement newly put in the connection's statement
/// cache, and of every statement run, while `f` runs.
fn cached_and_run(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection),
) -> (Vec<String>, Vec<String>) {
    let seen = Arc::new(Mutex::new((Vec::new(), Vec::new())));
    let sink = Arc::clone(&seen);
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| match event {
        InstrumentationEvent::CacheQuery { sql, .. } => {
            sink.lock().unwrap().0.push(sql.to_string())
        }
        InstrumentationEvent::StartQuery { query, .. } => {
            let text = query.to_string();
            let sql = text.split(" -- binds: ").next().unwrap_or_default();
            sink.lock().unwrap().1.push(sql.to_string());
        }
        _ => {}
    });
    f(conn);
    conn.set_instrumentation(Silent);
    let seen = seen.lock().unwrap();
    (seen.0.clone(), seen.1.clone())
}

struct Silent;
impl Instrumentation for Silent {
    fn on_connection_event(&mut self, _: InstrumentationEvent<'_>) {}
}

fn lookups(c: &mut AnyConnection, ids: &[String]) {
    let types = strings(&[HAS_MEMBER, RPLC]);
    store::objects_by_ids(c, ids).unwrap();
    store::objects_by_unique_ids(c, Some(store::KIND_DOCUMENT_ENTRY), ids).unwrap();
    store::codes_by_object_ids(c, ids, ids).unwrap();
    store::associations_by_ids(c, ids).unwrap();
    store::associations_touching(c, ids, Some(&types)).unwrap();
    store::documents_by_unique_ids(c, "1.2", ids).unwrap();
    let filter = DocumentFilter {
        patient_id: "P".into(),
        statuses: strings(&[APPROVED, DEPRECATED]),
        class_codes: ids.to_vec(),
        event_codes: vec![ids.to_vec()],
        confidentiality_codes: vec![ids.to_vec(), ids.to_vec()],
        ..DocumentFilter::default()
    };
    store::find_documents(c, &filter, 10).unwrap();
}

#[tokio::test]
async fn list_lookups_are_prepared_once_whatever_the_list_length() {
    let (store, _db) = fresh_store().await;
    let (first, again) = store
        .read(|conn| {
            let first = cached_and_run(conn, |c| lookups(c, &strings(&["a", "b"])));
            let again = cached_and_run(conn, |c| lookups(c, &strings(&["a", "b", "c", "d"])));
            Ok::<_, StoreError>((first, again))
        })
        .await
        .unwrap();
    let (cached_first, ran_first) = first;
    let (cached_again, ran_again) = again;
    assert_eq!(
        ran_first, ran_again,
        "the SQL changed with the list's length"
    );
    assert!(
        !cached_first.is_empty(),
        "the first calls cached no statement: {ran_first:#?}"
    );
    assert!(
        cached_again.is_empty(),
        "longer lists prepared new statements: {cached_again:#?}"
    );
}

/// A list bound as one JSON array matches values JSON must escape exactly,
/// and nothing else.
#[tokio::test]
async fn list_lookups_match_values_that_need_escaping() {
    let (store, _db) = fresh_store().await;
    add_patients(&store, &["P"]).await;
    let awkward = [
        "q\"uote",
        "back\\slash",
        "新潟太郎",
        "it's",
        "tab\there",
        "u\u{2028}sep",
    ];
    let rows: Vec<_> = awkward
        .iter()
        .enumerate()
        .map(|(n, id)| object(id, "P", store::KIND_DOCUMENT_ENTRY, n as i64))
        .collect();
    let found = store
        .write(move |conn| {
            store::insert_objects(conn, &rows)?;
            let mut wanted = strings(&awkward);
            wanted.push("q\\\"uote".into()); // the JSON text of one, not the value
            wanted.push("[\"it's\"]".into());
            store::objects_by_ids(conn, &wanted)
        })
        .await
        .unwrap();
    let mut got = ids(&found);
    got.sort_unstable();
    let mut expected = awkward.to_vec();
    expected.sort_unstable();
    assert_eq!(got, expected);
}

/// One row (a registration's SubmissionSet-to-DocumentEntry association, a
/// lone object) goes through a prepared INSERT on both backends: the first
/// insert prepares it, the next ones reuse it. A multi-row INSERT, whose
/// text depends on the row count, is parsed and planned every time.
#[tokio::test]
async fn single_row_inserts_are_prepared_once() {
    let (store, _db) = fresh_store().await;
    add_patients(&store, &["P"]).await;
    let (first, again) = store
        .write(|conn| {
            let mut insert = |id: &str| {
                cached_and_run(conn, |c| {
                    store::insert_objects(c, &[object(id, "P", store::KIND_FOLDER, 1)]).unwrap();
                })
            };
            let first = insert("urn:uuid:f1");
            let again = insert("urn:uuid:f2");
            Ok::<_, StoreError>((first, again))
        })
        .await
        .unwrap();
    assert!(
        first.0.iter().any(|sql| sql.contains("INSERT INTO")),
        "the first single-row insert was not prepared: {first:#?}"
    );
    assert!(
        again.0.is_empty(),
        "the second single-row insert prepared again: {again:#?}"
    );
}

/// A registration's rows (a SubmissionSet and its DocumentEntries, their
/// codes, associations) are inserted through statements prepared once per
/// connection, whatever the row count: PostgreSQL binds one array per
/// column, SQLite inserts row by row.
#[tokio::test]
async fn multi_row_inserts_are_prepared_once_whatever_the_row_count() {
    let (store, _db) = fresh_store().await;
    add_patients(&store, &["P"]).await;
    let rows = |prefix: &str, n: usize| {
        let objects: Vec<_> = (0..n)
            .map(|i| object(&format!("{prefix}{i}"), "P", store::KIND_DOCUMENT_ENTRY, i as i64))
            .collect();
        let codes: Vec<_> = objects
            .iter()
            .map(|o| store::NewObjectCode {
                object_id: o.id.clone(),
                patient_id: "P".into(),
                kind: store::CODE_EVENT.into(),
                value: "I10^^ICD10".into(),
            })
            .collect();
        (objects, codes)
    };
    let (first, again) = store
        .write(move |conn| {
            let mut insert = |(objects, codes): (Vec<_>, Vec<_>)| {
                cached_and_run(conn, |c| {
                    store::insert_objects(c, &objects).unwrap();
                    store::insert_codes(c, &codes).unwrap();
                })
            };
            let first = insert(rows("a", 2));
            let again = insert(rows("b", 5));
            Ok::<_, StoreError>((first, again))
        })
        .await
        .unwrap();
    assert!(
        first.0.iter().filter(|sql| sql.contains("INSERT INTO")).count() >= 2,
        "the first inserts were not prepared: {first:#?}"
    );
    assert!(again.0.is_empty(), "more rows prepared again: {again:#?}");
}
