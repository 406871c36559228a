//! FindDocuments / FindSubmissionSets / FindFolders / GetAll filters return
//! exactly the expected rows.

use crate::*;
use store::{
    CODE_AUTHOR_PERSON, CODE_CONFIDENTIALITY, CODE_EVENT, CODE_FOLDER, CODE_REFERENCE_ID,
    DocumentFilter, FolderFilter, KIND_DOCUMENT_ENTRY, KIND_FOLDER, KIND_SUBMISSION_SET,
    NewObjectCode, SubmissionSetFilter,
};

pub const P1: &str = "P1^^^&1.2.392&ISO";
pub const P2: &str = "P2^^^&1.2.392&ISO";

fn code(object: &str, patient: &str, kind: &str, value: &str) -> NewObjectCode {
    NewObjectCode {
        object_id: object.into(),
        patient_id: patient.into(),
        kind: kind.into(),
        value: value.into(),
    }
}

struct Doc {
    id: &'static str,
    patient: &'static str,
    status: &'static str,
    object_type: &'static str,
    class: &'static str,
    creation: Option<&'static str>,
    start: Option<&'static str>,
    stop: Option<&'static str>,
    events: &'static [&'static str],
    confidentiality: &'static [&'static str],
    authors: &'static [&'static str],
    references: &'static [&'static str],
}

const DOCS: &[Doc] = &[
    Doc {
        id: "D1",
        patient: P1,
        status: APPROVED,
        object_type: STABLE,
        class: "A^^cls",
        creation: Some("20200101120000"),
        start: Some("20200101"),
        stop: Some("20200102"),
        events: &["E1^^ev", "E2^^ev"],
        confidentiality: &["N^^conf"],
        authors: &["Dr Smith^John", "Nurse Jones"],
        references: &["acc1^^^&1.2&ISO^urn:ihe:iti:xds:2013:accession"],
    },
    Doc {
        id: "D2",
        patient: P1,
        status: APPROVED,
        object_type: STABLE,
        class: "B^^cls",
        creation: Some("2021"),
        start: None,
        stop: None,
        events: &["E2^^ev"],
        confidentiality: &["R^^conf"],
        authors: &["Dr Brown", "A_B"],
        references: &[],
    },
    Doc {
        id: "D3",
        patient: P1,
        status: DEPRECATED,
        object_type: STABLE,
        class: "A^^cls",
        creation: Some("20220301"),
        start: Some("2022"),
        stop: Some("2022"),
        events: &["E1^^ev"],
        confidentiality: &["N^^conf", "R^^conf"],
        authors: &["AxB"],
        references: &[],
    },
    Doc {
        id: "D4",
        patient: P1,
        status: APPROVED,
        object_type: ON_DEMAND,
        class: "A^^cls",
        creation: None,
        start: None,
        stop: None,
        events: &[],
        confidentiality: &["N^^conf"],
        authors: &[],
        references: &[],
    },
    Doc {
        id: "D5",
        patient: P2,
        status: APPROVED,
        object_type: STABLE,
        class: "A^^cls",
        creation: Some("20200101120000"),
        start: Some("20200101"),
        stop: Some("20200102"),
        events: &["E1^^ev", "E2^^ev"],
        confidentiality: &["N^^conf"],
        authors: &["Dr Smith^John"],
        references: &["acc1^^^&1.2&ISO^urn:ihe:iti:xds:2013:accession"],
    },
];

/// Five documents, two submission sets and two folders over two patients.
pub async fn registry_fixture() -> (Store, store::testing::TestDatabase) {
    let (store, db) = fresh_store().await;
    add_patients(&store, &[P1, P2]).await;
    let mut objects = Vec::new();
    let mut codes = Vec::new();
    for (n, d) in DOCS.iter().enumerate() {
        let n = n as i64 + 1;
        objects.push(NewRegistryObject {
            status: d.status.into(),
            object_type: Some(d.object_type.into()),
            class_code: Some(d.class.into()),
            type_code: Some(format!("T{n}^^typ")),
            format_code: Some(format!("F{n}^^fmt")),
            practice_setting_code: Some(format!("S{n}^^prac")),
            healthcare_facility_type_code: Some(format!("H{n}^^hcft")),
            creation_time: d.creation.map(str::to_string),
            service_start_time: d.start.map(str::to_string),
            service_stop_time: d.stop.map(str::to_string),
            ..object(d.id, d.patient, KIND_DOCUMENT_ENTRY, n)
        });
        for (kind, values) in [
            (CODE_EVENT, d.events),
            (CODE_CONFIDENTIALITY, d.confidentiality),
            (CODE_AUTHOR_PERSON, d.authors),
            (CODE_REFERENCE_ID, d.references),
        ] {
            codes.extend(values.iter().map(|v| code(d.id, d.patient, kind, v)));
        }
    }
    objects.push(NewRegistryObject {
        submission_time: Some("20200101".into()),
        source_id: Some("1.1.1".into()),
        content_type_code: Some("C1^^ct".into()),
        ..object("SS1", P1, KIND_SUBMISSION_SET, 10)
    });
    codes.push(code("SS1", P1, CODE_AUTHOR_PERSON, "Dr Smith^John"));
    objects.push(NewRegistryObject {
        submission_time: Some("20210101".into()),
        source_id: Some("2.2.2".into()),
        content_type_code: Some("C2^^ct".into()),
        ..object("SS2", P1, KIND_SUBMISSION_SET, 11)
    });
    codes.push(code("SS2", P1, CODE_AUTHOR_PERSON, "Nurse Jones"));
    objects.push(NewRegistryObject {
        last_update_time: Some("2020".into()),
        ..object("F1", P1, KIND_FOLDER, 20)
    });
    codes.push(code("F1", P1, CODE_FOLDER, "FC1^^fc"));
    codes.push(code("F1", P1, CODE_FOLDER, "FC2^^fc"));
    objects.push(NewRegistryObject {
        last_update_time: Some("20220101".into()),
        ..object("F2", P1, KIND_FOLDER, 21)
    });
    codes.push(code("F2", P1, CODE_FOLDER, "FC2^^fc"));
    store
        .write(move |conn| {
            store::insert_objects(conn, &objects)?;
            store::insert_codes(conn, &codes)
        })
        .await
        .unwrap();
    (store, db)
}

fn approved(patient: &str) -> DocumentFilter {
    DocumentFilter {
        patient_id: patient.into(),
        statuses: strings(&[APPROVED]),
        ..DocumentFilter::default()
    }
}

fn groups(g: &[&[&str]]) -> Vec<Vec<String>> {
    g.iter().map(|inner| strings(inner)).collect()
}

async fn docs(store: &Store, f: DocumentFilter) -> Vec<String> {
    docs_limited(store, f, 100).await
}

async fn docs_limited(store: &Store, f: DocumentFilter, limit: i64) -> Vec<String> {
    let rows = store
        .read(move |conn| store::find_documents(conn, &f, limit))
        .await
        .unwrap();
    ids(&rows).into_iter().map(str::to_string).collect()
}

#[tokio::test]
async fn find_documents_by_status_type_and_codes() {
    let (store, _db) = registry_fixture().await;
    let s = &store;
    assert_eq!(docs(s, approved(P1)).await, ["D1", "D2", "D4"]);
    assert_eq!(docs(s, approved(P2)).await, ["D5"]);
    assert_eq!(docs(s, approved("P9")).await, Vec::<String>::new());
    let both = DocumentFilter {
        statuses: strings(&[APPROVED, DEPRECATED]),
        ..approved(P1)
    };
    assert_eq!(docs(s, both.clone()).await, ["D1", "D2", "D3", "D4"]);
    let f = |g: fn(&mut DocumentFilter)| {
        let mut f = approved(P1);
        g(&mut f);
        f
    };
    assert_eq!(
        docs(s, f(|f| f.object_types = strings(&[STABLE]))).await,
        ["D1", "D2"]
    );
    assert_eq!(
        docs(s, f(|f| f.class_codes = strings(&["A^^cls"]))).await,
        ["D1", "D4"]
    );
    assert_eq!(
        docs(s, f(|f| f.class_codes = strings(&["A^^cls", "B^^cls"]))).await,
        ["D1", "D2", "D4"]
    );
    assert_eq!(
        docs(s, f(|f| f.class_codes = strings(&["A^^other"]))).await,
        Vec::<String>::new()
    );
    assert_eq!(
        docs(s, f(|f| f.type_codes = strings(&["T2^^typ"]))).await,
        ["D2"]
    );
    assert_eq!(
        docs(s, f(|f| f.format_codes = strings(&["F1^^fmt", "F4^^fmt"]))).await,
        ["D1", "D4"]
    );
    assert_eq!(
        docs(s, f(|f| f.practice_setting_codes = strings(&["S4^^prac"]))).await,
        ["D4"]
    );
    assert_eq!(
        docs(
            s,
            f(|f| f.healthcare_facility_type_codes = strings(&["H1^^hcft"]))
        )
        .await,
        ["D1"]
    );
    // All list filters at once: AND between them.
    let all = DocumentFilter {
        class_codes: strings(&["A^^cls"]),
        type_codes: strings(&["T1^^typ", "T4^^typ"]),
        format_codes: strings(&["F1^^fmt"]),
        ..approved(P1)
    };
    assert_eq!(docs(s, all).await, ["D1"]);
}

#[tokio::test]
async fn find_documents_by_time_ranges_ignores_missing_times() {
    let (store, _db) = registry_fixture().await;
    let s = &store;
    let f = |from: Option<&str>, to: Option<&str>| DocumentFilter {
        creation_time_from: from.map(str::to_string),
        creation_time_to: to.map(str::to_string),
        ..approved(P1)
    };
    // D4 has no creationTime: never excluded by the range.
    assert_eq!(docs(s, f(Some("2021"), None)).await, ["D2", "D4"]);
    assert_eq!(docs(s, f(None, Some("2021"))).await, ["D1", "D4"]);
    // From is inclusive, To exclusive, on padded values.
    assert_eq!(
        docs(s, f(Some("20200101120000"), Some("20200101120001"))).await,
        ["D1", "D4"]
    );
    assert_eq!(
        docs(s, f(Some("20200101120001"), Some("2021"))).await,
        ["D4"]
    );
    assert_eq!(
        docs(s, f(Some("2020"), Some("20200101120000"))).await,
        ["D4"]
    );
    let start = DocumentFilter {
        service_start_from: Some("20200101".into()),
        service_start_to: Some("20200102".into()),
        statuses: strings(&[APPROVED, DEPRECATED]),
        ..approved(P1)
    };
    // D3 starts 2022 (excluded); D2 and D4 have no serviceStartTime.
    assert_eq!(docs(s, start).await, ["D1", "D2", "D4"]);
    let stop = DocumentFilter {
        service_stop_from: Some("2022".into()),
        statuses: strings(&[APPROVED, DEPRECATED]),
        ..approved(P1)
    };
    assert_eq!(docs(s, stop).await, ["D2", "D3", "D4"]);
}

#[tokio::test]
async fn find_documents_by_multi_valued_codes() {
    let (store, _db) = registry_fixture().await;
    let s = &store;
    let ev = |g: &[&[&str]]| DocumentFilter {
        event_codes: groups(g),
        statuses: strings(&[APPROVED, DEPRECATED]),
        ..approved(P1)
    };
    assert_eq!(docs(s, ev(&[&["E1^^ev"]])).await, ["D1", "D3"]);
    // OR within a group, AND between groups.
    assert_eq!(
        docs(s, ev(&[&["E1^^ev", "E2^^ev"]])).await,
        ["D1", "D2", "D3"]
    );
    assert_eq!(docs(s, ev(&[&["E1^^ev"], &["E2^^ev"]])).await, ["D1"]);
    assert_eq!(docs(s, ev(&[&["E9^^ev"]])).await, Vec::<String>::new());
    let conf = |g: &[&[&str]]| DocumentFilter {
        confidentiality_codes: groups(g),
        statuses: strings(&[APPROVED, DEPRECATED]),
        ..approved(P1)
    };
    assert_eq!(docs(s, conf(&[&["N^^conf"], &["R^^conf"]])).await, ["D3"]);
    assert_eq!(docs(s, conf(&[&["R^^conf"]])).await, ["D2", "D3"]);
    let mixed = DocumentFilter {
        event_codes: groups(&[&["E2^^ev"]]),
        confidentiality_codes: groups(&[&["N^^conf"]]),
        ..approved(P1)
    };
    assert_eq!(docs(s, mixed).await, ["D1"]);
    // Another patient's codes never leak in.
    let p2 = DocumentFilter {
        event_codes: groups(&[&["E1^^ev"], &["E2^^ev"]]),
        ..approved(P2)
    };
    assert_eq!(docs(s, p2).await, ["D5"]);
}

#[tokio::test]
async fn find_documents_by_author_and_reference_patterns() {
    let (store, _db) = registry_fixture().await;
    let s = &store;
    let by_author = |p: &[&str]| DocumentFilter {
        author_persons: strings(p),
        statuses: strings(&[APPROVED, DEPRECATED]),
        ..approved(P1)
    };
    assert_eq!(docs(s, by_author(&["%Smith%"])).await, ["D1"]);
    assert_eq!(docs(s, by_author(&["Dr %"])).await, ["D1", "D2"]);
    assert_eq!(
        docs(s, by_author(&["%Jones", "%Brown"])).await,
        ["D1", "D2"]
    );
    // Case-sensitive on both backends.
    assert_eq!(docs(s, by_author(&["%smith%"])).await, Vec::<String>::new());
    // `_` matches one character unless escaped.
    assert_eq!(docs(s, by_author(&["A_B"])).await, ["D2", "D3"]);
    assert_eq!(docs(s, by_author(&["A\\_B"])).await, ["D2"]);
    let by_ref = |p: &[&str]| DocumentFilter {
        reference_ids: strings(p),
        ..approved(P1)
    };
    assert_eq!(docs(s, by_ref(&["acc1^^^&1.2&ISO%"])).await, ["D1"]);
    assert_eq!(docs(s, by_ref(&["acc2%"])).await, Vec::<String>::new());
    let both = DocumentFilter {
        author_persons: strings(&["%Jones"]),
        reference_ids: strings(&["%accession"]),
        class_codes: strings(&["A^^cls"]),
        ..approved(P1)
    };
    assert_eq!(docs(s, both).await, ["D1"]);
}

#[tokio::test]
async fn limit_caps_results_in_registration_order() {
    let (store, _db) = registry_fixture().await;
    assert_eq!(docs_limited(&store, approved(P1), 2).await, ["D1", "D2"]);
    assert_eq!(
        docs_limited(&store, approved(P1), 3).await,
        ["D1", "D2", "D4"]
    );
    assert_eq!(
        docs_limited(&store, approved(P1), 0).await,
        Vec::<String>::new()
    );
}

async fn sets(store: &Store, f: SubmissionSetFilter) -> Vec<String> {
    let rows = store
        .read(move |conn| store::find_submission_sets(conn, &f, 100))
        .await
        .unwrap();
    ids(&rows).into_iter().map(str::to_string).collect()
}

#[tokio::test]
async fn find_submission_sets_filters() {
    let (store, _db) = registry_fixture().await;
    let s = &store;
    let base = SubmissionSetFilter {
        patient_id: P1.into(),
        statuses: strings(&[APPROVED]),
        ..SubmissionSetFilter::default()
    };
    assert_eq!(sets(s, base.clone()).await, ["SS1", "SS2"]);
    let by_source = SubmissionSetFilter {
        source_ids: strings(&["2.2.2"]),
        ..base.clone()
    };
    assert_eq!(sets(s, by_source).await, ["SS2"]);
    let by_time = SubmissionSetFilter {
        submission_time_from: Some("2020".into()),
        submission_time_to: Some("20210101".into()),
        ..base.clone()
    };
    assert_eq!(sets(s, by_time).await, ["SS1"]);
    let by_author = SubmissionSetFilter {
        author_person: Some("Nurse%".into()),
        ..base.clone()
    };
    assert_eq!(sets(s, by_author).await, ["SS2"]);
    let by_content = SubmissionSetFilter {
        content_type_codes: strings(&["C1^^ct", "C3^^ct"]),
        ..base.clone()
    };
    assert_eq!(sets(s, by_content).await, ["SS1"]);
    let deprecated = SubmissionSetFilter {
        statuses: strings(&[DEPRECATED]),
        ..base
    };
    assert_eq!(sets(s, deprecated).await, Vec::<String>::new());
}

async fn folders(store: &Store, f: FolderFilter) -> Vec<String> {
    let rows = store
        .read(move |conn| store::find_folders(conn, &f, 100))
        .await
        .unwrap();
    ids(&rows).into_iter().map(str::to_string).collect()
}

#[tokio::test]
async fn find_folders_filters() {
    let (store, _db) = registry_fixture().await;
    let s = &store;
    let base = FolderFilter {
        patient_id: P1.into(),
        statuses: strings(&[APPROVED]),
        ..FolderFilter::default()
    };
    assert_eq!(folders(s, base.clone()).await, ["F1", "F2"]);
    let code = |g: &[&[&str]]| FolderFilter {
        codes: groups(g),
        ..base.clone()
    };
    assert_eq!(folders(s, code(&[&["FC1^^fc"]])).await, ["F1"]);
    assert_eq!(folders(s, code(&[&["FC2^^fc"]])).await, ["F1", "F2"]);
    assert_eq!(
        folders(s, code(&[&["FC1^^fc"], &["FC2^^fc"]])).await,
        ["F1"]
    );
    let updated = FolderFilter {
        last_update_from: Some("2021".into()),
        ..base.clone()
    };
    assert_eq!(folders(s, updated).await, ["F2"]);
    let before = FolderFilter {
        last_update_to: Some("20200000000001".into()),
        ..base
    };
    assert_eq!(folders(s, before).await, ["F1"]);
}

#[tokio::test]
async fn objects_for_patient_by_kind_and_status() {
    let (store, _db) = registry_fixture().await;
    let rows = store
        .read(|conn| {
            Ok::<_, StoreError>((
                store::objects_for_patient(conn, P1, KIND_SUBMISSION_SET, &[], 100)?,
                store::objects_for_patient(
                    conn,
                    P1,
                    KIND_DOCUMENT_ENTRY,
                    &strings(&[DEPRECATED]),
                    100,
                )?,
                store::objects_for_patient(conn, P1, KIND_FOLDER, &strings(&[APPROVED]), 1)?,
                store::objects_for_patient(conn, P2, KIND_FOLDER, &[], 100)?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(ids(&rows.0), ["SS1", "SS2"]);
    assert_eq!(ids(&rows.1), ["D3"]);
    assert_eq!(ids(&rows.2), ["F1"]);
    assert!(rows.3.is_empty());
}
