//! Certificate revocation lists: publishing the operator's CRL and reading one
//! back (for a node that takes revocations from the operator's CRL file).

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use rcgen::{CertificateRevocationListParams, KeyIdMethod, RevokedCertParams, SerialNumber};
use rustls_pki_types::CertificateDer;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::revocation_list::CertificateRevocationList;

use crate::ca::OperatorCa;
use crate::clock::{MAX_VALIDITY_DAYS, from_unix, to_offset};
use crate::error::CertError;
use crate::pem_files::crls_from_pem;
use crate::serial::{serial_bytes, serial_hex_from_bytes};

/// RFC 5280 §5.3.1 reason codes an operator may give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevocationReason {
    /// No reason given; encoded by omitting the reasonCode extension, as RFC 5280 asks.
    Unspecified,
    KeyCompromise,
    CaCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
    CertificateHold,
    PrivilegeWithdrawn,
}

impl RevocationReason {
    /// Every reason, for CLI help and validation.
    pub const ALL: [Self; 8] = [
        Self::Unspecified,
        Self::KeyCompromise,
        Self::CaCompromise,
        Self::AffiliationChanged,
        Self::Superseded,
        Self::CessationOfOperation,
        Self::CertificateHold,
        Self::PrivilegeWithdrawn,
    ];

    /// Kebab-case name used on the CLI and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::KeyCompromise => "key-compromise",
            Self::CaCompromise => "ca-compromise",
            Self::AffiliationChanged => "affiliation-changed",
            Self::Superseded => "superseded",
            Self::CessationOfOperation => "cessation-of-operation",
            Self::CertificateHold => "certificate-hold",
            Self::PrivilegeWithdrawn => "privilege-withdrawn",
        }
    }

    fn to_rcgen(self) -> Option<rcgen::RevocationReason> {
        use rcgen::RevocationReason as R;
        match self {
            Self::Unspecified => None,
            Self::KeyCompromise => Some(R::KeyCompromise),
            Self::CaCompromise => Some(R::CaCompromise),
            Self::AffiliationChanged => Some(R::AffiliationChanged),
            Self::Superseded => Some(R::Superseded),
            Self::CessationOfOperation => Some(R::CessationOfOperation),
            Self::CertificateHold => Some(R::CertificateHold),
            Self::PrivilegeWithdrawn => Some(R::PrivilegeWithdrawn),
        }
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for an unknown revocation reason name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown revocation reason {0:?}; use one of: unspecified, key-compromise, ca-compromise, affiliation-changed, superseded, cessation-of-operation, certificate-hold, privilege-withdrawn"
)]
pub struct UnknownRevocationReason(pub String);

impl FromStr for RevocationReason {
    type Err = UnknownRevocationReason;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| UnknownRevocationReason(s.to_owned()))
    }
}

/// One revoked certificate, as the operator's records hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedEntry {
    /// Serial, any form [`crate::normalize_serial_hex`] accepts.
    pub serial_hex: String,
    pub revoked_at: DateTime<Utc>,
    pub reason: RevocationReason,
}

impl OperatorCa {
    /// Signs a CRL (PEM) listing `revoked`. `crl_number` must grow with every CRL
    /// published; relying parties reject a lower number than the one they hold.
    pub fn crl(
        &self,
        revoked: &[RevokedEntry],
        crl_number: u64,
        next_update_days: u32,
    ) -> Result<String, CertError> {
        if next_update_days == 0 || next_update_days > MAX_VALIDITY_DAYS {
            return Err(CertError::InvalidValidity(format!(
                "next update in {next_update_days} days; give between 1 and {MAX_VALIDITY_DAYS} days"
            )));
        }
        let this_update = Utc::now();
        let next_update = this_update
            .checked_add_signed(TimeDelta::days(i64::from(next_update_days)))
            .ok_or_else(|| {
                CertError::InvalidValidity("next update overflows the calendar".to_owned())
            })?;
        let revoked_certs = revoked
            .iter()
            .map(|entry| {
                Ok(RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&serial_bytes(&entry.serial_hex)?),
                    revocation_time: to_offset(entry.revoked_at)?,
                    reason_code: entry.reason.to_rcgen(),
                    invalidity_date: None,
                })
            })
            .collect::<Result<Vec<_>, CertError>>()?;
        let params = CertificateRevocationListParams {
            this_update: to_offset(this_update)?,
            next_update: to_offset(next_update)?,
            crl_number: SerialNumber::from_slice(&crl_number.to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(self.issuer())?.pem()?)
    }
}

/// What a verified CRL says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlSummary {
    pub crl_number: Option<u64>,
    pub this_update: DateTime<Utc>,
    pub next_update: Option<DateTime<Utc>>,
    /// Revoked serials in canonical form.
    pub revoked_serials: HashSet<String>,
}

/// Parses the first CRL in `crl_pem`, checking it was issued and signed by `ca_cert`.
/// Callers that reload CRLs should refuse one whose `crl_number` is lower than the
/// one in service (a replayed old CRL would un-revoke certificates).
pub fn parse_crl(crl_pem: &str, ca_cert: &CertificateDer<'_>) -> Result<CrlSummary, CertError> {
    let crl_der = crls_from_pem(crl_pem)?
        .into_iter()
        .next()
        .ok_or_else(|| CertError::InvalidCrl("no CRL in the input".to_owned()))?;
    let (_, crl) = CertificateRevocationList::from_der(crl_der.as_ref())
        .map_err(|e| CertError::InvalidCrl(format!("cannot parse: {e}")))?;
    let (_, ca) = X509Certificate::from_der(ca_cert.as_ref())
        .map_err(|e| CertError::InvalidCrl(format!("cannot parse the CA certificate: {e}")))?;
    if crl.issuer().as_raw() != ca.subject().as_raw() {
        return Err(CertError::InvalidCrl(format!(
            "issued by {}, not by the operator CA {}",
            crl.issuer(),
            ca.subject()
        )));
    }
    crl.verify_signature(ca.public_key()).map_err(|e| {
        CertError::InvalidCrl(format!(
            "signature does not verify with the operator CA: {e}"
        ))
    })?;
    let crl_number = match crl.crl_number() {
        None => None,
        Some(n) => {
            let bytes = n.to_bytes_be();
            if bytes.len() > 8 {
                return Err(CertError::InvalidCrl(
                    "CRL number exceeds 64 bits".to_owned(),
                ));
            }
            Some(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
        }
    };
    let revoked_serials = crl
        .iter_revoked_certificates()
        .map(|r| serial_hex_from_bytes(r.raw_serial()))
        .collect();
    Ok(CrlSummary {
        crl_number,
        this_update: from_unix(crl.last_update().timestamp())?,
        next_update: crl
            .next_update()
            .map(|t| from_unix(t.timestamp()))
            .transpose()?,
        revoked_serials,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn reason_names_round_trip() {
        for r in RevocationReason::ALL {
            assert_eq!(r.as_str().parse::<RevocationReason>().unwrap(), r);
        }
        assert_eq!(
            "KEY_COMPROMISE".parse::<RevocationReason>().unwrap(),
            RevocationReason::KeyCompromise
        );
        assert!("stolen".parse::<RevocationReason>().is_err());
    }
}
