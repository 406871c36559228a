//! The operator's workflow through the `renkei` binary on a fresh data dir:
//! init, admit, issue, sign a CSR, roll over, revoke, CRL, expiry, suspend,
//! replace the server certificate, and the refusals that must leave nothing
//! behind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

const HOSPITAL: &str = "1.2.392.200119.6.102.1000000001";

fn renkei(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_renkei"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("RENKEI_DATABASE_URL")
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = renkei(dir, args);
    assert!(
        out.status.success(),
        "renkei {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail; returns its error output.
fn refused(dir: &Path, args: &[&str]) -> String {
    let out = renkei(dir, args);
    assert!(!out.status.success(), "renkei {args:?} should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn csr(name: &str) -> String {
    format!("{}/../certs/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The serial printed by `certs issue` / `certs sign-csr` ("issued SERIAL for ...").
fn serial_of(output: &str) -> String {
    output.split_whitespace().nth(1).unwrap().to_string()
}

#[test]
fn operator_workflow_on_a_data_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let out = tmp.path().join("out");

    // init: RSA operator CA on request, key readable by the owner only.
    ok(&dir, &["init", "--ca-algorithm", "rsa3072"]);
    let pki = dir.join("pki");
    assert_eq!(mode(&pki.join("ca-key.pem")), 0o600);
    assert_eq!(mode(&pki.join("server-key.pem")), 0o600);
    let ca = certs::OperatorCa::load(&pki).unwrap();
    assert_eq!(ca.key_algorithm(), certs::KeyAlgorithm::Rsa3072);
    assert!(refused(&dir, &["init"]).contains("already initialised"));

    // Admit a facility; bad input is refused with what to fix.
    let admit = [
        "facility",
        "add",
        "--oid",
        HOSPITAL,
        "--name",
        "Minato Hospital",
        "--kind",
        "hospital",
    ];
    ok(&dir, &admit);
    assert!(refused(&dir, &admit).contains("already registered"));
    let e = refused(
        &dir,
        &[
            "facility", "add", "--oid", "1.2.3", "--name", "X", "--kind", "dentist",
        ],
    );
    assert!(e.contains("care-facility"), "{e}");
    let e = refused(
        &dir,
        &[
            "facility", "add", "--oid", "1.2.x", "--name", "X", "--kind", "clinic",
        ],
    );
    assert!(e.contains("dotted decimal"), "{e}");
    let list = ok(&dir, &["facility", "list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with(HOSPITAL) && l.contains("hospital") && l.contains("active")),
        "{list}"
    );

    // Issue: key (0600), certificate and CA written together.
    let first = ok(
        &dir,
        &[
            "certs",
            "issue",
            "--facility",
            HOSPITAL,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let first = serial_of(&first);
    assert_eq!(mode(&out.join("key.pem")), 0o600);
    let cert = std::fs::read_to_string(out.join("cert.pem")).unwrap();
    let peer =
        certs::PeerIdentity::from_der(certs::certs_from_pem(&cert).unwrap()[0].as_ref()).unwrap();
    assert_eq!(peer.facility_oid, HOSPITAL);
    assert_eq!(peer.serial_hex, first);
    assert_eq!(
        std::fs::read_to_string(out.join("ca.pem")).unwrap(),
        ca.cert_pem()
    );

    // Nothing is overwritten, nothing half-written, nothing recorded on refusal.
    let key_before = std::fs::read(out.join("key.pem")).unwrap();
    let e = refused(
        &dir,
        &[
            "certs",
            "issue",
            "--facility",
            HOSPITAL,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(e.contains("already exists"), "{e}");
    assert_eq!(std::fs::read(out.join("key.pem")).unwrap(), key_before);
    let nowhere = tmp.path().join("nowhere");
    let e = refused(
        &dir,
        &[
            "certs",
            "issue",
            "--facility",
            "1.2.3.4",
            "--out",
            nowhere.to_str().unwrap(),
        ],
    );
    assert!(e.contains("not registered"), "{e}");
    assert!(!nowhere.exists());
    let signed = tmp.path().join("signed.pem");
    let e = refused(
        &dir,
        &[
            "certs",
            "sign-csr",
            "--facility",
            HOSPITAL,
            "--csr",
            &csr("csr-rsa1024.pem"),
            "--out",
            signed.to_str().unwrap(),
        ],
    );
    assert!(e.contains("2048"), "{e}");
    assert!(!signed.exists());
    assert_eq!(
        ok(&dir, &["certs", "list", "--facility", HOSPITAL])
            .lines()
            .count(),
        2
    );

    // Rollover: a CSR-signed successor overlaps; a third one waits for a revocation.
    let second = ok(
        &dir,
        &[
            "certs",
            "sign-csr",
            "--facility",
            HOSPITAL,
            "--csr",
            &csr("csr-rsa2048-openssl.pem"),
            "--out",
            signed.to_str().unwrap(),
        ],
    );
    let second = serial_of(&second);
    assert!(
        std::fs::read_to_string(&signed)
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
    let third_dir = tmp.path().join("third");
    let e = refused(
        &dir,
        &[
            "certs",
            "issue",
            "--facility",
            HOSPITAL,
            "--out",
            third_dir.to_str().unwrap(),
        ],
    );
    assert!(e.contains(&first) && e.contains(&second), "{e}");
    assert!(!third_dir.exists());

    // Revoke one, then the rest; the list and the CRL say so.
    assert!(refused(&dir, &["certs", "revoke"]).contains("--serial"));
    assert!(
        refused(
            &dir,
            &["certs", "revoke", "--serial", &first, "--reason", "stolen"]
        )
        .contains("key-compromise")
    );
    ok(
        &dir,
        &[
            "certs",
            "revoke",
            "--serial",
            &first,
            "--reason",
            "superseded",
        ],
    );
    assert!(refused(&dir, &["certs", "revoke", "--serial", &first]).contains("already revoked"));
    let list = ok(&dir, &["certs", "list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with(&first) && l.contains("revoked")),
        "{list}"
    );
    assert!(
        list.lines()
            .any(|l| l.starts_with(&second) && l.contains("valid")),
        "{list}"
    );
    ok(
        &dir,
        &[
            "certs",
            "revoke",
            "--facility",
            HOSPITAL,
            "--reason",
            "cessation-of-operation",
        ],
    );
    let crl_file = tmp.path().join("crl.pem");
    ok(&dir, &["certs", "crl", "--out", crl_file.to_str().unwrap()]);
    let crl =
        certs::parse_crl(&std::fs::read_to_string(&crl_file).unwrap(), ca.cert_der()).unwrap();
    assert!(crl.revoked_serials.contains(&first) && crl.revoked_serials.contains(&second));

    // Expiry report: the demo clinic's certificate expires in about two years.
    let soon = ok(&dir, &["certs", "expiring", "--within", "3650"]);
    assert!(soon.contains("valid") && !soon.contains(&first), "{soon}");
    assert!(
        ok(&dir, &["certs", "expiring", "--within", "30"]).contains("no unrevoked certificate")
    );

    // Suspension blocks issuance until reinstatement.
    ok(&dir, &["facility", "suspend", HOSPITAL]);
    assert!(ok(&dir, &["facility", "list"]).contains("suspended"));
    let e = refused(
        &dir,
        &[
            "certs",
            "issue",
            "--facility",
            HOSPITAL,
            "--out",
            third_dir.to_str().unwrap(),
        ],
    );
    assert!(e.contains("suspended"), "{e}");
    ok(&dir, &["facility", "reinstate", HOSPITAL]);
    ok(
        &dir,
        &[
            "certs",
            "issue",
            "--facility",
            HOSPITAL,
            "--out",
            third_dir.to_str().unwrap(),
        ],
    );

    // A new server certificate replaces the old pair in place.
    let old = std::fs::read(pki.join("server.pem")).unwrap();
    ok(
        &dir,
        &[
            "certs",
            "server",
            "--dns",
            "hub.example.jp",
            "--ip",
            "192.0.2.10",
        ],
    );
    assert_ne!(std::fs::read(pki.join("server.pem")).unwrap(), old);
    assert_eq!(mode(&pki.join("server-key.pem")), 0o600);
    certs::ReloadableServerCert::from_pem(
        &std::fs::read_to_string(pki.join("server.pem")).unwrap(),
        &std::fs::read_to_string(pki.join("server-key.pem")).unwrap(),
    )
    .unwrap();
}

#[test]
fn consent_commands_record_show_and_withdraw_paper_consent() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    ok(&dir, &["init", "--affinity-domain", "1.2.392.200119.99"]);
    let pid = "P-77^^^&1.2.392.200119.99&ISO";
    ok(&dir, &["patient", "add", pid]);
    ok(
        &dir,
        &[
            "facility", "add", "--oid", HOSPITAL, "--name", "Hospital", "--kind", "hospital",
        ],
    );

    // Bad input says what to fix and records nothing.
    assert!(refused(&dir, &["consent", "grant", "--patient", pid]).contains("--all"));
    let unknown = refused(
        &dir,
        &[
            "consent",
            "grant",
            "--patient",
            "NOBODY^^^&1.2.392.200119.99&ISO",
            "--all",
        ],
    );
    assert!(unknown.contains("not known"), "{unknown}");
    let stranger = refused(
        &dir,
        &[
            "consent",
            "grant",
            "--patient",
            pid,
            "--facility",
            "1.2.3.4",
        ],
    );
    assert!(stranger.contains("not a participant"), "{stranger}");

    let out = ok(
        &dir,
        &[
            "consent",
            "grant",
            "--patient",
            pid,
            "--facility",
            HOSPITAL,
            "--days",
            "30",
        ],
    );
    assert!(out.contains(&format!("facility={HOSPITAL}")), "{out}");
    let show = ok(&dir, &["consent", "show", "--patient", pid]);
    assert!(
        show.contains("active") && show.contains("source=cli"),
        "{show}"
    );
    assert!(!show.contains("expires=-"), "time-limited: {show}");

    // Emergency access needs the capability ([consent] emergency_facilities).
    let no_capability = refused(
        &dir,
        &[
            "consent",
            "emergency",
            "--patient",
            pid,
            "--facility",
            HOSPITAL,
            "--reason",
            "ER",
        ],
    );
    assert!(no_capability.contains("capability"), "{no_capability}");

    let out = ok(&dir, &["consent", "withdraw", "--patient", pid]);
    assert!(out.contains("withdrawn"), "{out}");
    let show = ok(&dir, &["consent", "show", "--patient", pid]);
    assert!(
        show.contains("withdrawn") && !show.contains("  active"),
        "{show}"
    );
    let again = ok(&dir, &["consent", "withdraw", "--patient", pid]);
    assert!(again.contains("nothing withdrawn"), "{again}");
}

/// `renkei serve` stops gracefully on SIGTERM (how systemd stops the
/// service) as on SIGINT: it says so and exits 0. Before, SIGTERM killed it
/// outright, in the middle of whatever requests it was answering.
#[test]
fn serve_stops_gracefully_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args([
            "--ops-listen",
            "127.0.0.1:0",
            "--mllp-listen",
            "127.0.0.1:0",
        ])
        .env("RUST_LOG", "warn")
        .env_remove("RENKEI_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The last line printed once the hub is up.
    for line in lines.by_ref() {
        if line.unwrap().starts_with("MLLP over TLS") {
            break;
        }
    }
    // The shell's builtin kill: no procps needed on the test machine.
    let term = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the hub did not stop within 60 s of SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    assert!(rest.iter().any(|l| l == "stopping"), "{rest:?}");
}
