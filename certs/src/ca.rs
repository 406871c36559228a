//! The operator CA: generation, storage in the data directory, loading.
//!
//! The CA key lives only in `<data dir>/ca-key.pem` (mode 0600); it is never
//! returned by this API except through [`OperatorCa::save`].

use std::fmt;
use std::path::Path;

use chrono::{DateTime, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData, RsaKeySize, SerialNumber,
};
use rustls_pki_types::CertificateDer;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::clock::{from_unix, to_offset, window_from_now};
use crate::error::CertError;
use crate::key_policy::{SubjectKey, classify};
use crate::pem_files::{
    PRIVATE_FILE_MODE, PUBLIC_FILE_MODE, WriteMode, certs_from_pem, ensure_owner_only, read_text,
    write_file_atomically,
};
use crate::serial::random_serial;
use crate::subject::validate_name;

/// Key algorithm of the operator CA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// ECDSA on P-256 with SHA-256 (default: small, fast, BCP 195).
    EcdsaP256,
    /// RSA 3072 bits, PKCS#1 v1.5 signatures with SHA-256, for peers that cannot verify ECDSA.
    Rsa3072,
}

/// The network operator's certificate authority.
pub struct OperatorCa {
    issuer: Issuer<'static, KeyPair>,
    key_algorithm: KeyAlgorithm,
    cert_der: CertificateDer<'static>,
    cert_pem: String,
    common_name: String,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
}

impl fmt::Debug for OperatorCa {
    // Never print the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OperatorCa")
            .field("common_name", &self.common_name)
            .field("key_algorithm", &self.key_algorithm)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl OperatorCa {
    /// File name of the CA certificate inside the data directory.
    pub const CERT_FILE: &'static str = "ca.pem";
    /// File name of the CA private key inside the data directory (mode 0600).
    pub const KEY_FILE: &'static str = "ca-key.pem";

    /// Creates a new self-signed CA. Path length 0: it signs end-entity
    /// certificates only, so a participant certificate can never act as a CA.
    pub fn generate(
        algorithm: KeyAlgorithm,
        common_name: &str,
        validity_days: u32,
    ) -> Result<Self, CertError> {
        validate_name("CA common name", common_name)?;
        let key = match algorithm {
            KeyAlgorithm::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
            KeyAlgorithm::Rsa3072 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_3072)
            }
        }
        .map_err(|e| CertError::KeyGeneration(e.to_string()))?;
        let (not_before, not_after) = window_from_now(validity_days)?;

        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name.trim());
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = to_offset(not_before)?;
        params.not_after = to_offset(not_after)?;
        params.serial_number = Some(SerialNumber::from_slice(&random_serial()?));
        let cert = params.self_signed(&key)?;
        Self::from_parts(cert.der().clone(), cert.pem(), key)
    }

    /// Rebuilds the CA from its PEM certificate and PEM private key, checking they belong together.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, CertError> {
        let cert_der = certs_from_pem(cert_pem)?
            .into_iter()
            .next()
            .ok_or_else(|| CertError::InvalidCa("the CA certificate file is empty".to_owned()))?;
        let key = KeyPair::from_pem(key_pem)
            .map_err(|e| CertError::InvalidCa(format!("cannot read the CA private key: {e}")))?;
        Self::from_parts(cert_der, first_certificate_block(cert_pem), key)
    }

    /// Loads `ca.pem` and `ca-key.pem` from `dir`; refuses a key file others can read.
    pub fn load(dir: &Path) -> Result<Self, CertError> {
        let key_path = dir.join(Self::KEY_FILE);
        ensure_owner_only(&key_path)?;
        let key_pem = read_text(&key_path)?;
        let cert_pem = read_text(&dir.join(Self::CERT_FILE))?;
        Self::from_pem(&cert_pem, &key_pem)
    }

    /// Writes `ca-key.pem` (0600) and `ca.pem` (0644) into `dir`, creating it if needed.
    /// Refuses to overwrite an existing CA: replacing it would orphan every issued certificate.
    pub fn save(&self, dir: &Path) -> Result<(), CertError> {
        std::fs::create_dir_all(dir).map_err(|e| CertError::io("cannot create", dir, e))?;
        let key_path = dir.join(Self::KEY_FILE);
        let cert_path = dir.join(Self::CERT_FILE);
        for path in [&key_path, &cert_path] {
            if path.exists() {
                return Err(CertError::AlreadyExists(path.clone()));
            }
        }
        let key_pem = self.issuer.key().serialize_pem();
        write_file_atomically(
            &key_path,
            key_pem.as_bytes(),
            PRIVATE_FILE_MODE,
            WriteMode::CreateNew,
        )?;
        let written = write_file_atomically(
            &cert_path,
            self.cert_pem.as_bytes(),
            PUBLIC_FILE_MODE,
            WriteMode::CreateNew,
        );
        if written.is_err() {
            // A key without its certificate is useless and would block a retry.
            let _ = std::fs::remove_file(&key_path);
        }
        written
    }

    /// The CA certificate, PEM (what participants put in their trust store as `ca.pem`).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The CA certificate, DER.
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    /// The CA key algorithm.
    pub fn key_algorithm(&self) -> KeyAlgorithm {
        self.key_algorithm
    }

    /// The CA subject common name.
    pub fn common_name(&self) -> &str {
        &self.common_name
    }

    /// Start of the CA validity.
    pub fn not_before(&self) -> DateTime<Utc> {
        self.not_before
    }

    /// End of the CA validity; nothing is issued beyond it.
    pub fn not_after(&self) -> DateTime<Utc> {
        self.not_after
    }

    pub(crate) fn issuer(&self) -> &Issuer<'static, KeyPair> {
        &self.issuer
    }

    fn from_parts(
        cert_der: CertificateDer<'static>,
        cert_pem: String,
        key: KeyPair,
    ) -> Result<Self, CertError> {
        let (_, x509) = X509Certificate::from_der(&cert_der).map_err(|e| {
            CertError::InvalidCa(format!("the CA certificate cannot be parsed: {e}"))
        })?;
        let is_ca = x509
            .basic_constraints()
            .ok()
            .flatten()
            .is_some_and(|bc| bc.value.ca);
        if !is_ca {
            return Err(CertError::InvalidCa(
                "the certificate is not a CA certificate (basicConstraints CA:TRUE missing)"
                    .to_owned(),
            ));
        }
        let can_sign = x509
            .key_usage()
            .ok()
            .flatten()
            .is_some_and(|ku| ku.value.key_cert_sign() && ku.value.crl_sign());
        if !can_sign {
            return Err(CertError::InvalidCa(
                "the CA certificate lacks the keyCertSign and cRLSign key usages".to_owned(),
            ));
        }
        if x509.public_key().raw != key.subject_public_key_info().as_slice() {
            return Err(CertError::InvalidCa(
                "the private key does not belong to the CA certificate".to_owned(),
            ));
        }
        let key_algorithm = match classify(x509.public_key())? {
            SubjectKey::EcdsaP256 => KeyAlgorithm::EcdsaP256,
            SubjectKey::Rsa { bits: 3072 } => KeyAlgorithm::Rsa3072,
            other => {
                return Err(CertError::InvalidCa(format!(
                    "CA key {other:?} is not supported; the operator CA uses ECDSA P-256 or RSA 3072"
                )));
            }
        };
        let common_name = x509
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .unwrap_or_default()
            .to_owned();
        let not_before = from_unix(x509.validity().not_before.timestamp())?;
        let not_after = from_unix(x509.validity().not_after.timestamp())?;
        let issuer = Issuer::from_ca_cert_der(&cert_der, key)?;
        Ok(Self {
            issuer,
            key_algorithm,
            cert_der,
            cert_pem,
            common_name,
            not_before,
            not_after,
        })
    }
}

/// The first `CERTIFICATE` PEM block of `pem`, so [`OperatorCa::cert_pem`] is
/// exactly the CA certificate even if the file held more.
fn first_certificate_block(pem: &str) -> String {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    pem.find(BEGIN)
        .and_then(|start| {
            let end = start + pem.get(start..)?.find(END)? + END.len();
            pem.get(start..end)
        })
        .map_or_else(|| pem.to_owned(), |block| format!("{block}\n"))
}
