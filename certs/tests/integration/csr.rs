//! CSR signing: key policy, proof of possession, operator-controlled fields.

use std::sync::Arc;

use certs::{CertError, KeyAlgorithm, certs_from_pem};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    PublicKeyData, SanType,
};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::support::{FACILITY_OID, Pki, client_with_versions, connect, san_uris, subject};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");

fn vector(name: &str) -> String {
    std::fs::read_to_string(format!("{DATA}{name}")).unwrap()
}

/// A CSR asking for everything the operator must not grant.
fn greedy_csr(key: &KeyPair) -> String {
    let mut params = CertificateParams::new(vec!["evil.example".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "I am the operator");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Not a clinic");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.subject_alt_names.push(SanType::URI(
        rcgen::string::Ia5String::try_from("urn:oid:1.2.3.4.5").unwrap(),
    ));
    params.serialize_request(key).unwrap().pem().unwrap()
}

#[test]
fn p256_csr_is_signed_with_operator_fields_only_and_the_key_works() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let issued = pki
        .ca
        .sign_csr(&greedy_csr(&key), &subject(FACILITY_OID), 30)
        .unwrap();
    assert!(issued.key_pem.is_none());

    let der = certs_from_pem(&issued.cert_pem).unwrap()[0]
        .as_ref()
        .to_vec();
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    assert_eq!(
        cert.public_key().raw,
        key.subject_public_key_info().as_slice()
    );
    assert_eq!(issued.subject, "O=Minato Care Home, CN=records-system");
    assert!(!cert.basic_constraints().unwrap().unwrap().value.ca);
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.client_auth && !eku.server_auth);
    assert_eq!(san_uris(&cert), vec![format!("urn:oid:{FACILITY_OID}")]);

    // The participant's own key authenticates it.
    let outcome = connect(
        pki.server_config(),
        pki.client_from(&issued.cert_pem, &key.serialize_pem()),
    );
    assert!(outcome.accepted(), "{outcome:?}");
    assert_eq!(outcome.peer.unwrap().serial_hex, issued.serial_hex);
}

#[test]
fn p384_ed25519_and_rsa2048_csrs_are_accepted() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let algorithms: [&'static rcgen::SignatureAlgorithm; 2] =
        [&rcgen::PKCS_ECDSA_P384_SHA384, &rcgen::PKCS_ED25519];
    for alg in algorithms {
        let key = KeyPair::generate_for(alg).unwrap();
        let issued = pki
            .ca
            .sign_csr(&greedy_csr(&key), &subject(FACILITY_OID), 30)
            .unwrap();
        let outcome = connect(
            pki.server_config(),
            pki.client_from(&issued.cert_pem, &key.serialize_pem()),
        );
        assert!(outcome.accepted(), "{alg:?}: {outcome:?}");
    }

    // RSA 2048 over TLS 1.2 exercises the ECDHE_RSA-signed client path.
    let rsa = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap();
    let issued = pki
        .ca
        .sign_csr(&greedy_csr(&rsa), &subject(FACILITY_OID), 30)
        .unwrap();
    let client = client_with_versions(
        pki.ca.cert_pem(),
        &issued.cert_pem,
        &rsa.serialize_pem(),
        &[&rustls::version::TLS12],
    );
    assert!(connect(pki.server_config(), Arc::clone(&client)).accepted());
}

#[test]
fn openssl_csr_with_extra_extensions_is_accepted() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let issued = pki
        .ca
        .sign_csr(
            &vector("csr-rsa2048-openssl.pem"),
            &subject(FACILITY_OID),
            30,
        )
        .unwrap();
    let der = certs_from_pem(&issued.cert_pem).unwrap()[0]
        .as_ref()
        .to_vec();
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    assert!(
        !cert.basic_constraints().unwrap().unwrap().value.ca,
        "requested CA:TRUE ignored"
    );
    assert_eq!(issued.subject, "O=Minato Care Home, CN=records-system");
}

#[test]
fn weak_and_unsupported_keys_are_refused_with_what_to_use() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let sign = |pem: &str| {
        pki.ca
            .sign_csr(pem, &subject(FACILITY_OID), 30)
            .unwrap_err()
    };

    let err = sign(&vector("csr-rsa1024.pem"));
    assert!(matches!(err, CertError::WeakKey(_)), "{err:?}");
    assert!(
        err.to_string().contains("1024 bits") && err.to_string().contains("2048"),
        "{err}"
    );

    let err = sign(&vector("csr-secp256k1.pem"));
    assert!(matches!(err, CertError::UnsupportedKey(_)), "{err:?}");
    assert!(
        err.to_string().contains("secp256k1") && err.to_string().contains("P-256"),
        "{err}"
    );

    let p521 = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
    let err = sign(&greedy_csr(&p521));
    assert!(err.to_string().contains("P-521"), "{err}");

    let err = sign(&vector("csr-rsa2048-sha1.pem"));
    assert!(err.to_string().contains("SHA-1"), "{err}");
}

#[test]
fn malformed_and_forged_csrs_are_refused() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let sign = |pem: &str| {
        pki.ca
            .sign_csr(pem, &subject(FACILITY_OID), 30)
            .unwrap_err()
    };

    for garbage in [
        "",
        "hello",
        "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----\n",
        "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n",
    ] {
        let err = sign(garbage);
        assert!(
            matches!(err, CertError::MalformedCsr(_)),
            "{garbage:?}: {err:?}"
        );
        assert!(err.to_string().contains("openssl req"), "{err}");
    }
    // A certificate is not a CSR.
    assert!(matches!(
        sign(pki.ca.cert_pem()),
        CertError::MalformedCsr(_)
    ));

    // Flip one bit of the signature: proof of possession fails.
    let key = KeyPair::generate().unwrap();
    let csr = CertificateParams::default()
        .serialize_request(&key)
        .unwrap();
    let mut der = csr.der().to_vec();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let forged = pem_encode("CERTIFICATE REQUEST", &der);
    let err = sign(&forged);
    assert!(matches!(err, CertError::CsrSignatureInvalid(_)), "{err:?}");

    // Operator-side subject checks still apply.
    let bad = certs::ParticipantSubject {
        facility_oid: "x".to_owned(),
        ..subject(FACILITY_OID)
    };
    let csr_pem = csr.pem().unwrap();
    assert!(matches!(
        pki.ca.sign_csr(&csr_pem, &bad, 30),
        Err(CertError::InvalidFacilityOid { .. })
    ));
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    // Minimal base64 for the test (no extra dependency).
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}
