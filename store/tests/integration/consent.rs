//! Consent grants and emergency accesses: per-patient loads for one
//! requester, withdrawal (all, per facility, per BPPC document), the
//! restricted/secret code lookup, and index use of every statement.

use crate::explain::{scanning, statements_of};
use crate::*;
use store::{ConsentGrantRow, EmergencyAccessRow};

const P: &str = "P1^^^&1.2.392.99&ISO";
const Q: &str = "P2^^^&1.2.392.99&ISO";
const A: &str = "1.2.392.1";
const B: &str = "1.2.392.2";

fn grant(id: &str, patient: &str, facility: &str, document: Option<&str>) -> ConsentGrantRow {
    ConsentGrantRow {
        id: id.into(),
        patient_id: patient.into(),
        facility_oid: facility.into(),
        scope: "normal".into(),
        given_at: at(0),
        expires_at: None,
        withdrawn_at: None,
        recorded_by: "operator-cli".into(),
        source: document.map_or("cli", |_| "bppc").into(),
        document_unique_id: document.map(|d| format!("{d}.uid")),
        document_entry_id: document.map(str::to_string),
    }
}

fn grant_ids(rows: &[ConsentGrantRow]) -> Vec<&str> {
    let mut v: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn grants_load_per_requester_and_withdraw_by_facility_or_document() {
    let (store, _db) = fresh_store().await;
    add_patients(&store, &[P, Q]).await;
    store
        .write(|conn| {
            store::insert_consent_grants(
                conn,
                &[
                    grant("g1", P, "*", None),
                    grant("g2", P, A, None),
                    grant("g3", P, B, Some("urn:uuid:doc")),
                    grant("g4", Q, A, None),
                ],
            )?;
            let p = strings(&[P]);
            assert_eq!(
                grant_ids(&store::consent_grants_of(conn, &p, Some(A))?),
                ["g1", "g2"]
            );
            assert_eq!(
                grant_ids(&store::consent_grants_of(conn, &p, None)?),
                ["g1", "g2", "g3"]
            );
            let both = strings(&[P, Q]);
            assert_eq!(
                grant_ids(&store::consent_grants_of(conn, &both, Some(A))?),
                ["g1", "g2", "g4"]
            );

            let gone = store::withdraw_consent_grants(conn, P, Some(A), at(10))?;
            assert_eq!(grant_ids(&gone), ["g2"]);
            assert_eq!(gone[0].withdrawn_at, Some(at(10)));
            let gone =
                store::withdraw_grants_of_documents(conn, &strings(&["urn:uuid:doc"]), at(11))?;
            assert_eq!(grant_ids(&gone), ["g3"]);
            let gone = store::withdraw_consent_grants(conn, P, None, at(12))?;
            assert_eq!(
                grant_ids(&gone),
                ["g1"],
                "already withdrawn ones stay as they were"
            );
            let all = store::consent_grants_of(conn, &p, None)?;
            let g2 = all.iter().find(|g| g.id == "g2").unwrap();
            assert_eq!(g2.withdrawn_at, Some(at(10)));
            // The other patient is untouched.
            let q = store::consent_grants_of(conn, &strings(&[Q]), None)?;
            assert!(q[0].withdrawn_at.is_none());
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn emergency_accesses_are_listed_and_ended() {
    let (store, _db) = fresh_store().await;
    add_patients(&store, &[P]).await;
    store
        .write(|conn| {
            let row = EmergencyAccessRow {
                id: "e1".into(),
                patient_id: P.into(),
                facility_oid: A.into(),
                reason: "ER".into(),
                opened_at: at(0),
                expires_at: at(3600),
                opened_by: A.into(),
            };
            store::insert_emergency_access(conn, &row)?;
            let p = strings(&[P]);
            assert_eq!(
                store::emergency_accesses_of(conn, &p, Some(A))?,
                vec![row.clone()]
            );
            assert!(store::emergency_accesses_of(conn, &p, Some(B))?.is_empty());
            assert!(store::end_emergency_access(conn, "e1", at(60))?);
            assert_eq!(
                store::emergency_accesses_of(conn, &p, None)?[0].expires_at,
                at(60)
            );
            // Ending later than it ends changes nothing.
            assert!(store::end_emergency_access(conn, "e1", at(7200))?);
            assert_eq!(
                store::emergency_accesses_of(conn, &p, None)?[0].expires_at,
                at(60)
            );
            assert!(!store::end_emergency_access(conn, "nope", at(1))?);
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn only_marked_confidentiality_codes_come_back() {
    let (store, _db) = fresh_store().await;
    add_patients(&store, &[P]).await;
    store
        .write(|conn| {
            store::insert_objects(
                conn,
                &[
                    object("d1", P, store::KIND_DOCUMENT_ENTRY, 1),
                    object("d2", P, store::KIND_DOCUMENT_ENTRY, 2),
                ],
            )?;
            let code = |id: &str, kind: &str, value: &str| store::ObjectCodeRow {
                object_id: id.into(),
                patient_id: P.into(),
                kind: kind.into(),
                value: value.into(),
            };
            store::insert_codes(
                conn,
                &[
                    code("d1", store::CODE_CONFIDENTIALITY, "N^^c"),
                    code("d2", store::CODE_CONFIDENTIALITY, "R^^c"),
                    code("d2", store::CODE_EVENT, "V^^c"),
                ],
            )?;
            let found = store::objects_with_codes(
                conn,
                &strings(&[P]),
                &strings(&["d1", "d2"]),
                store::CODE_CONFIDENTIALITY,
                &strings(&["R^^c", "V^^c"]),
            )?;
            assert_eq!(found, vec![("d2".to_string(), "R^^c".to_string())]);
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn consent_queries_use_indexes() {
    let (store, _db) = fresh_store().await;
    let offenders = store
        .read(|conn| {
            let ids = strings(&["a", "b"]);
            let statements = statements_of(conn, |c| {
                store::consent_grants_of(c, &ids, Some(A)).unwrap();
                store::consent_grants_of(c, &ids, None).unwrap();
                store::emergency_accesses_of(c, &ids, Some(A)).unwrap();
                store::objects_with_codes(c, &ids, &ids, store::CODE_CONFIDENTIALITY, &ids)
                    .unwrap();
                store::objects_with_codes(
                    c,
                    &ids[..1],
                    &ids[..1],
                    store::CODE_CONFIDENTIALITY,
                    &ids,
                )
                .unwrap();
            });
            assert!(statements.len() >= 4, "captured {statements:?}");
            Ok::<_, StoreError>(scanning(conn, statements))
        })
        .await
        .unwrap();
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}
