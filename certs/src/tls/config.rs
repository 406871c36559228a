//! rustls configurations for the hub's listeners and for our own clients.

use std::sync::Arc;

use rustls::server::{NoServerSessionStorage, ProducesTickets};
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedProtocolVersion};

use super::provider::crypto_provider;
use super::server_cert::ReloadableServerCert;
use super::trust::TrustState;
use crate::error::CertError;
use crate::pem_files::{certs_from_pem, private_key_from_pem};

/// TLS 1.3 and TLS 1.2; nothing older exists in rustls, and nothing older is offered.
pub static PROTOCOL_VERSIONS: &[&SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// Never issues TLS 1.2 session tickets (set explicitly rather than relying on a default).
#[derive(Debug)]
struct NoTickets;

impl ProducesTickets for NoTickets {
    fn enabled(&self) -> bool {
        false
    }
    fn lifetime(&self) -> u32 {
        0
    }
    fn encrypt(&self, _plain: &[u8]) -> Option<Vec<u8>> {
        None
    }
    fn decrypt(&self, _cipher: &[u8]) -> Option<Vec<u8>> {
        None
    }
}

/// Server configuration shared by the HTTPS and MLLP listeners: TLS 1.3/1.2 with
/// BCP 195 suites, a client certificate chained to the operator CA required,
/// extended master secret required for TLS 1.2, and no session resumption of any
/// kind, so every connection is a full handshake that sees the current
/// revocation state. Set `alpn_protocols` on the result as the listener needs.
pub fn server_config(
    trust: &TrustState,
    server_cert: Arc<ReloadableServerCert>,
) -> Result<ServerConfig, CertError> {
    let mut config = ServerConfig::builder_with_provider(crypto_provider())
        .with_protocol_versions(PROTOCOL_VERSIONS)?
        .with_client_cert_verifier(trust.client_verifier())
        .with_cert_resolver(server_cert);
    config.session_storage = Arc::new(NoServerSessionStorage {});
    config.ticketer = Arc::new(NoTickets);
    config.send_tls13_tickets = 0;
    config.max_early_data_size = 0;
    config.ignore_client_order = true;
    config.require_ems = true;
    Ok(config)
}

/// Client configuration for our own tools (tests, load tool, syslog sender,
/// repository-to-registry calls): trusts `ca_pem`, authenticates with the
/// given certificate chain (end entity first) and key.
pub fn client_config(
    ca_pem: &str,
    client_cert_pem: &str,
    client_key_pem: &str,
) -> Result<ClientConfig, CertError> {
    let chain = certs_from_pem(client_cert_pem)?;
    let key = private_key_from_pem(client_key_pem)?;
    Ok(ClientConfig::builder_with_provider(crypto_provider())
        .with_protocol_versions(PROTOCOL_VERSIONS)?
        .with_root_certificates(roots(ca_pem)?)
        .with_client_auth_cert(chain, key)?)
}

/// Client configuration without a client certificate: for probes and for
/// tests proving the hub refuses such clients.
pub fn client_config_without_certificate(ca_pem: &str) -> Result<ClientConfig, CertError> {
    Ok(ClientConfig::builder_with_provider(crypto_provider())
        .with_protocol_versions(PROTOCOL_VERSIONS)?
        .with_root_certificates(roots(ca_pem)?)
        .with_no_client_auth())
}

fn roots(ca_pem: &str) -> Result<RootCertStore, CertError> {
    let mut roots = RootCertStore::empty();
    for cert in certs_from_pem(ca_pem)? {
        roots.add(cert)?;
    }
    Ok(roots)
}
