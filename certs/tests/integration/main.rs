//! One integration-test binary for the certs crate: real keys, real
//! certificates, real rustls handshakes (client and server connections pumping
//! bytes to each other in memory).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod ca_files;
mod crl;
mod csr;
mod issuance;
mod support;
mod tls_policy;
mod tls_refusals;
mod tls_reload;
