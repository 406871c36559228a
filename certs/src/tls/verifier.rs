//! Client-certificate verification: webpki chain validation against the
//! current roots, then the network's own rules (chain length, facility OID,
//! revoked serials, suspended facilities).

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, Error, OtherError, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, UnixTime};

use super::trust::TrustState;
use crate::error::CertError;
use crate::identity::PeerIdentity;

/// `ClientCertVerifier` over a [`TrustState`]. Revocations, suspensions and root
/// replacements apply from the next handshake on, without rebuilding the config.
///
/// Refusals and the alerts the client sees: revoked serial -> `certificate_revoked`;
/// suspended facility -> `access_denied`; foreign CA -> `unknown_ca`; expired ->
/// `certificate_expired`; chain too long or no facility OID -> `certificate_unknown`
/// (the server-side error carries the [`CertError`] text).
#[derive(Debug)]
pub struct RevocationAwareClientVerifier {
    trust: TrustState,
    // rustls borrows the hint list from the verifier, so it is fixed at construction;
    // after the roots change, no hints are sent rather than stale ones.
    hints: Vec<DistinguishedName>,
    hints_generation: u64,
}

impl RevocationAwareClientVerifier {
    pub(crate) fn new(trust: TrustState) -> Self {
        let anchors = trust.anchors();
        let hints = anchors.roots.subjects();
        let hints_generation = anchors.generation;
        drop(anchors);
        Self {
            trust,
            hints,
            hints_generation,
        }
    }
}

fn refusal(err: CertError) -> Error {
    Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(err))))
}

impl ClientCertVerifier for RevocationAwareClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        if self.trust.anchors().generation == self.hints_generation {
            &self.hints
        } else {
            &[]
        }
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let allowed = self.trust.policy().max_intermediates;
        if intermediates.len() > allowed {
            return Err(refusal(CertError::ChainTooLong {
                presented: intermediates.len(),
                allowed,
            }));
        }
        self.trust
            .anchors()
            .verifier
            .verify_client_cert(end_entity, intermediates, now)?;
        let identity = PeerIdentity::from_der(end_entity.as_ref()).map_err(refusal)?;
        let revocation = self.trust.revocation();
        if revocation.is_revoked(&identity.serial_hex) {
            return Err(Error::InvalidCertificate(CertificateError::Revoked));
        }
        if revocation.is_facility_suspended(&identity.facility_oid) {
            return Err(Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ));
        }
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.trust
            .anchors()
            .verifier
            .verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.trust
            .anchors()
            .verifier
            .verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.trust.anchors().verifier.supported_verify_schemes()
    }
}
