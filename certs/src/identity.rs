//! The facility behind a TLS connection, read from the peer's end-entity certificate.

use chrono::{DateTime, Utc};
use rustls_pki_types::CertificateDer;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::clock::from_unix;
use crate::error::CertError;
use crate::facility_oid::{oid_from_urn, validate_facility_oid};
use crate::serial::serial_hex_from_bytes;

/// Who is on the other end of a mutually authenticated connection. Parse it once
/// per connection; check it per request with [`crate::TrustState::check_peer`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeerIdentity {
    /// The facility OID from the subjectAltName URI `urn:oid:<OID>`.
    pub facility_oid: String,
    /// Subject CN (system or person), informational.
    pub common_name: Option<String>,
    /// Subject O (facility name), informational.
    pub organization: Option<String>,
    /// Serial in canonical form, equal to [`crate::IssuedCertificate::serial_hex`].
    pub serial_hex: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

impl PeerIdentity {
    /// Reads the identity from an end-entity certificate (DER). Does not verify
    /// the chain: call it on certificates rustls has already verified.
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let (rest, cert) = X509Certificate::from_der(der)
            .map_err(|e| CertError::MalformedCertificate(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CertError::MalformedCertificate(
                "trailing bytes after the certificate".to_owned(),
            ));
        }
        let san = cert
            .subject_alternative_name()
            .map_err(|e| CertError::MalformedCertificate(format!("subjectAltName: {e}")))?;
        let mut oids: Vec<String> = Vec::new();
        for name in san.iter().flat_map(|ext| ext.value.general_names.iter()) {
            if let GeneralName::URI(uri) = name
                && let Some(oid) = oid_from_urn(uri)
                && !oids.iter().any(|o| o == oid)
            {
                oids.push(oid.to_owned());
            }
        }
        let facility_oid = match oids.as_slice() {
            [] => return Err(CertError::NoFacilityOid),
            [one] => one.clone(),
            _ => return Err(CertError::AmbiguousFacilityOid(oids)),
        };
        validate_facility_oid(&facility_oid)?;
        Ok(Self {
            facility_oid,
            common_name: cert
                .subject()
                .iter_common_name()
                .next()
                .and_then(|a| a.as_str().ok())
                .map(str::to_owned),
            organization: cert
                .subject()
                .iter_organization()
                .next()
                .and_then(|a| a.as_str().ok())
                .map(str::to_owned),
            serial_hex: serial_hex_from_bytes(cert.raw_serial()),
            not_before: from_unix(cert.validity().not_before.timestamp())?,
            not_after: from_unix(cert.validity().not_after.timestamp())?,
        })
    }

    /// Reads the identity from the chain rustls returns from `peer_certificates()`:
    /// index 0 is the end entity.
    pub fn from_peer_certificates(chain: &[CertificateDer<'_>]) -> Result<Self, CertError> {
        let end_entity = chain.first().ok_or_else(|| {
            CertError::MalformedCertificate("the peer presented no certificate".to_owned())
        })?;
        Self::from_der(end_entity.as_ref())
    }
}
