//! Content of issued certificates and refusals of bad issuance requests.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};

use certs::{
    CertError, KeyAlgorithm, OperatorCa, ParticipantSubject, PeerIdentity, certs_from_pem,
};
use chrono::{TimeDelta, Utc};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::support::{FACILITY_OID, san_uris, subject};

fn ca() -> OperatorCa {
    OperatorCa::generate(KeyAlgorithm::EcdsaP256, "renkei test operator CA", 3650).unwrap()
}

fn der(pem: &str) -> Vec<u8> {
    certs_from_pem(pem).unwrap()[0].as_ref().to_vec()
}

#[test]
fn participant_certificate_carries_the_operator_chosen_identity() {
    let ca = ca();
    let issued = ca.issue_participant(&subject(FACILITY_OID), 397).unwrap();
    let der = der(&issued.cert_pem);
    let (_, cert) = X509Certificate::from_der(&der).unwrap();

    assert_eq!(san_uris(&cert), vec![format!("urn:oid:{FACILITY_OID}")]);
    assert_eq!(
        cert.subject()
            .iter_organization()
            .next()
            .unwrap()
            .as_str()
            .unwrap(),
        "Minato Care Home"
    );
    assert_eq!(
        cert.subject()
            .iter_common_name()
            .next()
            .unwrap()
            .as_str()
            .unwrap(),
        "records-system"
    );
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.client_auth && !eku.server_auth && !eku.any);
    assert!(!cert.basic_constraints().unwrap().unwrap().value.ca);
    assert_eq!(cert.issuer().to_string(), "CN=renkei test operator CA");

    // Serial: 16 random bytes, recorded in canonical form, read back identically.
    assert_eq!(issued.serial_hex.len(), 32);
    assert_eq!(issued.serial_hex, hex::encode(cert.raw_serial()));
    let identity = PeerIdentity::from_der(&der).unwrap();
    assert_eq!(identity.serial_hex, issued.serial_hex);
    assert_eq!(identity.facility_oid, FACILITY_OID);
    assert_eq!(identity.not_before, issued.not_before);
    assert_eq!(identity.not_after, issued.not_after);
    assert_eq!(issued.subject, "O=Minato Care Home, CN=records-system");

    let days = (issued.not_after - Utc::now()).num_days();
    assert!((396..=397).contains(&days), "{days}");
    assert!(issued.not_before <= Utc::now());

    let key = issued.key_pem.as_deref().unwrap();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
    let debug = format!("{issued:?}");
    assert!(
        !debug.contains("PRIVATE KEY") && debug.contains("redacted"),
        "{debug}"
    );
}

#[test]
fn serials_are_unique() {
    let ca = ca();
    let serials: HashSet<_> = (0..20)
        .map(|_| {
            ca.issue_participant(&subject(FACILITY_OID), 1)
                .unwrap()
                .serial_hex
        })
        .collect();
    assert_eq!(serials.len(), 20);
}

#[test]
fn server_certificate_names_the_host_and_no_facility() {
    let ca = ca();
    let issued = ca
        .issue_server(
            &["hub.example.jp".to_owned(), "localhost".to_owned()],
            &[IpAddr::V4(Ipv4Addr::LOCALHOST)],
            365,
        )
        .unwrap();
    let der = der(&issued.cert_pem);
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    let names = &cert
        .subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names;
    assert!(names.contains(&GeneralName::DNSName("hub.example.jp")));
    assert!(names.contains(&GeneralName::IPAddress(&[127, 0, 0, 1])));
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.server_auth && eku.client_auth);
    assert_eq!(issued.subject, "CN=hub.example.jp");
    assert!(matches!(
        PeerIdentity::from_der(&der),
        Err(CertError::NoFacilityOid)
    ));
    assert_eq!(
        CertError::NoFacilityOid
            .to_string()
            .split(" (")
            .next()
            .unwrap(),
        "certificate carries no facility OID"
    );
}

#[test]
fn bad_issuance_requests_are_refused_with_a_reason() {
    let ca = ca();
    let bad_oid = ParticipantSubject {
        facility_oid: "1.2.0392".to_owned(),
        ..subject(FACILITY_OID)
    };
    let err = ca.issue_participant(&bad_oid, 30).unwrap_err();
    assert!(err.to_string().contains("leading zero"), "{err}");

    let blank = ParticipantSubject {
        facility_name: "  ".to_owned(),
        ..subject(FACILITY_OID)
    };
    assert!(matches!(
        ca.issue_participant(&blank, 30),
        Err(CertError::InvalidSubject(_))
    ));

    assert!(matches!(
        ca.issue_participant(&subject(FACILITY_OID), 0),
        Err(CertError::InvalidValidity(_))
    ));
    let err = ca
        .issue_participant(&subject(FACILITY_OID), 3651)
        .unwrap_err();
    assert!(err.to_string().contains("outlive the operator CA"), "{err}");

    let now = Utc::now();
    assert!(matches!(
        ca.issue_participant_with_validity(&subject(FACILITY_OID), now, now),
        Err(CertError::InvalidValidity(_))
    ));
    assert!(
        ca.issue_participant_with_validity(
            &subject(FACILITY_OID),
            now - TimeDelta::days(2),
            now - TimeDelta::days(1)
        )
        .is_ok(),
        "past windows are allowed (operations and tests)"
    );

    assert!(matches!(
        ca.issue_server(&[], &[], 30),
        Err(CertError::InvalidSubject(_))
    ));
    assert!(matches!(
        ca.issue_server(&["bad name!".to_owned()], &[], 30),
        Err(CertError::InvalidSubject(_))
    ));
}

#[test]
fn peer_identity_refuses_garbage_and_ambiguous_certificates() {
    assert!(matches!(
        PeerIdentity::from_der(b"not a certificate"),
        Err(CertError::MalformedCertificate(_))
    ));
    assert!(PeerIdentity::from_peer_certificates(&[]).is_err());

    // A certificate naming two facilities, built with rcgen directly.
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::default();
    for oid in ["1.2.3", "1.2.4"] {
        params.subject_alt_names.push(rcgen::SanType::URI(
            rcgen::string::Ia5String::try_from(format!("urn:oid:{oid}")).unwrap(),
        ));
    }
    let cert = params.self_signed(&key).unwrap();
    assert!(matches!(
        PeerIdentity::from_der(cert.der()),
        Err(CertError::AmbiguousFacilityOid(_))
    ));
}
