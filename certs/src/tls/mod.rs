//! TLS for the HTTPS and MLLP listeners and for our own clients: rustls with
//! the aws-lc-rs provider passed explicitly (never the process-wide default),
//! BCP 195 suites, mandatory client certificates, no session resumption, and
//! trust, revocation and the server certificate swappable without a restart.

mod config;
mod provider;
mod server_cert;
mod trust;
mod verifier;

pub use config::{
    PROTOCOL_VERSIONS, client_config, client_config_without_certificate, server_config,
};
pub use provider::{BCP195_CIPHER_SUITES, crypto_provider};
pub use server_cert::ReloadableServerCert;
pub use trust::{RevocationView, TrustPolicy, TrustState};
pub use verifier::RevocationAwareClientVerifier;
