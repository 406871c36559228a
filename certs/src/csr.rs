//! Signing participant CSRs. The participant keeps its private key; from the
//! CSR the operator takes only the public key, after checking its strength and
//! the proof-of-possession signature. Subject, SAN, EKU, validity and serial are
//! the operator's; requested extensions (even CA:TRUE) are ignored.

use rcgen::{PublicKeyData, SignatureAlgorithm};
use rustls_pki_types::CertificateSigningRequestDer;
use rustls_pki_types::pem::PemObject;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::prelude::FromDer;

use crate::ca::OperatorCa;
use crate::clock::window_from_now;
use crate::error::CertError;
use crate::issue::{IssuedCertificate, describe};
use crate::key_policy::{SubjectKey, classify};
use crate::subject::ParticipantSubject;

/// Signature algorithms too weak for a proof of possession (SHA-1 and MD5 families).
const WEAK_SIGNATURE_OIDS: &[&str] = &[
    "1.2.840.113549.1.1.4", // md5WithRSAEncryption
    "1.2.840.113549.1.1.5", // sha1WithRSAEncryption
    "1.3.14.3.2.29",        // sha1WithRSA (OIW)
    "1.2.840.10045.4.1",    // ecdsa-with-SHA1
    "1.2.840.10040.4.3",    // dsa-with-sha1
];

impl OperatorCa {
    /// Signs a participant's PKCS#10 CSR (PEM) as a participant certificate for `subject`.
    pub fn sign_csr(
        &self,
        csr_pem: &str,
        subject: &ParticipantSubject,
        validity_days: u32,
    ) -> Result<IssuedCertificate, CertError> {
        subject.validate()?;
        let (not_before, not_after) = window_from_now(validity_days)?;
        let public_key = CsrPublicKey::from_pem(csr_pem)?;
        let (params, serial) = self.participant_params(subject, not_before, not_after)?;
        let cert = params.signed_by(&public_key, self.issuer())?;
        describe(&cert, &serial, None)
    }
}

/// The checked public key of a CSR, in the form rcgen writes into a certificate.
struct CsrPublicKey {
    raw: Vec<u8>,
    algorithm: &'static SignatureAlgorithm,
}

impl PublicKeyData for CsrPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.raw
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.algorithm
    }
}

impl CsrPublicKey {
    fn from_pem(csr_pem: &str) -> Result<Self, CertError> {
        let der =
            CertificateSigningRequestDer::from_pem_slice(csr_pem.as_bytes()).map_err(|e| {
                CertError::MalformedCsr(match e {
                    rustls_pki_types::pem::Error::NoItemsFound => {
                        "no '-----BEGIN CERTIFICATE REQUEST-----' section found".to_owned()
                    }
                    other => other.to_string(),
                })
            })?;
        let (rest, csr) = X509CertificationRequest::from_der(der.as_ref())
            .map_err(|e| CertError::MalformedCsr(format!("not a PKCS#10 request ({e})")))?;
        if !rest.is_empty() {
            return Err(CertError::MalformedCsr(
                "trailing bytes after the request".to_owned(),
            ));
        }
        let spki = &csr.certification_request_info.subject_pki;
        // Key strength first: a weak key must be reported as such, not as a bad signature.
        let key = classify(spki)?;
        let raw = spki.subject_public_key.data.to_vec();
        if matches!(key, SubjectKey::EcdsaP256 | SubjectKey::EcdsaP384)
            && raw.first() != Some(&0x04)
        {
            return Err(CertError::UnsupportedKey(
                "compressed EC points are not accepted; encode the public key uncompressed"
                    .to_owned(),
            ));
        }
        let sig_oid = csr.signature_algorithm.algorithm.to_id_string();
        if WEAK_SIGNATURE_OIDS.contains(&sig_oid.as_str()) {
            return Err(CertError::WeakKey(format!(
                "the CSR is signed with a SHA-1 or MD5 algorithm ({sig_oid}); sign it with SHA-256 or stronger (openssl req -sha256)"
            )));
        }
        csr.verify_signature()
            .map_err(|e| CertError::CsrSignatureInvalid(e.to_string()))?;
        Ok(Self {
            raw,
            algorithm: key.spki_algorithm(),
        })
    }
}
