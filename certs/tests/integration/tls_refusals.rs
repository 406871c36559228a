//! Who the listener config lets in, proven with real handshakes.

use std::collections::HashSet;
use std::sync::Arc;

use certs::{AccessRefused, KeyAlgorithm, TrustPolicy, TrustState};
use chrono::{TimeDelta, Utc};
use rustls::{AlertDescription, CertificateError, HandshakeKind, ProtocolVersion};

use crate::support::{FACILITY_OID, Pki, connect, subject};

#[test]
fn valid_participant_is_accepted_and_identified() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let participant = pki.participant(FACILITY_OID);
    let outcome = connect(pki.server_config(), pki.client(&participant));
    assert!(outcome.accepted(), "{outcome:?}");
    assert_eq!(outcome.version, Some(ProtocolVersion::TLSv1_3));
    assert_eq!(outcome.kind, Some(HandshakeKind::Full));
    let peer = outcome.peer.expect("peer identity");
    assert_eq!(peer.facility_oid, FACILITY_OID);
    assert_eq!(peer.organization.as_deref(), Some("Minato Care Home"));
    assert_eq!(peer.common_name.as_deref(), Some("records-system"));
    assert_eq!(peer.serial_hex, participant.serial_hex);
    assert_eq!(peer.not_after, participant.not_after);
    assert_eq!(pki.trust.check_peer(&peer), Ok(()));
}

#[test]
fn client_without_certificate_is_refused() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let client = Arc::new(certs::client_config_without_certificate(pki.ca.cert_pem()).unwrap());
    let outcome = connect(pki.server_config(), client);
    assert!(!outcome.accepted());
    assert!(
        matches!(
            outcome.server_error,
            Some(rustls::Error::NoCertificatesPresented)
        ),
        "{outcome:?}"
    );
    assert_eq!(
        outcome.client_alert(),
        Some(AlertDescription::CertificateRequired)
    );
}

#[test]
fn certificate_from_a_foreign_ca_is_refused() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let foreign = Pki::named(KeyAlgorithm::EcdsaP256, "another region's CA");
    let intruder = foreign.participant(FACILITY_OID);
    // Trusts our CA for the server, presents a certificate from the other CA.
    let client = pki.client_from(&intruder.cert_pem, intruder.key_pem.as_deref().unwrap());
    let outcome = connect(pki.server_config(), client);
    assert!(!outcome.accepted());
    assert_eq!(
        outcome.server_invalid_certificate(),
        Some(&CertificateError::UnknownIssuer),
        "{outcome:?}"
    );
    assert_eq!(outcome.client_alert(), Some(AlertDescription::UnknownCA));

    // An impostor CA copying our CA's name fails on the signature instead.
    let impostor = Pki::new(KeyAlgorithm::EcdsaP256);
    let forged = impostor.participant(FACILITY_OID);
    let outcome = connect(
        pki.server_config(),
        pki.client_from(&forged.cert_pem, forged.key_pem.as_deref().unwrap()),
    );
    assert_eq!(
        outcome.server_invalid_certificate(),
        Some(&CertificateError::BadSignature),
        "{outcome:?}"
    );
    assert!(outcome.peer.is_none());
}

#[test]
fn expired_certificate_is_refused_at_handshake_and_per_request() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let now = Utc::now();
    let expired = pki
        .ca
        .issue_participant_with_validity(
            &subject(FACILITY_OID),
            now - TimeDelta::days(10),
            now - TimeDelta::days(1),
        )
        .unwrap();
    let outcome = connect(pki.server_config(), pki.client(&expired));
    assert!(!outcome.accepted());
    assert!(
        matches!(
            outcome.server_invalid_certificate(),
            Some(CertificateError::Expired | CertificateError::ExpiredContext { .. })
        ),
        "{outcome:?}"
    );
    assert_eq!(
        outcome.client_alert(),
        Some(AlertDescription::CertificateExpired)
    );

    let identity = certs::PeerIdentity::from_der(
        certs::certs_from_pem(&expired.cert_pem).unwrap()[0].as_ref(),
    )
    .unwrap();
    assert!(matches!(
        pki.trust.check_peer(&identity),
        Err(AccessRefused::Expired { .. })
    ));
    let not_yet = identity.not_before - TimeDelta::hours(1);
    assert!(matches!(
        pki.trust.check_peer_at(&identity, not_yet),
        Err(AccessRefused::NotYetValid { .. })
    ));
}

#[test]
fn revoked_serial_is_refused_without_rebuilding_the_config() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let config = pki.server_config();
    let victim = pki.participant(FACILITY_OID);
    let bystander = pki.participant("1.2.392.200119.6.102.11310002");

    let before = connect(Arc::clone(&config), pki.client(&victim));
    assert!(before.accepted(), "{before:?}");
    let identity = before.peer.clone().unwrap();

    // Upper case with colons: the set normalises what the database or a person typed.
    let typed = victim
        .serial_hex
        .to_uppercase()
        .as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(":");
    pki.trust
        .revocation()
        .replace_revoked(HashSet::from([typed]))
        .unwrap();

    let after = connect(Arc::clone(&config), pki.client(&victim));
    assert!(!after.accepted());
    assert_eq!(
        after.server_invalid_certificate(),
        Some(&CertificateError::Revoked),
        "{after:?}"
    );
    assert_eq!(
        after.client_alert(),
        Some(AlertDescription::CertificateRevoked)
    );
    // The connection opened before the revocation is refused on its next request.
    assert_eq!(
        pki.trust.check_peer(&identity),
        Err(AccessRefused::Revoked {
            serial_hex: victim.serial_hex.clone()
        })
    );
    assert!(connect(Arc::clone(&config), pki.client(&bystander)).accepted());

    pki.trust
        .revocation()
        .replace_revoked(HashSet::new())
        .unwrap();
    assert!(connect(config, pki.client(&victim)).accepted());
}

#[test]
fn suspended_facility_is_refused_and_can_be_reinstated() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let config = pki.server_config();
    let participant = pki.participant(FACILITY_OID);
    pki.trust.revocation().suspend_facility(FACILITY_OID);

    let outcome = connect(Arc::clone(&config), pki.client(&participant));
    assert_eq!(
        outcome.server_invalid_certificate(),
        Some(&CertificateError::ApplicationVerificationFailure),
        "{outcome:?}"
    );
    assert_eq!(outcome.client_alert(), Some(AlertDescription::AccessDenied));

    pki.trust.revocation().reinstate_facility(FACILITY_OID);
    let outcome = connect(Arc::clone(&config), pki.client(&participant));
    assert!(outcome.accepted(), "{outcome:?}");
    let identity = outcome.peer.unwrap();

    pki.trust
        .revocation()
        .replace_suspended(HashSet::from([FACILITY_OID.to_owned()]));
    assert_eq!(
        pki.trust.check_peer(&identity),
        Err(AccessRefused::FacilitySuspended {
            facility_oid: FACILITY_OID.to_owned()
        })
    );
}

#[test]
fn chain_longer_than_policy_is_refused() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let participant = pki.participant(FACILITY_OID);
    let key = participant.key_pem.as_deref().unwrap();
    let with_ca = format!("{}{}", participant.cert_pem, pki.ca.cert_pem());
    let padded = format!("{with_ca}{}", pki.ca.cert_pem());

    let ok = connect(pki.server_config(), pki.client_from(&with_ca, key));
    assert!(
        ok.accepted(),
        "end entity + CA is within the default policy: {ok:?}"
    );

    let outcome = connect(pki.server_config(), pki.client_from(&padded, key));
    assert!(!outcome.accepted());
    let Some(CertificateError::Other(err)) = outcome.server_invalid_certificate() else {
        panic!("expected a policy refusal, got {outcome:?}");
    };
    assert!(err.to_string().contains("at most 1"), "{err}");

    // A stricter policy refuses the CA appended too.
    let strict = TrustState::new(
        certs::certs_from_pem(pki.ca.cert_pem()).unwrap(),
        TrustPolicy {
            max_intermediates: 0,
        },
    )
    .unwrap();
    let config = Arc::new(certs::server_config(&strict, Arc::clone(&pki.server_cert)).unwrap());
    assert!(!connect(Arc::clone(&config), pki.client_from(&with_ca, key)).accepted());
    assert!(connect(config, pki.client(&participant)).accepted());
}

#[test]
fn certificate_without_facility_oid_is_refused() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    // The hub's own server certificate has clientAuth but names no facility.
    let outcome = connect(pki.server_config(), pki.client(&pki.server));
    let Some(CertificateError::Other(err)) = outcome.server_invalid_certificate() else {
        panic!("expected a refusal, got {outcome:?}");
    };
    assert!(err.to_string().contains("no facility OID"), "{err}");
}
