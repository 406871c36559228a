//! Issuance of end-entity certificates: the hub's server certificate and
//! participant (facility / person) client certificates.

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use rcgen::string::Ia5String;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber,
};
use rustls_pki_types::DnsName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::ca::OperatorCa;
use crate::clock::{from_unix, to_offset, window_from_now};
use crate::error::CertError;
use crate::facility_oid::facility_urn;
use crate::serial::{random_serial, serial_hex_from_bytes};
use crate::subject::ParticipantSubject;

/// A certificate the CA has just signed. Record `serial_hex` with the facility:
/// revocation and CRLs refer to it.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// Serial in canonical form (see [`crate::normalize_serial_hex`]).
    pub serial_hex: String,
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The new private key (PKCS#8 PEM) when the CA generated it; `None` for CSR signing,
    /// where the key stays with the participant.
    pub key_pem: Option<String>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// Subject DN as text, e.g. `O=Minato Hospital, CN=ward-3`.
    pub subject: String,
}

impl fmt::Debug for IssuedCertificate {
    // The private key must not reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCertificate")
            .field("serial_hex", &self.serial_hex)
            .field("subject", &self.subject)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("key_pem", &self.key_pem.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl OperatorCa {
    /// Issues the hub's TLS server certificate with a new P-256 key.
    /// EKU serverAuth and clientAuth (an ATNA "node" certificate authenticates both ways);
    /// it carries no facility OID, so the hub's own verifier never accepts it as a participant.
    pub fn issue_server(
        &self,
        dns_names: &[String],
        ip_addrs: &[IpAddr],
        validity_days: u32,
    ) -> Result<IssuedCertificate, CertError> {
        let mut sans = Vec::with_capacity(dns_names.len() + ip_addrs.len());
        for name in dns_names {
            if DnsName::try_from(name.as_str()).is_err() {
                return Err(CertError::InvalidSubject(format!(
                    "{name:?} is not a valid DNS name"
                )));
            }
            let ia5 = Ia5String::try_from(name.as_str())
                .map_err(|_| CertError::InvalidSubject(format!("{name:?} is not ASCII")))?;
            sans.push(SanType::DnsName(ia5));
        }
        sans.extend(ip_addrs.iter().copied().map(SanType::IpAddress));
        let common_name = dns_names
            .first()
            .cloned()
            .or_else(|| ip_addrs.first().map(ToString::to_string))
            .ok_or_else(|| {
                CertError::InvalidSubject(
                    "a server certificate needs at least one DNS name or IP address".to_owned(),
                )
            })?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        let (not_before, not_after) = window_from_now(validity_days)?;
        let key = new_end_entity_key()?;
        let (params, serial) = self.end_entity_params(
            dn,
            sans,
            vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ],
            not_before,
            not_after,
        )?;
        let cert = params.signed_by(&key, self.issuer())?;
        describe(&cert, &serial, Some(key.serialize_pem()))
    }

    /// Issues a participant client certificate with a new P-256 key.
    pub fn issue_participant(
        &self,
        subject: &ParticipantSubject,
        validity_days: u32,
    ) -> Result<IssuedCertificate, CertError> {
        let (not_before, not_after) = window_from_now(validity_days)?;
        self.issue_participant_with_validity(subject, not_before, not_after)
    }

    /// Like [`Self::issue_participant`] with an explicit validity window
    /// (operations: aligning expiry dates; tests: certificates already expired).
    pub fn issue_participant_with_validity(
        &self,
        subject: &ParticipantSubject,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Result<IssuedCertificate, CertError> {
        subject.validate()?;
        let key = new_end_entity_key()?;
        let cert_key = key.serialize_pem();
        let (params, serial) = self.participant_params(subject, not_before, not_after)?;
        let cert = params.signed_by(&key, self.issuer())?;
        describe(&cert, &serial, Some(cert_key))
    }

    /// Parameters of a participant certificate: O, CN, SAN `urn:oid:<facility>`,
    /// EKU clientAuth, not a CA.
    pub(crate) fn participant_params(
        &self,
        subject: &ParticipantSubject,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Result<(CertificateParams, Vec<u8>), CertError> {
        let urn = Ia5String::try_from(facility_urn(&subject.facility_oid)).map_err(|_| {
            CertError::InvalidFacilityOid {
                oid: subject.facility_oid.clone(),
                reason: "it is not ASCII",
            }
        })?;
        self.end_entity_params(
            subject.distinguished_name(),
            vec![SanType::URI(urn)],
            vec![ExtendedKeyUsagePurpose::ClientAuth],
            not_before,
            not_after,
        )
    }

    fn end_entity_params(
        &self,
        dn: DistinguishedName,
        sans: Vec<SanType>,
        ekus: Vec<ExtendedKeyUsagePurpose>,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Result<(CertificateParams, Vec<u8>), CertError> {
        self.check_window(not_before, not_after)?;
        let serial = random_serial()?.to_vec();
        let mut params = CertificateParams::default();
        params.distinguished_name = dn;
        params.subject_alt_names = sans;
        params.extended_key_usages = ekus;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.is_ca = IsCa::ExplicitNoCa;
        params.use_authority_key_identifier_extension = true;
        params.not_before = to_offset(not_before)?;
        params.not_after = to_offset(not_after)?;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        Ok((params, serial))
    }

    fn check_window(
        &self,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Result<(), CertError> {
        if not_after <= not_before {
            return Err(CertError::InvalidValidity(format!(
                "not-after {not_after} is not later than not-before {not_before}"
            )));
        }
        if not_after > self.not_after() {
            return Err(CertError::InvalidValidity(format!(
                "the certificate would outlive the operator CA (CA expires {}); issue a shorter validity or renew the CA first",
                self.not_after()
            )));
        }
        Ok(())
    }
}

fn new_end_entity_key() -> Result<KeyPair, CertError> {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| CertError::KeyGeneration(e.to_string()))
}

/// Reads back what was signed, so the record matches the certificate exactly
/// (second-precision times, subject as encoded).
pub(crate) fn describe(
    cert: &rcgen::Certificate,
    serial: &[u8],
    key_pem: Option<String>,
) -> Result<IssuedCertificate, CertError> {
    let (_, x509) = X509Certificate::from_der(cert.der())
        .map_err(|e| CertError::MalformedCertificate(format!("freshly signed certificate: {e}")))?;
    Ok(IssuedCertificate {
        serial_hex: serial_hex_from_bytes(serial),
        cert_pem: cert.pem(),
        key_pem,
        not_before: from_unix(x509.validity().not_before.timestamp())?,
        not_after: from_unix(x509.validity().not_after.timestamp())?,
        subject: x509.subject().to_string(),
    })
}
