//! The CA on disk: permissions, atomic creation, no clobbering, round trip.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use certs::{CertError, KeyAlgorithm, OperatorCa, TrustState};

use crate::support::{FACILITY_OID, Pki, connect, subject};

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn save_and_load_round_trip_for_both_algorithms() {
    for algorithm in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Rsa3072] {
        let pki = Pki::new(algorithm);
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        pki.ca.save(&data).unwrap();

        assert_eq!(mode(&data.join(OperatorCa::KEY_FILE)), 0o600);
        assert_eq!(mode(&data.join(OperatorCa::CERT_FILE)), 0o644);
        let mut names: Vec<_> = fs::read_dir(&data)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec!["ca-key.pem", "ca.pem"],
            "no temporary files left"
        );

        let loaded = OperatorCa::load(&data).unwrap();
        assert_eq!(loaded.cert_der(), pki.ca.cert_der());
        assert_eq!(loaded.cert_pem(), pki.ca.cert_pem());
        assert_eq!(loaded.key_algorithm(), algorithm);
        assert_eq!(loaded.common_name(), "renkei test operator CA");
        assert_eq!(loaded.not_after(), pki.ca.not_after());

        // Certificates from the reloaded CA are trusted by the original trust state.
        let participant = loaded.issue_participant(&subject(FACILITY_OID), 5).unwrap();
        assert!(connect(pki.server_config(), pki.client(&participant)).accepted());

        let err = pki.ca.save(&data).unwrap_err();
        assert!(matches!(err, CertError::AlreadyExists(_)), "{err:?}");
        assert_eq!(
            OperatorCa::load(&data).unwrap().cert_der(),
            pki.ca.cert_der()
        );
    }
}

#[test]
fn load_refuses_a_key_file_others_can_read() {
    let pki = Pki::new(KeyAlgorithm::EcdsaP256);
    let dir = tempfile::tempdir().unwrap();
    pki.ca.save(dir.path()).unwrap();
    let key = dir.path().join(OperatorCa::KEY_FILE);
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    let err = OperatorCa::load(dir.path()).unwrap_err();
    assert!(
        matches!(err, CertError::InsecureKeyFile { mode: 0o644, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("chmod 600"), "{err}");
}

#[test]
fn mismatched_or_non_ca_material_is_refused() {
    let a = Pki::new(KeyAlgorithm::EcdsaP256);
    let b = Pki::new(KeyAlgorithm::EcdsaP256);
    let dir_b = tempfile::tempdir().unwrap();
    b.ca.save(dir_b.path()).unwrap();
    let key_b = fs::read_to_string(dir_b.path().join(OperatorCa::KEY_FILE)).unwrap();

    // A file holding more than the CA certificate: only the first block counts.
    let bundle = format!("{}{}", b.ca.cert_pem(), a.ca.cert_pem());
    let from_bundle = OperatorCa::from_pem(&bundle, &key_b).unwrap();
    assert_eq!(from_bundle.cert_pem(), b.ca.cert_pem());

    let err = OperatorCa::from_pem(a.ca.cert_pem(), &key_b).unwrap_err();
    assert!(err.to_string().contains("does not belong"), "{err}");

    let participant = a.participant(FACILITY_OID);
    let err = OperatorCa::from_pem(
        &participant.cert_pem,
        participant.key_pem.as_deref().unwrap(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("not a CA"), "{err}");

    assert!(matches!(
        OperatorCa::load(&dir_b.path().join("missing")),
        Err(CertError::Io { .. })
    ));
    assert!(!format!("{:?}", a.ca).contains("PRIVATE"));
    assert!(TrustState::from_ca_pem("no pem here").is_err());
}
