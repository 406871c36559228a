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

/// One row (a lone object) goes through a prepared INSERT on both
/// backends: the first insert prepares it, the next ones reuse it.
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
            .map(|i| {
                object(
                    &format!("{prefix}{i}"),
                    "P",
                    store::KIND_DOCUMENT_ENTRY,
                    i as i64,
                )
            })
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
        first
            .0
            .iter()
            .filter(|sql| sql.contains("INSERT INTO"))
            .count()
            >= 2,
        "the first inserts were not prepared: {first:#?}"
    );
    assert!(again.0.is_empty(), "more rows prepared again: {again:#?}");
}

/// A registration's rows go in one statement on PostgreSQL (one round
/// trip), prepared once; SQLite inserts them row by row. An association id
/// already registered is returned and its row left out.
#[tokio::test]
async fn a_submission_is_written_in_one_prepared_statement() {
    let (store, _db) = fresh_store().await;
    add_patients(&store, &["P"]).await;
    let submission = |n: usize| {
        let ss = format!("ss{n}");
        let de = format!("de{n}");
        let objects = vec![
            object(&ss, "P", store::KIND_SUBMISSION_SET, 2 * n as i64),
            object(&de, "P", store::KIND_DOCUMENT_ENTRY, 2 * n as i64 + 1),
        ];
        let codes = vec![store::NewObjectCode {
            object_id: de.clone(),
            patient_id: "P".into(),
            kind: store::CODE_EVENT.into(),
            value: "I10^^ICD10".into(),
        }];
        let association = store::NewAssociation {
            id: format!("hm{n}"),
            patient_id: "P".into(),
            association_type: HAS_MEMBER.into(),
            source_id: ss,
            target_id: de,
            status: APPROVED.into(),
            submission_set_id: None,
            body: "{}".into(),
            registered_at: at(n as i64),
        };
        (objects, codes, vec![association])
    };
    let (first, again, taken, stored, postgres) = store
        .write(move |conn| {
            let postgres = matches!(conn, AnyConnection::Postgresql(_));
            let mut write = |(o, c, a): (Vec<_>, Vec<_>, Vec<_>)| {
                let mut taken = Vec::new();
                let seen = cached_and_run(conn, |conn| {
                    taken = store::insert_submission_rows(conn, &o, &c, &a).unwrap();
                });
                (seen, taken)
            };
            let (first, none) = write(submission(1));
            assert!(none.is_empty());
            let (again, _) = write(submission(2));
            // A third submission reusing the second one's association id.
            let (mut o, c, _) = submission(3);
            o.iter_mut().for_each(|o| o.unique_id.push_str(".3"));
            let (_, _, a) = submission(2);
            let taken = store::insert_submission_rows(conn, &o, &c, &a)?;
            let stored = store::associations_by_ids(conn, &strings(&["hm1", "hm2"]))?;
            Ok::<_, StoreError>((first, again, taken, stored, postgres))
        })
        .await
        .unwrap();
    assert_eq!(taken, ["hm2"]);
    assert_eq!(ids_of(&stored), ["hm1", "hm2"]);
    assert_eq!(stored[1].target_id, "de2", "the taken row was overwritten");
    assert!(
        again.0.is_empty(),
        "the second submission prepared again: {again:#?}"
    );
    if postgres {
        assert_eq!(first.1.len(), 1, "more than one statement: {first:#?}");
        assert_eq!(first.0.len(), 1, "{first:#?}");
    }
}

fn ids_of(rows: &[store::AssociationRow]) -> Vec<&str> {
    rows.iter().map(|a| a.id.as_str()).collect()
}
