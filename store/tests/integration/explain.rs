//! Every query the registry and repository run is answered through an index:
//! the SQL diesel sends is captured and handed to the backend's planner.
//! SQLite: `EXPLAIN QUERY PLAN` must show no table scan. PostgreSQL: with
//! sequential scans disabled and a generic plan, no `Seq Scan` may remain.

use crate::*;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::sql_types::{Nullable, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use std::sync::{Arc, Mutex};
use store::{AnyConnection, AuditFilter, DocumentFilter, FolderFilter, SubmissionSetFilter};

/// The SQL of every statement `f` runs.
pub(crate) fn statements_of(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection),
) -> Vec<String> {
    let sink = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&sink);
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let text = query.to_string();
            let sql = text
                .split(" -- binds: ")
                .next()
                .unwrap_or_default()
                .to_string();
            seen.lock().unwrap().push(sql);
        }
    });
    f(conn);
    conn.set_instrumentation(Silent);
    sink.lock().unwrap().clone()
}

struct Silent;
impl Instrumentation for Silent {
    fn on_connection_event(&mut self, _: InstrumentationEvent<'_>) {}
}

#[derive(QueryableByName)]
struct SqlitePlan {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PgPlan {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// How many `?` placeholders `sql` has outside string literals.
fn sqlite_parameters(sql: &str) -> usize {
    let mut in_literal = false;
    let mut n = 0;
    for ch in sql.chars() {
        match ch {
            '\'' => in_literal = !in_literal,
            '?' if !in_literal => n += 1,
            _ => {}
        }
    }
    n
}

/// The plan of `sql`, one line per row.
fn plan(conn: &mut AnyConnection, sql: &str) -> Vec<String> {
    match conn {
        AnyConnection::Sqlite(c) => {
            // diesel checks that every parameter is bound; NULLs stand in
            // (with the query planner stability guarantee, values do not
            // change plans).
            let mut query = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).into_boxed();
            for _ in 0..sqlite_parameters(sql) {
                query = query.bind::<Nullable<Text>, _>(None::<String>);
            }
            query
                .load::<SqlitePlan>(c)
                .unwrap()
                .into_iter()
                .map(|p| p.detail)
                .collect()
        }
        AnyConnection::Postgresql(c) => {
            diesel::sql_query("SET enable_seqscan = off")
                .execute(c)
                .unwrap();
            diesel::sql_query("SET plan_cache_mode = force_generic_plan")
                .execute(c)
                .unwrap();
            diesel::sql_query(format!("PREPARE planned AS {sql}"))
                .execute(c)
                .unwrap();
            let params = vec!["NULL"; highest_parameter(sql)].join(", ");
            let args = if params.is_empty() {
                String::new()
            } else {
                format!("({params})")
            };
            let lines = diesel::sql_query(format!("EXPLAIN EXECUTE planned{args}"))
                .load::<PgPlan>(c)
                .unwrap()
                .into_iter()
                .map(|p| p.line)
                .collect();
            diesel::sql_query("DEALLOCATE planned").execute(c).unwrap();
            lines
        }
    }
}

/// The largest `$n` in a PostgreSQL statement.
fn highest_parameter(sql: &str) -> usize {
    sql.split('$')
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .max()
        .unwrap_or(0)
}

/// Each of `statements` whose plan scans a table, with the scans.
pub(crate) fn scanning(conn: &mut AnyConnection, statements: Vec<String>) -> Vec<String> {
    let mut offenders = Vec::new();
    for sql in statements {
        let scans = full_scans(conn, &sql);
        if !scans.is_empty() {
            offenders.push(format!("{sql}\n  -> {scans:?}"));
        }
    }
    offenders
}

pub(crate) fn full_scans(conn: &mut AnyConnection, sql: &str) -> Vec<String> {
    let is_sqlite = matches!(conn, AnyConnection::Sqlite(_));
    let lines = plan(conn, sql);
    // Shown with --nocapture or on failure.
    eprintln!("{sql}\n    {}", lines.join("\n    "));
    lines
        .into_iter()
        .filter(|line| {
            if is_sqlite {
                // json_each walks the bound list of a `one_of!` filter, not a table.
                line.starts_with("SCAN ")
                    && !line.starts_with("SCAN CONSTANT ROW")
                    && !line.starts_with("SCAN json_each VIRTUAL TABLE")
            } else {
                line.contains("Seq Scan")
            }
        })
        .collect()
}

fn every_filter() -> DocumentFilter {
    let one = |s: &str| vec![s.to_string()];
    DocumentFilter {
        patient_id: "P".into(),
        statuses: one(APPROVED),
        object_types: one(STABLE),
        class_codes: one("c"),
        type_codes: one("t"),
        practice_setting_codes: one("p"),
        healthcare_facility_type_codes: one("h"),
        format_codes: one("f"),
        creation_time_from: Some("2020".into()),
        creation_time_to: Some("2021".into()),
        service_start_from: Some("2020".into()),
        service_start_to: Some("2021".into()),
        service_stop_from: Some("2020".into()),
        service_stop_to: Some("2021".into()),
        event_codes: vec![one("e1"), vec!["e2".into(), "e3".into()]],
        confidentiality_codes: vec![one("N")],
        author_persons: vec!["%a%".into(), "b%".into()],
        reference_ids: one("r%"),
    }
}

#[tokio::test]
async fn all_queries_use_indexes() {
    let (store, _db) = fresh_store().await;
    let offenders = store
        .read(|conn| {
            let ids = strings(&["a", "b"]);
            let types = strings(&[HAS_MEMBER]);
            let statements = statements_of(conn, |c| {
                store::find_documents(c, &every_filter(), 10).unwrap();
                store::find_submission_sets(
                    c,
                    &SubmissionSetFilter {
                        patient_id: "P".into(),
                        statuses: strings(&[APPROVED]),
                        source_ids: strings(&["1.2"]),
                        submission_time_from: Some("2020".into()),
                        submission_time_to: Some("2021".into()),
                        author_person: Some("%x%".into()),
                        content_type_codes: strings(&["ct"]),
                    },
                    10,
                )
                .unwrap();
                store::find_folders(
                    c,
                    &FolderFilter {
                        patient_id: "P".into(),
                        statuses: strings(&[APPROVED]),
                        last_update_from: Some("2020".into()),
                        last_update_to: Some("2021".into()),
                        codes: vec![strings(&["f1", "f2"]), strings(&["f3"])],
                    },
                    10,
                )
                .unwrap();
                store::objects_for_patient(c, "P", store::KIND_FOLDER, &[], 10).unwrap();
                store::objects_by_ids(c, &ids).unwrap();
                store::objects_by_unique_ids(c, Some(store::KIND_DOCUMENT_ENTRY), &ids).unwrap();
                store::objects_by_ids_or_unique_ids(c, &ids, &ids).unwrap();
                store::objects_by_lid(c, "a").unwrap();
                store::codes_by_object_ids(c, &ids, &ids).unwrap();
                store::codes_by_object_ids(c, &ids[..1], &ids).unwrap();
                store::associations_by_ids(c, &ids).unwrap();
                store::associations_touching(c, &ids, Some(&types)).unwrap();
                store::document_by_unique_id(c, "1.2", "a").unwrap();
                store::documents_by_unique_ids(c, "1.2", &ids).unwrap();
                store::patient_exists(c, "P").unwrap();
                store::facility(c, "1.2").unwrap();
                store::suspended_facilities(c).unwrap();
                store::certificates_of(c, "1.2").unwrap();
                store::revoked_serials(c).unwrap();
            });
            assert!(statements.len() >= 18, "captured {statements:?}");
            Ok::<_, StoreError>(scanning(conn, statements))
        })
        .await
        .unwrap();
    assert!(
        offenders.is_empty(),
        "queries scanning a table:\n{}",
        offenders.join("\n")
    );
}

#[tokio::test]
async fn audit_searches_use_indexes() {
    let (store, _db) = fresh_store().await;
    let offenders = store
        .read(|conn| {
            let at = chrono::DateTime::from_timestamp(1_700_000_000, 0)
                .unwrap()
                .naive_utc();
            let statements = statements_of(conn, |c| {
                let mut by = |f: AuditFilter| store::search_audit(c, &f, 10).unwrap();
                by(AuditFilter {
                    patient: Some("P".into()),
                    ..Default::default()
                });
                by(AuditFilter {
                    facility: Some("1.2".into()),
                    after_seq: Some(5),
                    ..Default::default()
                });
                by(AuditFilter {
                    since: Some(at),
                    until: Some(at),
                    ..Default::default()
                });
                by(AuditFilter {
                    after_seq: Some(5),
                    ..Default::default()
                });
                store::last_audit_seq_before(c, at).unwrap();
            });
            assert_eq!(statements.len(), 5, "captured {statements:?}");
            Ok::<_, StoreError>(scanning(conn, statements))
        })
        .await
        .unwrap();
    assert!(
        offenders.is_empty(),
        "audit searches scanning a table:\n{}",
        offenders.join("\n")
    );
}
