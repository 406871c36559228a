//! Replacing trust anchors and the server certificate while the config is in use.

use std::sync::Arc;

use certs::{KeyAlgorithm, ReloadableServerCert, certs_from_pem};
use rustls::CertificateError;
use rustls::server::danger::ClientCertVerifier;

use crate::support::{FACILITY_OID, Pki, connect};

#[test]
fn ca_bundle_is_replaced_without_rebuilding_the_config() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    // A renewed CA usually keeps its name: both anchors share a subject.
    let successor = Pki::new(KeyAlgorithm::EcdsaP256);
    let config = pki.server_config();
    let verifier = pki.trust.client_verifier();
    let hints_before = verifier.root_hint_subjects().len();
    assert_eq!(hints_before, 1);

    let newcomer = successor.participant(FACILITY_OID);
    let client = pki.client_from(&newcomer.cert_pem, newcomer.key_pem.as_deref().unwrap());
    let refused = connect(Arc::clone(&config), Arc::clone(&client));
    assert_eq!(
        refused.server_invalid_certificate(),
        Some(&CertificateError::BadSignature)
    );

    // CA rollover: trust old and new.
    let bundle = format!("{}{}", pki.ca.cert_pem(), successor.ca.cert_pem());
    pki.trust.replace_roots_pem(&bundle).unwrap();
    assert!(connect(Arc::clone(&config), client).accepted());
    assert!(
        connect(
            Arc::clone(&config),
            pki.client(&pki.participant(FACILITY_OID))
        )
        .accepted()
    );
    // Hints captured before the swap are withheld rather than sent stale.
    assert!(verifier.root_hint_subjects().is_empty());
    assert_eq!(pki.trust.client_verifier().root_hint_subjects().len(), 2);

    // Dropping the old CA locks its participants out.
    pki.trust
        .replace_roots(certs_from_pem(successor.ca.cert_pem()).unwrap())
        .unwrap();
    let old = connect(config, pki.client(&pki.participant(FACILITY_OID)));
    assert_eq!(
        old.server_invalid_certificate(),
        Some(&CertificateError::BadSignature)
    );

    assert!(pki.trust.replace_roots(Vec::new()).is_err());
}

#[test]
fn server_certificate_is_replaced_without_rebuilding_the_config() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let config = pki.server_config();
    let participant = pki.participant(FACILITY_OID);
    let first = connect(Arc::clone(&config), pki.client(&participant));
    assert!(first.accepted());
    let first_der = certs_from_pem(&pki.server.cert_pem).unwrap()[0]
        .as_ref()
        .to_vec();
    assert_eq!(first.server_cert_der.as_deref(), Some(first_der.as_slice()));
    assert_eq!(
        pki.server_cert.current_serial_hex().unwrap(),
        pki.server.serial_hex
    );

    let renewed = pki
        .ca
        .issue_server(&["localhost".to_owned()], &[], 90)
        .unwrap();
    pki.server_cert
        .replace(&renewed.cert_pem, renewed.key_pem.as_deref().unwrap())
        .unwrap();
    let second = connect(Arc::clone(&config), pki.client(&participant));
    assert!(second.accepted(), "{second:?}");
    let renewed_der = certs_from_pem(&renewed.cert_pem).unwrap()[0]
        .as_ref()
        .to_vec();
    assert_eq!(
        second.server_cert_der.as_deref(),
        Some(renewed_der.as_slice())
    );

    // A key that does not match is refused and the certificate in service stays.
    let other = pki
        .ca
        .issue_server(&["localhost".to_owned()], &[], 90)
        .unwrap();
    let err = pki
        .server_cert
        .replace(&other.cert_pem, pki.server.key_pem.as_deref().unwrap())
        .unwrap_err();
    assert!(matches!(err, certs::CertError::Tls(_)), "{err:?}");
    assert_eq!(
        pki.server_cert.current_serial_hex().unwrap(),
        renewed.serial_hex
    );
    assert!(connect(config, pki.client(&participant)).accepted());
}

#[test]
fn expired_server_certificate_is_not_put_into_service() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let now = chrono::Utc::now();
    // Participant-shaped but what matters here is the validity check.
    let expired = pki
        .ca
        .issue_participant_with_validity(
            &crate::support::subject(FACILITY_OID),
            now - chrono::TimeDelta::days(3),
            now - chrono::TimeDelta::days(1),
        )
        .unwrap();
    let err =
        ReloadableServerCert::from_pem(&expired.cert_pem, expired.key_pem.as_deref().unwrap())
            .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
}
