//! CRLs: what the operator publishes is a standard CRL that other tools accept.

use std::collections::HashSet;
use std::sync::Arc;

use certs::{CertError, KeyAlgorithm, RevocationReason, RevokedEntry, crls_from_pem, parse_crl};
use chrono::{TimeDelta, Utc};
use rustls::server::WebPkiClientVerifier;
use rustls::{CertificateError, RootCertStore, ServerConfig};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use crate::support::{FACILITY_OID, Pki, connect};

#[test]
fn crl_lists_revoked_serials_and_parses_with_x509_parser() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let stolen = pki.participant(FACILITY_OID);
    let retired = pki.participant(FACILITY_OID);
    let revoked_at = Utc::now() - TimeDelta::hours(2);
    let entries = [
        RevokedEntry {
            serial_hex: stolen.serial_hex.to_uppercase(),
            revoked_at,
            reason: RevocationReason::KeyCompromise,
        },
        RevokedEntry {
            serial_hex: retired.serial_hex.clone(),
            revoked_at,
            reason: RevocationReason::Unspecified,
        },
    ];
    let pem = pki.ca.crl(&entries, 7, 7).unwrap();
    assert!(pem.starts_with("-----BEGIN X509 CRL-----"), "{pem}");

    let der = crls_from_pem(&pem).unwrap().remove(0);
    let (_, crl) = CertificateRevocationList::from_der(der.as_ref()).unwrap();
    assert_eq!(crl.issuer().to_string(), "CN=renkei test operator CA");
    assert_eq!(crl.crl_number().unwrap().to_string(), "7");
    let next = crl.next_update().unwrap().timestamp() - crl.last_update().timestamp();
    assert_eq!(next, 7 * 24 * 3600);
    let listed: Vec<_> = crl
        .iter_revoked_certificates()
        .map(|r| {
            (
                hex::encode(r.raw_serial()),
                r.reason_code().map(|(_, c)| c.0),
            )
        })
        .collect();
    assert!(
        listed.contains(&(stolen.serial_hex.clone(), Some(1))),
        "{listed:?}"
    );
    assert!(
        listed.contains(&(retired.serial_hex.clone(), None)),
        "{listed:?}"
    );

    let summary = parse_crl(&pem, pki.ca.cert_der()).unwrap();
    assert_eq!(summary.crl_number, Some(7));
    assert_eq!(
        summary.revoked_serials,
        HashSet::from([stolen.serial_hex.clone(), retired.serial_hex.clone()])
    );

    // The summary feeds the live revocation set directly.
    pki.trust
        .revocation()
        .replace_revoked(summary.revoked_serials)
        .unwrap();
    assert!(pki.trust.revocation().is_revoked(&stolen.serial_hex));
    assert_eq!(pki.trust.revocation().revoked_count(), 2);
}

#[test]
fn crl_from_another_ca_or_tampered_is_refused() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let other = Pki::new(KeyAlgorithm::EcdsaP256);
    let pem = other.ca.crl(&[], 1, 1).unwrap();
    let err = parse_crl(&pem, pki.ca.cert_der()).unwrap_err();
    assert!(matches!(err, CertError::InvalidCrl(_)), "{err:?}");
    assert!(parse_crl("nonsense", pki.ca.cert_der()).is_err());
}

#[test]
fn crl_is_enforced_by_rustls_own_webpki_verifier() {
    let pki = Pki::new(KeyAlgorithm::Rsa3072);
    let revoked = pki.participant(FACILITY_OID);
    let good = pki.participant(FACILITY_OID);
    let pem = pki
        .ca
        .crl(
            &[RevokedEntry {
                serial_hex: revoked.serial_hex.clone(),
                revoked_at: Utc::now(),
                reason: RevocationReason::Superseded,
            }],
            1,
            1,
        )
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca.cert_der().clone()).unwrap();
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), certs::crypto_provider())
            .with_crls(crls_from_pem(&pem).unwrap())
            .build()
            .unwrap();
    let config = Arc::new(
        ServerConfig::builder_with_provider(certs::crypto_provider())
            .with_protocol_versions(certs::PROTOCOL_VERSIONS)
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_cert_resolver(pki.server_cert.clone()),
    );
    let outcome = connect(Arc::clone(&config), pki.client(&revoked));
    assert_eq!(
        outcome.server_invalid_certificate(),
        Some(&CertificateError::Revoked)
    );
    assert!(connect(config, pki.client(&good)).accepted());
}

#[test]
fn crl_input_errors() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let bad = RevokedEntry {
        serial_hex: "zz".to_owned(),
        revoked_at: Utc::now(),
        reason: RevocationReason::Unspecified,
    };
    assert!(matches!(
        pki.ca.crl(&[bad], 1, 7),
        Err(CertError::InvalidSerial { .. })
    ));
    assert!(matches!(
        pki.ca.crl(&[], 1, 0),
        Err(CertError::InvalidValidity(_))
    ));
}
