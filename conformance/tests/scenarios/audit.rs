//! The audit trail end to end: every transaction leaves exactly its ATNA
//! record (field by field, schema-valid XML), failures too; tampering with a
//! row is found by verify; the patient report lists exactly the reads that
//! happened; records reach a real syslog/TLS collector (rsyslog) in order,
//! across a collector restart.

use crate::common::*;
use conformance::TestHub;
use conformance::fixtures::{self, DocSpec, Submission};
use ebrim::ResponseStatus;
use hub::audit::report::{AuditQuery, AuditRecord};
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The DICOM audit message validates against dicom2017c.xsd.
pub fn validate_audit_xml(xml: &str) {
    let schemas = conformance::xsd::conformance_dir().join("schemas");
    let mut child = Command::new("xmllint")
        .args(["--nonet", "--noout", "--schema"])
        .arg(schemas.join("audit/dicom2017c.xsd"))
        .arg("-")
        .env("XML_CATALOG_FILES", schemas.join("catalog.xml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xmllint");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(xml.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Records of the XDS transactions (start-up and other events left out).
async fn xds_records(hub: &TestHub) -> Vec<AuditRecord> {
    hub::audit::report::search(&hub.hub.store, &AuditQuery::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.transaction.starts_with("ITI-"))
        .collect()
}

fn summary(
    r: &AuditRecord,
) -> (
    String,
    String,
    String,
    i32,
    Option<String>,
    Option<String>,
    Vec<String>,
) {
    (
        r.transaction.clone(),
        r.event_id.clone(),
        r.action.clone(),
        r.outcome,
        r.facility.clone(),
        r.patient.clone(),
        r.documents.clone(),
    )
}

fn s(v: &str) -> String {
    v.to_string()
}

async fn provide(hub: &TestHub, pid: &str, doc: &DocSpec) -> ebrim::parse::RegistryResponse {
    let client = hub.client().unwrap();
    let (body, attachments) = Submission::new(pid, &hub.facility_oid)
        .with(doc.clone())
        .provide_and_register_xml(true);
    let body = as_submitter(hub, &body);
    registry_response(
        &client
            .mtom("/xds/repository", PNR, &body, &attachments)
            .await
            .unwrap(),
    )
}

/// The fixtures' authorInstitution names a fixed organisation; a facility
/// may only submit as itself, so name the demo facility instead.
fn as_submitter(hub: &TestHub, xml: &str) -> String {
    xml.replace("1.2.392.200119.6.102.1234567890", &hub.facility_oid)
}

async fn retrieve(hub: &TestHub, uids: &[&str]) -> ebrim::parse::RetrieveDocumentSetResponse {
    let client = hub.client().unwrap();
    let reply = client
        .mtom(
            "/xds/repository",
            RETRIEVE,
            &fixtures::retrieve(&hub.settings.repository_unique_id, uids),
            &[],
        )
        .await
        .unwrap();
    ebrim::parse::retrieve_document_set_response(&reply.envelope().unwrap()).unwrap()
}

async fn find(hub: &TestHub, pid: &str) -> ebrim::parse::AdhocQueryResponse {
    let client = hub.client().unwrap();
    query_response(
        &client
            .soap(
                "/xds/registry",
                QUERY,
                &fixtures::find_documents(pid, "LeafClass"),
            )
            .await
            .unwrap(),
    )
}

#[tokio::test]
async fn each_transaction_leaves_its_record_field_by_field() {
    let hub = TestHub::start().await.unwrap();
    let fac = Some(hub.facility_oid.clone());
    let pid = hub.add_patient("AUD1").await.unwrap();

    // ITI-41
    let doc = DocSpec::referral("Document01", &hub.facility_oid, b"referral for audit");
    assert_eq!(
        provide(&hub, &pid, &doc).await.status,
        ResponseStatus::Success
    );
    // ITI-42
    let mut reg = DocSpec::referral("Document01", &hub.facility_oid, b"registered elsewhere");
    reg.registry_fields = Some(hub.settings.repository_unique_id.clone());
    let sub = Submission::new(&pid, &hub.facility_oid).with(reg.clone());
    let client = hub.client().unwrap();
    let r = registry_response(
        &client
            .soap(
                "/xds/registry",
                REGISTER,
                &as_submitter(&hub, &sub.submit_objects_xml()),
            )
            .await
            .unwrap(),
    );
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);
    // ITI-18
    let q = find(&hub, &pid).await;
    assert_eq!(q.status, ResponseStatus::Success);
    // ITI-43
    assert_eq!(
        retrieve(&hub, &[&doc.unique_id]).await.status,
        ResponseStatus::Success
    );

    let records = xds_records(&hub).await;
    let got: Vec<_> = records.iter().map(summary).collect();
    let mut found_docs = vec![doc.unique_id.clone(), reg.unique_id.clone()];
    found_docs.sort();
    let mut query_docs = records[2].documents.clone();
    query_docs.sort();
    assert_eq!(
        query_docs, found_docs,
        "ITI-18 lists the DocumentEntries it returned"
    );
    assert_eq!(
        got,
        vec![
            (
                s("ITI-41"),
                s("110107"),
                s("C"),
                0,
                fac.clone(),
                Some(pid.clone()),
                vec![doc.unique_id.clone()]
            ),
            (
                s("ITI-42"),
                s("110107"),
                s("C"),
                0,
                fac.clone(),
                Some(pid.clone()),
                vec![reg.unique_id.clone()]
            ),
            (
                s("ITI-18"),
                s("110112"),
                s("E"),
                0,
                fac.clone(),
                Some(pid.clone()),
                records[2].documents.clone()
            ),
            (
                s("ITI-43"),
                s("110106"),
                s("R"),
                0,
                fac.clone(),
                Some(pid.clone()),
                vec![doc.unique_id.clone()]
            ),
        ]
    );
    for r in &records {
        validate_audit_xml(&r.message);
        assert!(
            r.message.contains(&format!(
                "ParticipantObjectID=\"{}\"",
                pid.replace('&', "&amp;")
            )),
            "{}",
            r.message
        );
        assert!(
            r.message
                .contains(&format!("UserID=\"{}\"", hub.facility_oid))
        );
    }
    // IHE specifics: SubmissionSet object on ITI-41, the stored query on ITI-18.
    let ss_node = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";
    assert!(records[0].message.contains(ss_node));
    assert!(records[2].message.contains(&format!(
        "ParticipantObjectID=\"{}\"",
        ebrim::vocab::SQ_FIND_DOCUMENTS
    )));
    assert!(records[2].message.contains("<ParticipantObjectQuery>"));
    assert!(records[2].message.contains("csd-code=\"ITI-18\""));
    // The hub exports on ITI-43: it is the Source.
    let hub_first = records[3].message.find("/xds/repository").unwrap();
    let consumer = records[3]
        .message
        .find(&format!("UserID=\"{}\"", hub.facility_oid))
        .unwrap();
    assert!(hub_first < consumer);

    let start = hub::audit::report::search(
        &hub.hub.store,
        &AuditQuery {
            transaction: Some("application-start".into()),
            ..AuditQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(start.len(), 1);
    validate_audit_xml(&start[0].message);
    hub.stop().await;
}

#[tokio::test]
async fn failures_are_audited_and_leave_no_success_record() {
    let hub = TestHub::start().await.unwrap();
    let fac = Some(hub.facility_oid.clone());
    let pid = hub.add_patient("AUD2").await.unwrap();
    let mut bad = DocSpec::referral("Document01", &hub.facility_oid, b"the real bytes");
    bad.hash_override = Some("0000000000000000000000000000000000000000".into());
    let r = provide(&hub, &pid, &bad).await;
    assert_eq!(r.status, ResponseStatus::Failure);

    // The registry rejects an unknown patient inside the transaction (rolled back).
    let nobody = hub.patient("NOBODY");
    let doc = DocSpec::referral("Document01", &hub.facility_oid, b"x");
    assert_eq!(
        provide(&hub, &nobody, &doc).await.status,
        ResponseStatus::Failure
    );

    // ITI-43 for a document that does not exist.
    let r = retrieve(&hub, &["1.2.3.4.404"]).await;
    assert_eq!(r.status, ResponseStatus::Failure);

    let records = xds_records(&hub).await;
    let got: Vec<_> = records.iter().map(summary).collect();
    assert_eq!(
        got,
        vec![
            (
                s("ITI-41"),
                s("110107"),
                s("C"),
                8,
                fac.clone(),
                Some(pid.clone()),
                vec![bad.unique_id.clone()]
            ),
            (
                s("ITI-41"),
                s("110107"),
                s("C"),
                8,
                fac.clone(),
                Some(nobody.clone()),
                vec![doc.unique_id.clone()]
            ),
            (
                s("ITI-43"),
                s("110106"),
                s("R"),
                8,
                fac.clone(),
                None,
                vec![s("1.2.3.4.404")]
            ),
        ]
    );
    assert!(
        records[0].message.contains("XDSRepositoryMetadataError"),
        "{}",
        records[0].message
    );
    assert!(
        records[1].message.contains("XDSUnknownPatientId"),
        "{}",
        records[1].message
    );
    for r in &records {
        validate_audit_xml(&r.message);
    }
    hub.stop().await;
}

#[tokio::test]
async fn a_row_edited_in_the_database_is_detected_by_verify() {
    let hub = TestHub::start().await.unwrap();
    let pid = hub.add_patient("AUD3").await.unwrap();
    for i in 0..3 {
        let doc = DocSpec::referral(
            "Document01",
            &hub.facility_oid,
            format!("doc {i}").as_bytes(),
        );
        provide(&hub, &pid, &doc).await;
        find(&hub, &pid).await;
    }
    let store = &hub.hub.store;
    let (text, intact) = hub::audit_cli::verify(store).await.unwrap();
    assert!(intact, "{text}");
    assert!(text.contains("intact"), "{text}");

    // Someone changes who read the records, directly in the database.
    store
        .write(|conn| {
            store::testing::execute_sql(
                conn,
                "UPDATE audit_log SET facility = '9.9.9' WHERE seq = 4",
            )
        })
        .await
        .unwrap();
    let report = hub::audit::verify(store).await.unwrap();
    let broken = report.broken.clone().expect("the edit must be found");
    assert_eq!(broken.seq(), 4, "{report}");
    let (text, intact) = hub::audit_cli::verify(store).await.unwrap();
    assert!(!intact);
    assert!(text.contains("BROKEN at seq 4"), "{text}");
    hub.stop().await;
}

#[tokio::test]
async fn a_removed_row_is_detected_by_verify() {
    let hub = TestHub::start().await.unwrap();
    let pid = hub.add_patient("AUD4").await.unwrap();
    for _ in 0..3 {
        find(&hub, &pid).await;
    }
    let store = &hub.hub.store;
    store
        .write(|conn| store::testing::execute_sql(conn, "DELETE FROM audit_log WHERE seq = 2"))
        .await
        .unwrap();
    let report = hub::audit::verify(store).await.unwrap();
    assert_eq!(report.broken.map(|b| b.seq()), Some(2));
    hub.stop().await;
}

#[tokio::test]
async fn patient_report_lists_exactly_the_reads_and_changes() {
    let hub = TestHub::start().await.unwrap();
    let p1 = hub.add_patient("AUD5").await.unwrap();
    let p2 = hub.add_patient("AUD6").await.unwrap();
    let a = DocSpec::referral("Document01", &hub.facility_oid, b"letter A");
    let b = DocSpec::referral("Document01", &hub.facility_oid, b"letter B");
    let other = DocSpec::referral("Document01", &hub.facility_oid, b"someone else");
    provide(&hub, &p1, &a).await;
    provide(&hub, &p1, &b).await;
    provide(&hub, &p2, &other).await;
    find(&hub, &p2).await;
    retrieve(&hub, &[&a.unique_id]).await;
    retrieve(&hub, &[&other.unique_id]).await;

    let out = hub::audit_cli::patient(
        &hub.hub.store,
        &hub.settings,
        &p1,
        None,
        hub::audit_cli::ReportFormat::Json,
    )
    .await
    .unwrap();
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(String, Vec<String>, String)> = rows
        .iter()
        .map(|r| {
            (
                r["transaction"].as_str().unwrap().to_string(),
                r["documents"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_str().unwrap().to_string())
                    .collect(),
                r["facility"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let f = hub.facility_oid.clone();
    assert_eq!(
        got,
        vec![
            (s("ITI-41"), vec![a.unique_id.clone()], f.clone()),
            (s("ITI-41"), vec![b.unique_id.clone()], f.clone()),
            (s("ITI-43"), vec![a.unique_id.clone()], f.clone()),
        ]
    );
    for r in &rows {
        for key in [
            "time",
            "transaction",
            "event_id",
            "outcome",
            "facility",
            "patient",
            "documents",
            "message",
        ] {
            assert!(r.get(key).is_some(), "{key} missing");
        }
    }
    // --since after everything: nothing.
    let later = (chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339();
    let none = hub::audit_cli::patient(
        &hub.hub.store,
        &hub.settings,
        &p1,
        Some(&later),
        hub::audit_cli::ReportFormat::Json,
    )
    .await
    .unwrap();
    assert!(none.is_empty(), "{none}");
    // CSV: header plus the same three rows.
    let csv = hub::audit_cli::patient(
        &hub.hub.store,
        &hub.settings,
        &p1,
        None,
        hub::audit_cli::ReportFormat::Csv,
    )
    .await
    .unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    // Search by facility and transaction.
    let args = hub::audit_cli::SearchArgs {
        facility: Some(f.clone()),
        transaction: Some("ITI-43".into()),
        ..Default::default()
    };
    let out = hub::audit_cli::search(&hub.hub.store, &hub.settings, &args)
        .await
        .unwrap();
    assert_eq!(out.lines().count(), 2, "{out}");
    hub.stop().await;
}

/// A free TCP port on loopback (released again for the collector to bind).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// rsyslogd receiving RFC 5425 (octet-counted, mutual TLS via gnutls) into a file.
struct Rsyslog {
    child: std::process::Child,
    dir: std::path::PathBuf,
}

impl Rsyslog {
    fn start(dir: &std::path::Path, port: u16) -> Rsyslog {
        let d = dir.display();
        let conf = format!(
            r#"global(workDirectory="{d}/work" maxMessageSize="256k"
  defaultNetstreamDriver="gtls"
  defaultNetstreamDriverCAFile="{d}/ca.pem"
  defaultNetstreamDriverCertFile="{d}/cert.pem"
  defaultNetstreamDriverKeyFile="{d}/key.pem")
module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="x509/certvalid")
input(type="imtcp" address="127.0.0.1" port="{port}")
template(name="audit" type="string" string="%msgid% %app-name% %msg%\n")
action(type="omfile" file="{d}/received.log" template="audit")
"#
        );
        std::fs::create_dir_all(dir.join("work")).unwrap();
        std::fs::write(dir.join("rsyslog.conf"), conf).unwrap();
        let child = Command::new("rsyslogd")
            .arg("-n")
            .arg("-f")
            .arg(dir.join("rsyslog.conf"))
            .arg("-i")
            .arg(dir.join("rsyslog.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rsyslogd");
        Rsyslog {
            child,
            dir: dir.to_path_buf(),
        }
    }

    /// Graceful stop (SIGTERM), as an operator restarting the collector would.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }

    /// Audit messages received so far, in arrival order.
    fn received(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.dir.join("received.log")).unwrap_or_default();
        text.lines()
            .map(|l| {
                assert!(l.starts_with("IHE+RFC-3881 renkei "), "header fields: {l}");
                l["IHE+RFC-3881 renkei ".len()..].trim().to_string()
            })
            .collect()
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rsyslog_available() -> bool {
    Command::new("rsyslogd")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// First occurrences in arrival order (the sender may repeat a batch the
/// collector was stopped in the middle of).
fn first_occurrences(received: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    received
        .iter()
        .filter(|m| seen.insert(m.to_string()))
        .cloned()
        .collect()
}

#[tokio::test]
async fn syslog_tls_collector_gets_every_record_in_order_across_a_restart() {
    if !rsyslog_available() {
        eprintln!(
            "SKIPPED: rsyslogd is not installed (apt-get install rsyslog rsyslog-gnutls); the syslog/TLS end-to-end test needs it"
        );
        return;
    }
    let port = free_port();
    let hub =
        TestHub::start_with(|s| s.audit_destinations = vec![format!("tls://localhost:{port}")])
            .await
            .unwrap();
    // The collector's certificate, from the operator CA (the hub trusts it by default).
    let dir = tempfile::tempdir().unwrap();
    let ca = hub::certs::OperatorCa::load(&hub.settings.pki_dir()).unwrap();
    let cert = ca
        .issue_server(
            &["localhost".to_string()],
            &["127.0.0.1".parse().unwrap()],
            30,
        )
        .unwrap();
    std::fs::write(dir.path().join("cert.pem"), &cert.cert_pem).unwrap();
    std::fs::write(dir.path().join("key.pem"), cert.key_pem.as_deref().unwrap()).unwrap();
    std::fs::write(dir.path().join("ca.pem"), ca.cert_pem()).unwrap();

    let pid = hub.add_patient("AUD7").await.unwrap();
    let collector = Rsyslog::start(dir.path(), port);
    for _ in 0..10 {
        find(&hub, &pid).await;
    }
    let all = |hub: &TestHub| {
        let store = hub.hub.store.clone();
        async move {
            hub::audit::report::search(&store, &AuditQuery::default())
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.message)
                .collect::<Vec<_>>()
        }
    };
    // Wait until the collector has the first records, then stop it mid-stream.
    wait_for(
        || collector.received().len() >= 5,
        "first records at the collector",
    )
    .await;
    collector.stop();
    for _ in 0..15 {
        find(&hub, &pid).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let collector = Rsyslog::start(dir.path(), port);
    for _ in 0..5 {
        find(&hub, &pid).await;
    }
    let expected = all(&hub).await;
    assert!(expected.len() >= 31, "start + 30 queries");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let got = first_occurrences(&collector.received());
        if got.len() >= expected.len() {
            assert_eq!(got, expected, "every record, in chain order");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "collector has {} of {} records",
            got.len(),
            expected.len()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The cursor is durable: it names the last record sent.
    let cursor = hub
        .hub
        .store
        .read(move |conn| store::audit_cursor(conn, &format!("tls://localhost:{port}")))
        .await
        .unwrap();
    assert_eq!(cursor, Some(expected.len() as i64));
    collector.stop();
    hub.stop().await;
}

async fn wait_for(mut cond: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
