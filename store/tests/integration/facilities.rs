//! Facilities, certificates and patients bookkeeping.

use crate::*;
use store::{
    CERTIFICATE_REVOKED, FACILITY_ACTIVE, FACILITY_SUSPENDED, NewCertificate, NewFacility,
};

fn facility(oid: &str) -> NewFacility {
    NewFacility {
        oid: oid.into(),
        name: format!("Clinic {oid}"),
        kind: "clinic".into(),
    }
}

fn certificate(serial: &str, oid: &str) -> NewCertificate {
    NewCertificate {
        serial_hex: serial.into(),
        facility_oid: oid.into(),
        subject: format!("CN=Clinic {oid}"),
        not_before: at(0),
        not_after: at(86_400 * 825),
        pem: "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n".into(),
    }
}

#[tokio::test]
async fn facility_lifecycle() {
    let (store, _db) = fresh_store().await;
    store
        .write(|conn| {
            store::insert_facility(conn, &facility("1.2.392.10.2"))?;
            store::insert_facility(conn, &facility("1.2.392.10.1"))
        })
        .await
        .unwrap();
    let duplicate = store
        .write(|conn| store::insert_facility(conn, &facility("1.2.392.10.1")))
        .await
        .unwrap_err();
    assert!(duplicate.is_unique_violation());

    let (suspended, unknown) = store
        .write(|conn| {
            Ok::<_, StoreError>((
                store::set_facility_status(conn, "1.2.392.10.1", FACILITY_SUSPENDED)?,
                store::set_facility_status(conn, "9.9", FACILITY_SUSPENDED)?,
            ))
        })
        .await
        .unwrap();
    assert!(suspended);
    assert!(!unknown);
    let invalid = store
        .write(|conn| store::set_facility_status(conn, "1.2.392.10.2", "sleeping"))
        .await;
    assert!(
        invalid.is_err(),
        "CHECK constraint refuses unknown statuses"
    );

    let (list, one, suspended_oids) = store
        .read(|conn| {
            Ok::<_, StoreError>((
                store::list_facilities(conn)?,
                store::facility(conn, "1.2.392.10.2")?,
                store::suspended_facilities(conn)?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(
        list.iter().map(|f| f.oid.as_str()).collect::<Vec<_>>(),
        ["1.2.392.10.1", "1.2.392.10.2"]
    );
    assert_eq!(one.map(|f| f.status), Some(FACILITY_ACTIVE.to_string()));
    assert_eq!(suspended_oids, ["1.2.392.10.1"]);
}

#[tokio::test]
async fn certificate_lifecycle() {
    let (store, _db) = fresh_store().await;
    store
        .write(|conn| {
            store::insert_facility(conn, &facility("1.2.392.10.1"))?;
            store::insert_certificate(conn, &certificate("0a1b", "1.2.392.10.1"))?;
            store::insert_certificate(conn, &certificate("0c2d", "1.2.392.10.1"))
        })
        .await
        .unwrap();
    let orphan = store
        .write(|conn| store::insert_certificate(conn, &certificate("0e3f", "9.9")))
        .await;
    assert!(orphan.is_err(), "the facility must exist");

    let (first, second) = store
        .write(|conn| {
            Ok::<_, StoreError>((
                store::revoke_certificate(conn, "0a1b", Some("keyCompromise"), at(100))?,
                store::revoke_certificate(conn, "0a1b", Some("superseded"), at(200))?,
            ))
        })
        .await
        .unwrap();
    assert!(first);
    assert!(!second, "already revoked");

    let (serials, revoked, of, one) = store
        .read(|conn| {
            Ok::<_, StoreError>((
                store::revoked_serials(conn)?,
                store::revoked_certificates(conn)?,
                store::certificates_of(conn, "1.2.392.10.1")?,
                store::certificate(conn, "0a1b")?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(serials, ["0a1b"]);
    assert_eq!(revoked.len(), 1);
    assert_eq!(of.len(), 2);
    let one = one.unwrap();
    assert_eq!(one.status, CERTIFICATE_REVOKED);
    assert_eq!(one.revoked_at, Some(at(100)));
    assert_eq!(one.revocation_reason.as_deref(), Some("keyCompromise"));
    assert_eq!(one.not_after, at(86_400 * 825));
}

#[tokio::test]
async fn patient_merge_is_recorded() {
    let (store, _db) = fresh_store().await;
    add_patients(&store, &["OLD", "NEW"]).await;
    let (merged, unknown, row) = store
        .write(|conn| {
            Ok::<_, StoreError>((
                store::mark_merged(conn, "OLD", "NEW")?,
                store::mark_merged(conn, "NONE", "NEW")?,
                store::patient(conn, "OLD")?,
            ))
        })
        .await
        .unwrap();
    assert!(merged);
    assert!(!unknown);
    assert_eq!(row.and_then(|p| p.merged_into).as_deref(), Some("NEW"));
}
