//! The hub's server certificate, replaceable while listeners run.

use std::sync::Arc;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::provider::crypto_provider;
use crate::clock::from_unix;
use crate::error::CertError;
use crate::pem_files::{certs_from_pem, private_key_from_pem};
use crate::serial::serial_hex_from_bytes;

/// Certificate resolver that always answers with the current certificate;
/// [`Self::replace`] takes effect at the next handshake.
#[derive(Debug)]
pub struct ReloadableServerCert {
    current: ArcSwap<CertifiedKey>,
    provider: Arc<CryptoProvider>,
}

impl ReloadableServerCert {
    /// From a PEM chain (server certificate first) and its PEM private key.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, CertError> {
        let provider = crypto_provider();
        let key = certified_key(cert_pem, key_pem, &provider)?;
        Ok(Self {
            current: ArcSwap::from_pointee(key),
            provider,
        })
    }

    /// Swaps in a new certificate and key after checking they match and the
    /// certificate is currently valid; on error the old one stays in service.
    pub fn replace(&self, cert_pem: &str, key_pem: &str) -> Result<(), CertError> {
        let key = certified_key(cert_pem, key_pem, &self.provider)?;
        self.current.store(Arc::new(key));
        Ok(())
    }

    /// The certificate and key in service.
    pub fn current(&self) -> Arc<CertifiedKey> {
        self.current.load_full()
    }

    /// Canonical serial of the certificate in service (for status output and logs).
    pub fn current_serial_hex(&self) -> Result<String, CertError> {
        self.with_current(|cert| Ok(serial_hex_from_bytes(cert.raw_serial())))
    }

    /// End of validity of the certificate in service (expiry metrics).
    pub fn current_not_after(&self) -> Result<DateTime<Utc>, CertError> {
        self.with_current(|cert| from_unix(cert.validity().not_after.timestamp()))
    }

    fn with_current<T>(
        &self,
        f: impl FnOnce(&X509Certificate<'_>) -> Result<T, CertError>,
    ) -> Result<T, CertError> {
        let current = self.current.load();
        let der = current
            .cert
            .first()
            .ok_or_else(|| CertError::MalformedCertificate("empty server chain".to_owned()))?;
        let (_, cert) = X509Certificate::from_der(der.as_ref())
            .map_err(|e| CertError::MalformedCertificate(e.to_string()))?;
        f(&cert)
    }
}

impl ResolvesServerCert for ReloadableServerCert {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

fn certified_key(
    cert_pem: &str,
    key_pem: &str,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, CertError> {
    let chain = certs_from_pem(cert_pem)?;
    let end_entity = chain
        .first()
        .ok_or_else(|| CertError::MalformedCertificate("empty server chain".to_owned()))?;
    let (_, cert) = X509Certificate::from_der(end_entity.as_ref())
        .map_err(|e| CertError::MalformedCertificate(format!("server certificate: {e}")))?;
    let now = Utc::now().timestamp();
    if cert.validity().not_after.timestamp() < now {
        return Err(CertError::InvalidValidity(format!(
            "the server certificate expired at {}; issue a new one",
            cert.validity().not_after
        )));
    }
    if cert.validity().not_before.timestamp() > now {
        return Err(CertError::InvalidValidity(format!(
            "the server certificate is not valid before {}; check the system clock",
            cert.validity().not_before
        )));
    }
    let key = private_key_from_pem(key_pem)?;
    Ok(CertifiedKey::from_der(chain, key, provider)?)
}
