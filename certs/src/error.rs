//! Typed errors. Every message says what is wrong and, where the caller can act,
//! what to do about it: operators and participants read these on the CLI and in
//! admin API responses.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

/// Failure of a PKI or TLS-configuration operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// A facility OID is not a well-formed dotted-decimal OID.
    #[error(
        "facility OID {oid:?} is invalid: {reason}; use dotted decimal digits such as 1.2.392.200119.6.102.1"
    )]
    InvalidFacilityOid { oid: String, reason: &'static str },

    /// A subject field (organisation, common name, DNS name) is unusable.
    #[error("invalid certificate subject: {0}")]
    InvalidSubject(String),

    /// Requested validity is empty, too long, or outlives the operator CA.
    #[error("invalid validity: {0}")]
    InvalidValidity(String),

    /// The CSR is not a parseable PKCS#10 request.
    #[error(
        "malformed certificate signing request: {0}; send a PEM 'CERTIFICATE REQUEST' made with e.g. `openssl req -new`"
    )]
    MalformedCsr(String),

    /// The CSR signature does not verify against its own public key.
    #[error(
        "the certificate signing request signature does not verify: {0}; regenerate the CSR with the private key it names"
    )]
    CsrSignatureInvalid(String),

    /// The key is of an accepted type but too small.
    #[error("weak key: {0}")]
    WeakKey(String),

    /// The key or signature algorithm is not one the network accepts.
    #[error("unsupported key: {0}")]
    UnsupportedKey(String),

    /// A certificate could not be parsed or lacks a required field.
    #[error("malformed certificate: {0}")]
    MalformedCertificate(String),

    /// A participant certificate without `urn:oid:` SAN cannot name a facility.
    #[error(
        "certificate carries no facility OID (expected a subjectAltName URI urn:oid:<facility OID>); ask the operator for a participant certificate"
    )]
    NoFacilityOid,

    /// More than one facility OID: the identity would be ambiguous.
    #[error(
        "certificate names more than one facility OID ({0:?}); a certificate must name exactly one facility"
    )]
    AmbiguousFacilityOid(Vec<String>),

    /// A serial number given by a person or a database is not hexadecimal.
    #[error(
        "invalid certificate serial {input:?}: {reason}; give the serial in hexadecimal, e.g. 4f3a9c..."
    )]
    InvalidSerial { input: String, reason: &'static str },

    /// The client sent more certificates than the chain policy allows.
    #[error(
        "client certificate chain has {presented} intermediate certificates, policy allows at most {allowed}; send only the end-entity certificate (optionally with the operator CA)"
    )]
    ChainTooLong { presented: usize, allowed: usize },

    /// Key generation in aws-lc-rs failed.
    #[error("key generation failed: {0}")]
    KeyGeneration(String),

    /// rcgen refused to build or sign a certificate or CRL.
    #[error("signing failed: {0}")]
    Signing(#[from] rcgen::Error),

    /// File system error, with the file that caused it.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Refusing to overwrite an existing file (for example an existing operator CA).
    #[error(
        "{0} already exists; refusing to overwrite it (move it away first if you really mean to replace it)"
    )]
    AlreadyExists(PathBuf),

    /// A private key file is readable by group or others.
    #[error(
        "private key file {path} has mode {mode:o}, readable by others; run `chmod 600 {path}`"
    )]
    InsecureKeyFile { path: PathBuf, mode: u32 },

    /// PEM input is unreadable or holds none of the expected objects.
    #[error("{what}: {reason}")]
    Pem { what: String, reason: String },

    /// The CA certificate and key do not belong together, or the certificate is no CA.
    #[error("operator CA is unusable: {0}")]
    InvalidCa(String),

    /// rustls rejected a configuration (bad key, mismatching key and certificate...).
    #[error("TLS configuration error: {0}")]
    Tls(#[from] rustls::Error),

    /// The client verifier could not be built from the trust anchors.
    #[error("cannot build the client certificate verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),

    /// A CRL is malformed, badly signed or from another issuer.
    #[error("invalid CRL: {0}")]
    InvalidCrl(String),
}

/// Why an already-authenticated peer may no longer be served (checked per request).
///
/// The handshake check alone is not enough: keep-alive connections outlive
/// revocations, suspensions and expiry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessRefused {
    #[error("certificate {serial_hex} has been revoked by the network operator")]
    Revoked { serial_hex: String },
    #[error("facility {facility_oid} is suspended by the network operator")]
    FacilitySuspended { facility_oid: String },
    #[error("certificate expired at {not_after}; ask the operator for a new certificate")]
    Expired { not_after: DateTime<Utc> },
    #[error("certificate is not valid before {not_before}; check the system clock")]
    NotYetValid { not_before: DateTime<Utc> },
}

impl CertError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn pem(what: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        Self::Pem {
            what: what.into(),
            reason: reason.to_string(),
        }
    }
}
