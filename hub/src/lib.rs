//! The `renkei` hub: listeners, thin handlers, configuration and the CLI's
//! building blocks. The only crate that knows actix. Tests start the real
//! server with [`build`] on port 0.

pub mod actions;
pub mod admin;
pub mod audit_cli;
pub mod auditing;
pub mod config;
pub mod consent_cli;
pub mod facility;
pub mod http;
pub mod https;
pub mod init;
pub mod metrics;
pub mod mllp;
pub mod node_auth;
pub mod pix_notify;
pub mod pki_files;
pub mod pki_watch;
pub mod policy;
pub mod server;
pub mod state;
mod tls;

/// Re-exported for tests and tools that read the audit trail.
pub use audit;
/// Re-exported so callers (tests, tools) name the same PKI types the hub uses.
pub use certs;
pub use config::Settings;
pub use server::{RunningHub, build};

/// rustls needs one process-wide crypto provider when several are compiled
/// in; install aws-lc-rs once (idempotent).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}
