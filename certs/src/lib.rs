//! Operator PKI and TLS for renkei.
//!
//! - [`OperatorCa`]: the network operator's CA (ECDSA P-256 or RSA 3072), kept
//!   in the data directory with an owner-only key file; issues the hub's server
//!   certificate and participant certificates, signs participant CSRs, and signs CRLs.
//! - Participant certificates name their facility as subjectAltName URI
//!   `urn:oid:<facility OID>`; [`PeerIdentity`] reads it back from a peer certificate.
//! - [`TrustState`], [`server_config`], [`ReloadableServerCert`]: rustls
//!   configuration for the mTLS listeners, with roots, revocations, suspensions
//!   and the server certificate replaceable without a restart.
//!
//! Serial numbers are handled in one canonical text form everywhere; see
//! [`normalize_serial_hex`].

mod ca;
mod clock;
mod crl;
mod csr;
mod error;
mod facility_oid;
mod identity;
mod issue;
mod key_policy;
mod pem_files;
mod serial;
mod subject;
mod tls;

pub use ca::{KeyAlgorithm, OperatorCa};
pub use crl::{CrlSummary, RevocationReason, RevokedEntry, UnknownRevocationReason, parse_crl};
pub use error::{AccessRefused, CertError};
pub use facility_oid::{
    FACILITY_URN_PREFIX, MAX_FACILITY_OID_LEN, facility_urn, validate_facility_oid,
};
pub use identity::PeerIdentity;
pub use issue::IssuedCertificate;
pub use key_policy::{MAX_RSA_BITS, MIN_RSA_BITS};
pub use pem_files::{
    PRIVATE_FILE_MODE, PUBLIC_FILE_MODE, WriteMode, certs_from_pem, crls_from_pem,
    ensure_owner_only, load_cert_chain, load_crls, load_private_key, private_key_from_pem,
    write_file_atomically,
};
pub use serial::normalize_serial_hex;
pub use subject::{MAX_NAME_CHARS, ParticipantSubject};
pub use tls::{
    BCP195_CIPHER_SUITES, PROTOCOL_VERSIONS, ReloadableServerCert, RevocationAwareClientVerifier,
    RevocationView, TrustPolicy, TrustState, client_config, client_config_without_certificate,
    crypto_provider, server_config,
};
