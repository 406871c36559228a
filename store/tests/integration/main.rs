//! Integration tests of the store against a real database: SQLite by default,
//! PostgreSQL when `RENKEI_TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod blobs;
mod consent;
mod explain;
mod facilities;
mod filters;
mod grouped_writes;
mod migrations;
mod objects;
mod statement_cache;
mod transactions;

use chrono::{DateTime, NaiveDateTime};
use store::testing::TestDatabase;
use store::{NewRegistryObject, Store, StoreError};

pub const APPROVED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved";
pub const DEPRECATED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated";
pub const STABLE: &str = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1";
pub const ON_DEMAND: &str = "urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248";
pub const HAS_MEMBER: &str = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember";
pub const RPLC: &str = "urn:ihe:iti:2007:AssociationType:RPLC";

/// A migrated store on a fresh database; keep the guard alive as long as the store.
pub async fn fresh_store() -> (Store, TestDatabase) {
    let db = TestDatabase::new().await.expect("test database");
    let store = db.open_store().await.expect("open store");
    (store, db)
}

/// `n` seconds after a fixed instant: registration order in fixtures.
pub fn at(n: i64) -> NaiveDateTime {
    DateTime::from_timestamp(1_700_000_000 + n, 0)
        .unwrap()
        .naive_utc()
}

/// A minimal object; tests fill in the columns they search.
pub fn object(id: &str, patient: &str, kind: &str, n: i64) -> NewRegistryObject {
    NewRegistryObject {
        id: id.to_string(),
        patient_id: patient.to_string(),
        kind: kind.to_string(),
        lid: id.to_string(),
        version: 1,
        unique_id: format!("1.2.3.{n}"),
        status: APPROVED.to_string(),
        submitter: "1.2.392.1".to_string(),
        body: format!("{{\"id\":\"{id}\"}}"),
        registered_at: at(n),
        ..NewRegistryObject::default()
    }
}

/// A caller's own error type next to the store's, as the registry has.
#[derive(Debug)]
pub enum AppError {
    Rejected,
    Store(StoreError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Store(e)
    }
}

pub async fn exists(store: &Store, patient_id: &str) -> bool {
    let id = patient_id.to_string();
    store
        .read(move |conn| store::patient_exists(conn, &id))
        .await
        .unwrap()
}

pub async fn add_patients(store: &Store, ids: &[&str]) {
    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    store
        .write(move |conn| {
            for id in &ids {
                store::add_patient(conn, id)?;
            }
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
}

pub fn ids(rows: &[store::RegistryObjectRow]) -> Vec<&str> {
    rows.iter().map(|r| r.id.as_str()).collect()
}

pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}
