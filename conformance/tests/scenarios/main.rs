//! End-to-end scenarios against the real hub (`hub::build` on port 0, fresh
//! database: SQLite, or PostgreSQL when RENKEI_TEST_DATABASE_URL is set),
//! spoken to as a participant would: SOAP 1.2 over mutual TLS, MTOM.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod audit_admin;
mod audit_fields;
mod certificates;
mod common;
mod consent;
mod consent_bench;
mod load_tool;
mod pix_manager;
mod provide_and_retrieve;
mod register_and_query;
mod tls_identity;
mod wire_safety;
