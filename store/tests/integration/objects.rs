//! Lookups by id, status changes, associations and repository documents.

use crate::filters::{P1, P2, registry_fixture};
use crate::*;
use store::{
    AssociationRow, KIND_DOCUMENT_ENTRY, KIND_FOLDER, NewAssociation, NewDocument, NewObjectCode,
};

#[tokio::test]
async fn lookups_by_id_unique_id_and_lid() {
    let (store, _db) = registry_fixture().await;
    let (by_id, many, by_uid, by_uid_kind, by_lid) = store
        .write(|conn| {
            // A second version of D1 sharing its lid and uniqueId.
            let v2 = NewRegistryObject {
                lid: "D1".into(),
                version: 2,
                unique_id: "1.2.3.1".into(),
                ..object("D1v2", P1, KIND_DOCUMENT_ENTRY, 30)
            };
            store::insert_objects(conn, &[v2])?;
            // More ids than one IN list holds, most unknown.
            let mut lots: Vec<String> = (0..2500).map(|i| format!("missing-{i}")).collect();
            lots.push("F2".into());
            lots.push("D3".into());
            Ok::<_, StoreError>((
                store::objects_by_ids(conn, &strings(&["D2", "SS1", "nope"]))?,
                store::objects_by_ids(conn, &lots)?,
                store::objects_by_unique_ids(conn, None, &strings(&["1.2.3.1", "1.2.3.10"]))?,
                store::objects_by_unique_ids(
                    conn,
                    Some(KIND_FOLDER),
                    &strings(&["1.2.3.1", "1.2.3.20"]),
                )?,
                store::objects_by_lid(conn, "D1")?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(ids(&by_id), ["D2", "SS1"]);
    assert_eq!(ids(&many), ["D3", "F2"]);
    assert_eq!(ids(&by_uid), ["D1", "SS1", "D1v2"]);
    assert_eq!(ids(&by_uid_kind), ["F1"]);
    assert_eq!(ids(&by_lid), ["D1", "D1v2"]);
    assert_eq!(by_lid.iter().map(|r| r.version).collect::<Vec<_>>(), [1, 2]);
}

#[tokio::test]
async fn status_and_last_update_changes() {
    let (store, _db) = registry_fixture().await;
    let (changed, folders_changed, rows) = store
        .write(|conn| {
            let changed = store::set_status(conn, &strings(&["D1", "D2", "nope"]), DEPRECATED)?;
            // D1 is not a folder: untouched.
            let folders = store::set_last_update_time(conn, &strings(&["F1", "D1"]), "2023")?;
            Ok::<_, StoreError>((
                changed,
                folders,
                store::objects_by_ids(conn, &strings(&["D1", "D2", "F1"]))?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(changed, 2);
    assert_eq!(folders_changed, 1);
    assert!(rows.iter().take(2).all(|r| r.status == DEPRECATED));
    assert_eq!(rows[0].last_update_time, None);
    assert_eq!(rows[2].last_update_time.as_deref(), Some("20230000000000"));
}

/// A registration's one lookup finds objects by entryUUID or by uniqueId,
/// each once, whatever matched; long lists take the chunked path.
#[tokio::test]
async fn lookup_by_ids_or_unique_ids() {
    let (store, _db) = registry_fixture().await;
    let (short, both, long) = store
        .read(|conn| {
            let short = store::objects_by_ids_or_unique_ids(
                conn,
                &strings(&["SS1", "nope"]),
                &strings(&["1.2.3.1", "1.2.3.404"]),
            )?;
            // D1 is asked for by id and by uniqueId: returned once.
            let both = store::objects_by_ids_or_unique_ids(
                conn,
                &strings(&["D1"]),
                &strings(&["1.2.3.1"]),
            )?;
            let mut lots: Vec<String> = (0..2500).map(|i| format!("missing-{i}")).collect();
            lots.push("F2".into());
            let long = store::objects_by_ids_or_unique_ids(conn, &lots, &strings(&["1.2.3.1"]))?;
            Ok::<_, StoreError>((short, both, long))
        })
        .await
        .unwrap();
    assert_eq!(ids(&short), ["D1", "SS1"]);
    assert_eq!(ids(&both), ["D1"]);
    assert_eq!(ids(&long), ["D1", "F2"]);
}

/// Every column an object, a code and an association are inserted with is
/// read back as it was, on both backends (PostgreSQL inserts through one
/// array per column).
#[tokio::test]
async fn inserted_rows_read_back_whole() {
    let (store, _db) = fresh_store().await;
    add_patients(&store, &["P"]).await;
    let full = |id: &str, n: i64| NewRegistryObject {
        object_type: Some("urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1".into()),
        submission_set_id: Some("SS".into()),
        class_code: Some("11490-0^^2.16.840.1.113883.6.1".into()),
        type_code: Some("18842-5^^2.16.840.1.113883.6.1".into()),
        format_code: Some(
            "urn:ihe:iti:xds:2017:mimeTypeSufficient^^1.3.6.1.4.1.19376.1.2.3".into(),
        ),
        practice_setting_code: Some("01^^1.2.392.200119.4.201".into()),
        healthcare_facility_type_code: Some("1^^1.2.392.100495.20.2.51".into()),
        creation_time: Some("20251203101500".into()),
        service_start_time: Some("20251201000000".into()),
        service_stop_time: Some("20251202000000".into()),
        submission_time: Some("20251203101600".into()),
        source_id: Some("1.2.392.9".into()),
        content_type_code: Some("57133-1^^2.16.840.1.113883.6.1".into()),
        last_update_time: Some("20251203101700".into()),
        hash: Some("da39a3ee5e6b4b0d3255bfef95601890afd80709".into()),
        size: Some(10_240),
        repository_unique_id: Some("1.2.392.1.2".into()),
        mime_type: Some("text/xml".into()),
        body: format!("{{\"id\":\"{id}\",\"title\":\"診療情報提供書 'quoted' \\\\ \"}}"),
        ..object(id, "P", KIND_DOCUMENT_ENTRY, n)
    };
    // A row of NULLs next to a full one: an array with NULLs and values.
    let objects = vec![
        full("D1", 1),
        object("D2", "P", KIND_DOCUMENT_ENTRY, 2),
        full("D3", 3),
    ];
    let codes: Vec<NewObjectCode> = ["D1", "D3"]
        .iter()
        .map(|o| NewObjectCode {
            object_id: o.to_string(),
            patient_id: "P".into(),
            kind: store::CODE_EVENT.into(),
            value: "I10^^ICD10".into(),
        })
        .collect();
    let associations = vec![
        NewAssociation {
            patient_id: "P".into(),
            ..assoc("A1", HAS_MEMBER, "SS", "D1", 4)
        },
        NewAssociation {
            submission_set_id: None,
            patient_id: "P".into(),
            ..assoc("A2", HAS_MEMBER, "SS", "D2", 5)
        },
    ];
    let (o, c, a) = (objects.clone(), codes.clone(), associations.clone());
    let (inserted, read) = store
        .write(move |conn| {
            let inserted = (
                store::insert_objects(conn, &o)?,
                store::insert_codes(conn, &c)?,
                store::insert_associations(conn, &a)?,
            );
            let read = (
                store::objects_by_ids(conn, &strings(&["D1", "D2", "D3"]))?,
                store::codes_by_object_ids(conn, &strings(&["P"]), &strings(&["D1", "D3"]))?,
                store::associations_by_ids(conn, &strings(&["A1", "A2"]))?,
            );
            Ok::<_, StoreError>((inserted, read))
        })
        .await
        .unwrap();
    assert_eq!(inserted, (3, 2, 2));
    assert_eq!(read.0, objects);
    assert_eq!(read.1, codes);
    assert_eq!(read.2, associations);
}

#[tokio::test]
async fn codes_by_object() {
    let (store, _db) = registry_fixture().await;
    let codes = store
        .read(|conn| {
            let ids = strings(&["F1", "SS2"]);
            // Asked under another patient, the same objects have no codes.
            assert!(store::codes_by_object_ids(conn, &strings(&[P2]), &ids)?.is_empty());
            store::codes_by_object_ids(conn, &strings(&[P2, P1]), &ids)
        })
        .await
        .unwrap();
    let got: Vec<(&str, &str, &str)> = codes
        .iter()
        .map(|c| (c.object_id.as_str(), c.kind.as_str(), c.value.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("F1", "folderCode", "FC1^^fc"),
            ("F1", "folderCode", "FC2^^fc"),
            ("SS2", "authorPerson", "Nurse Jones")
        ]
    );
}

fn assoc(id: &str, kind: &str, source: &str, target: &str, n: i64) -> NewAssociation {
    NewAssociation {
        id: id.into(),
        patient_id: P1.into(),
        association_type: kind.into(),
        source_id: source.into(),
        target_id: target.into(),
        status: APPROVED.into(),
        submission_set_id: Some("SS1".into()),
        body: "{}".into(),
        registered_at: at(n),
    }
}

fn assoc_ids(rows: &[AssociationRow]) -> Vec<&str> {
    rows.iter().map(|a| a.id.as_str()).collect()
}

#[tokio::test]
async fn associations_by_end_and_type() {
    let (store, _db) = registry_fixture().await;
    let hm = strings(&[HAS_MEMBER]);
    let (touching, typed, sources, targets, none, by_ids) = store
        .write(move |conn| {
            store::insert_associations(
                conn,
                &[
                    assoc("A1", HAS_MEMBER, "SS1", "D1", 40),
                    assoc("A2", HAS_MEMBER, "F1", "D1", 41),
                    assoc("A3", HAS_MEMBER, "SS1", "A2", 42),
                    assoc("A4", RPLC, "D2", "D1", 43),
                    assoc("A5", HAS_MEMBER, "SS2", "D2", 44),
                ],
            )?;
            store::set_association_status(conn, &strings(&["A5"]), DEPRECATED)?;
            Ok::<_, StoreError>((
                store::associations_touching(conn, &strings(&["D1", "A2"]), None)?,
                store::associations_touching(conn, &strings(&["D1", "D2"]), Some(&hm))?,
                store::associations_by_source(conn, &strings(&["SS1"]), None)?,
                store::associations_by_target(conn, &strings(&["D1"]), Some(&[RPLC.to_string()]))?,
                store::associations_by_target(conn, &strings(&["D1"]), Some(&[]))?,
                store::associations_by_ids(conn, &strings(&["A5", "A1", "A9"]))?,
            ))
        })
        .await
        .unwrap();
    // A2 is both a target of A3 and touches D1: reported once.
    assert_eq!(assoc_ids(&touching), ["A1", "A2", "A3", "A4"]);
    assert_eq!(assoc_ids(&typed), ["A1", "A2", "A5"]);
    assert_eq!(assoc_ids(&sources), ["A1", "A3"]);
    assert_eq!(assoc_ids(&targets), ["A4"]);
    assert!(none.is_empty());
    assert_eq!(assoc_ids(&by_ids), ["A1", "A5"]);
    assert_eq!(by_ids[1].status, DEPRECATED);
}

fn document(uid: &str, patient: &str) -> NewDocument {
    NewDocument {
        repository_unique_id: "1.2.3.4.5".into(),
        unique_id: uid.into(),
        blob_key: format!("documents/{uid}"),
        hash: "da39a3ee5e6b4b0d3255bfef95601890afd80709".into(),
        size: 0,
        mime_type: "text/plain".into(),
        patient_id: patient.into(),
        stored_at: at(1),
    }
}

#[tokio::test]
async fn repository_documents() {
    let (store, _db) = fresh_store().await;
    let (one, other_repo, many) = store
        .write(|conn| {
            // No patient row needed: the repository may run without the registry.
            store::insert_document(conn, &document("1.1", P1))?;
            store::insert_document(conn, &document("1.2", P2))?;
            Ok::<_, StoreError>((
                store::document_by_unique_id(conn, "1.2.3.4.5", "1.1")?,
                store::document_by_unique_id(conn, "9.9", "1.1")?,
                store::documents_by_unique_ids(
                    conn,
                    "1.2.3.4.5",
                    &strings(&["1.2", "1.1", "1.3"]),
                )?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(one, Some(document("1.1", P1)));
    assert_eq!(other_repo, None);
    assert_eq!(many, vec![document("1.1", P1), document("1.2", P2)]);

    let duplicate = store
        .write(|conn| store::insert_document(conn, &document("1.1", P1)))
        .await
        .unwrap_err();
    assert!(duplicate.is_unique_violation(), "{duplicate}");

    let removed = store
        .write(|conn| store::delete_documents(conn, "1.2.3.4.5", &strings(&["1.1"])))
        .await
        .unwrap();
    assert_eq!(removed, 1);
    let gone = store
        .read(|conn| store::document_by_unique_id(conn, "1.2.3.4.5", "1.1"))
        .await
        .unwrap();
    assert_eq!(gone, None);
}
