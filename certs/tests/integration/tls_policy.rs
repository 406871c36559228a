//! Protocol policy: versions, suites, no resumption, RSA CA interop.

use std::sync::Arc;

use certs::{BCP195_CIPHER_SUITES, KeyAlgorithm, PROTOCOL_VERSIONS, crypto_provider};
use rustls::server::ServerConnection;
use rustls::server::danger::ClientCertVerifier;
use rustls::{HandshakeKind, ProtocolVersion, ServerConfig};

use crate::support::{FACILITY_OID, Pki, client_with_versions, connect};

#[test]
fn config_offers_only_bcp195_suites_on_tls12_and_tls13() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let config = pki.server_config();
    let suites = &config.crypto_provider().cipher_suites;
    assert_eq!(suites.len(), 9);
    for suite in suites {
        let name = format!("{:?}", suite.suite());
        assert!(
            matches!(
                suite.version().version,
                ProtocolVersion::TLSv1_3 | ProtocolVersion::TLSv1_2
            ),
            "{name}"
        );
        assert!(
            name.contains("GCM") || name.contains("CHACHA20_POLY1305"),
            "{name}"
        );
        if suite.version().version == ProtocolVersion::TLSv1_2 {
            assert!(name.starts_with("TLS_ECDHE_"), "{name}");
        }
    }
    assert_eq!(suites, &BCP195_CIPHER_SUITES.to_vec());
    assert_eq!(
        PROTOCOL_VERSIONS
            .iter()
            .map(|v| v.version)
            .collect::<Vec<_>>(),
        vec![ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2]
    );
    let verifier = pki.trust.client_verifier();
    assert!(verifier.offer_client_auth() && verifier.client_auth_mandatory());
    assert!(!verifier.root_hint_subjects().is_empty());
    assert!(!config.session_storage.can_cache());
    assert!(!config.ticketer.enabled());
    assert_eq!(config.send_tls13_tickets, 0);
    assert!(config.require_ems);
}

/// A minimal ClientHello without supported_versions, so `version` is what it offers.
fn client_hello(version: [u8; 2], extended_master_secret: bool) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&version);
    body.extend_from_slice(&[0x11; 32]);
    body.push(0); // empty session id
    body.extend_from_slice(&[0x00, 0x04, 0xc0, 0x2b, 0xc0, 0x2f]); // two ECDHE-GCM suites
    body.extend_from_slice(&[0x01, 0x00]); // null compression
    let mut extensions = vec![
        0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03, 0x08, 0x04, // signature_algorithms
        0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17, // supported_groups
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, // ec_point_formats
    ];
    if extended_master_secret {
        extensions.extend_from_slice(&[0x00, 0x17, 0x00, 0x00]);
    }
    body.extend_from_slice(&[0x00, extensions.len() as u8]);
    body.extend_from_slice(&extensions);
    let mut handshake = vec![0x01, 0x00, (body.len() >> 8) as u8, body.len() as u8];
    handshake.extend(body);
    let mut record = vec![
        0x16,
        0x03,
        0x01,
        (handshake.len() >> 8) as u8,
        handshake.len() as u8,
    ];
    record.extend(handshake);
    record
}

fn offer(pki: &Pki, version: [u8; 2], ems: bool) -> (Result<(), rustls::Error>, Vec<u8>) {
    let mut server = ServerConnection::new(pki.server_config()).unwrap();
    let hello = client_hello(version, ems);
    server.read_tls(&mut hello.as_slice()).unwrap();
    let result = server.process_new_packets().map(|_| ());
    let mut out = Vec::new();
    while server.wants_write() {
        server.write_tls(&mut out).unwrap();
    }
    (result, out)
}

#[test]
fn tls10_and_tls11_client_hellos_are_refused() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    // Control: the same hello offering TLS 1.2 gets a ServerHello.
    let (result, out) = offer(&pki, [0x03, 0x03], true);
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(
        out.get(..2),
        Some(&[0x16, 0x03][..]),
        "handshake record expected"
    );
    // TLS 1.2 without extended master secret (RFC 7627, required by BCP 195) is refused.
    let (result, _) = offer(&pki, [0x03, 0x03], false);
    assert_eq!(
        result,
        Err(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::ExtendedMasterSecretExtensionRequired
        ))
    );

    for version in [[0x03, 0x01], [0x03, 0x02]] {
        let (result, out) = offer(&pki, version, true);
        assert_eq!(
            result,
            Err(rustls::Error::PeerIncompatible(
                rustls::PeerIncompatible::Tls12NotOffered
            )),
            "{version:?}"
        );
        // A fatal alert (level 2) and nothing else: no ServerHello, no key exchange.
        assert_eq!(out.first(), Some(&0x15), "{out:?}");
        assert_eq!(out.len(), 7, "{out:?}");
        assert_eq!(out[5], 2, "{out:?}");
    }
}

#[test]
fn tls12_participant_is_accepted_with_a_bcp195_suite() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let participant = pki.participant(FACILITY_OID);
    let client = client_with_versions(
        pki.ca.cert_pem(),
        &participant.cert_pem,
        participant.key_pem.as_deref().unwrap(),
        &[&rustls::version::TLS12],
    );
    let outcome = connect(pki.server_config(), client);
    assert!(outcome.accepted(), "{outcome:?}");
    assert_eq!(outcome.version, Some(ProtocolVersion::TLSv1_2));
    let suite = outcome.suite.unwrap();
    assert!(BCP195_CIPHER_SUITES.iter().any(|s| s.suite() == suite));
    assert_eq!(outcome.peer.unwrap().facility_oid, FACILITY_OID);
}

#[test]
fn every_connection_is_a_full_handshake() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let participant = pki.participant(FACILITY_OID);
    let key = participant.key_pem.as_deref().unwrap();
    for versions in [
        &[&rustls::version::TLS13][..],
        &[&rustls::version::TLS12][..],
    ] {
        // One client config (and so one client session cache) for both connections.
        let client = client_with_versions(pki.ca.cert_pem(), &participant.cert_pem, key, versions);

        let ours = pki.server_config();
        let first = connect(Arc::clone(&ours), Arc::clone(&client));
        let second = connect(ours, Arc::clone(&client));
        assert!(first.accepted() && second.accepted(), "{second:?}");
        assert_eq!(second.kind, Some(HandshakeKind::Full), "{versions:?}");

        // Control: rustls defaults would resume, so the check above can fail.
        let permissive = Arc::new(
            ServerConfig::builder_with_provider(crypto_provider())
                .with_protocol_versions(PROTOCOL_VERSIONS)
                .unwrap()
                .with_client_cert_verifier(pki.trust.client_verifier())
                .with_cert_resolver(pki.server_cert.clone()),
        );
        let client = client_with_versions(pki.ca.cert_pem(), &participant.cert_pem, key, versions);
        assert!(connect(Arc::clone(&permissive), Arc::clone(&client)).accepted());
        let resumed = connect(permissive, client);
        assert_eq!(resumed.kind, Some(HandshakeKind::Resumed), "{versions:?}");
    }
}

#[test]
fn rsa_operator_ca_works_end_to_end_on_both_versions() {
    let pki = Pki::new(KeyAlgorithm::Rsa3072);
    assert_eq!(pki.ca.key_algorithm(), KeyAlgorithm::Rsa3072);
    let participant = pki.participant(FACILITY_OID);
    for versions in [
        &[&rustls::version::TLS13][..],
        &[&rustls::version::TLS12][..],
    ] {
        let client = client_with_versions(
            pki.ca.cert_pem(),
            &participant.cert_pem,
            participant.key_pem.as_deref().unwrap(),
            versions,
        );
        let outcome = connect(pki.server_config(), client);
        assert!(outcome.accepted(), "{outcome:?}");
        assert_eq!(outcome.peer.unwrap().serial_hex, participant.serial_hex);
    }
}
