//! The operator's side of the audit trail against the real hub: facility and
//! certificate changes (admin API and CLI) leave their records, written with
//! the change; refused TLS handshakes become coalesced ITI-19 records without
//! holding up the listener; the `/admin/audit/*` endpoints page through the
//! same output as the CLI.

use crate::audit::validate_audit_xml;
use crate::common::*;
use conformance::{HubClient, TestHub, fixtures};
use hub::audit::report::{AuditQuery, AuditRecord};
use hub::certs::{KeyAlgorithm, OperatorCa, ParticipantSubject};
use hub::facility::{IssueOptions, IssuedBundle, Participants};
use std::time::{Duration, Instant};

const OPERATOR_OID: &str = "1.2.392.200119.6.102.9000000001";
const HOSPITAL_OID: &str = "1.2.392.200119.6.102.1000000002";

/// The participant registry as the `renkei` CLI opens it.
fn cli_participants(hub: &TestHub) -> Participants {
    Participants::new(hub.hub.store.clone(), &hub.settings.pki_dir())
        .with_audit_source(hub::auditing::audit_source(&hub.settings))
}

fn ca_pem(hub: &TestHub) -> Vec<u8> {
    std::fs::read(hub.settings.pki_dir().join("ca.pem")).unwrap()
}

fn identity(bundle: &IssuedBundle) -> String {
    format!(
        "{}\n{}",
        bundle.private_key_pem.as_deref().unwrap(),
        bundle.certificate_pem
    )
}

fn admin_http(hub: &TestHub, bundle: &IssuedBundle) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca_pem(hub)).unwrap()])
        .identity(reqwest::Identity::from_pem(identity(bundle).as_bytes()).unwrap())
        .https_only(true)
        .build()
        .unwrap()
}

/// Admits the operator facility with the CLI and waits until the hub knows
/// its kind (it refreshes from the database every 2 s).
async fn operator(hub: &TestHub) -> (IssuedBundle, reqwest::Client) {
    let registry = cli_participants(hub);
    registry
        .add_facility(OPERATOR_OID, "Region operator", "operator")
        .await
        .unwrap();
    let bundle = registry
        .issue(OPERATOR_OID, &IssueOptions::default())
        .await
        .unwrap();
    let client = admin_http(hub, &bundle);
    let url = format!("{}/admin/facilities", hub.base_url);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = client.get(&url).send().await.map(|r| r.status().as_u16());
        if status.as_ref().is_ok_and(|s| *s == 200) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "operator not admitted: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    (bundle, client)
}

async fn records(hub: &TestHub, transaction: &str) -> Vec<AuditRecord> {
    hub::audit::report::search(
        &hub.hub.store,
        &AuditQuery {
            transaction: Some(transaction.to_string()),
            ..AuditQuery::default()
        },
    )
    .await
    .unwrap()
}

/// Values of `attr` on every `element` of an audit message, in order.
fn attrs(xml: &str, element: &str, attr: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name(element))
        .filter_map(|n| n.attribute(attr).map(str::to_string))
        .collect()
}

fn outcome_description(xml: &str) -> String {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .find(|n| n.has_tag_name("EventOutcomeDescription"))
        .and_then(|n| n.text())
        .unwrap_or_default()
        .to_string()
}

/// transaction, event id, action, outcome, requestor facility.
fn head(r: &AuditRecord) -> (String, String, String, i32, Option<String>) {
    (
        r.transaction.clone(),
        r.event_id.clone(),
        r.action.clone(),
        r.outcome,
        r.facility.clone(),
    )
}

fn h(
    t: &str,
    outcome: i32,
    facility: Option<&str>,
) -> (String, String, String, i32, Option<String>) {
    (
        t.to_string(),
        "110113".to_string(),
        "E".to_string(),
        outcome,
        facility.map(str::to_string),
    )
}

#[tokio::test]
async fn operator_changes_are_audited_with_who_made_them() {
    let hub = TestHub::start().await.unwrap();
    let (op, admin) = operator(&hub).await;
    let base = &hub.base_url;

    // Admin API: admit, issue, revoke, suspend, reinstate; one refused admit.
    let r = admin
        .post(format!("{base}/admin/facilities"))
        .header("content-type", "application/json")
        .body(
            serde_json::json!({"oid": HOSPITAL_OID, "name": "Minami Hospital", "kind": "hospital"})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let r = admin
        .post(format!("{base}/admin/facilities"))
        .header("content-type", "application/json")
        .body(
            serde_json::json!({"oid": HOSPITAL_OID, "name": "Again", "kind": "hospital"})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409);
    let issued = admin
        .post(format!(
            "{base}/admin/facilities/{HOSPITAL_OID}/certificates"
        ))
        .header("content-type", "application/json")
        .body(serde_json::json!({}).to_string())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let issued: serde_json::Value = serde_json::from_str(&issued).unwrap();
    let serial = issued["certificate"]["serial"]
        .as_str()
        .unwrap()
        .to_string();
    let r = admin
        .post(format!("{base}/admin/certificates/{serial}/revoke"))
        .header("content-type", "application/json")
        .body(serde_json::json!({"reason": "key-compromise"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    for action in ["suspend", "reinstate"] {
        let r = admin
            .post(format!("{base}/admin/facilities/{HOSPITAL_OID}/{action}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{action}");
    }

    let op_oid = Some(OPERATOR_OID);
    // The CLI admitted the operator and issued its certificate.
    let adds = records(&hub, "facility-add").await;
    let demo_and_cli: Vec<_> = adds.iter().take(2).map(head).collect();
    assert_eq!(
        demo_and_cli,
        vec![h("facility-add", 0, None), h("facility-add", 0, None)],
        "init's demo facility and the CLI's operator, by the operator at the command line"
    );
    assert_eq!(
        attrs(&adds[1].message, "ActiveParticipant", "UserID")[0],
        "renkei-cli"
    );
    assert_eq!(
        adds.iter().skip(2).map(head).collect::<Vec<_>>(),
        vec![h("facility-add", 0, op_oid), h("facility-add", 4, op_oid)]
    );
    // Field by field: the API admit names the operator and the new facility.
    let m = &adds[2].message;
    assert_eq!(
        attrs(m, "EventTypeCode", "csd-code"),
        ["110137", "facility-add"]
    );
    assert_eq!(attrs(m, "ActiveParticipant", "UserID")[0], OPERATOR_OID);
    assert_eq!(
        attrs(m, "ActiveParticipant", "UserName")[0],
        "Region operator"
    );
    assert_eq!(
        attrs(m, "ParticipantObjectIdentification", "ParticipantObjectID"),
        [HOSPITAL_OID]
    );
    assert!(
        outcome_description(&adds[3].message).contains("already registered"),
        "{}",
        adds[3].message
    );

    let issues = records(&hub, "cert-issue").await;
    let last = issues.last().unwrap();
    assert_eq!(head(last), h("cert-issue", 0, op_oid));
    assert_eq!(
        attrs(&last.message, "EventTypeCode", "csd-code"),
        ["110129", "cert-issue"]
    );
    assert_eq!(
        attrs(
            &last.message,
            "ParticipantObjectIdentification",
            "ParticipantObjectID"
        ),
        [HOSPITAL_OID, serial.as_str()]
    );
    let revokes = records(&hub, "cert-revoke").await;
    assert_eq!(
        revokes.iter().map(head).collect::<Vec<_>>(),
        vec![h("cert-revoke", 0, op_oid)]
    );
    assert_eq!(
        attrs(
            &revokes[0].message,
            "ParticipantObjectIdentification",
            "ParticipantObjectID"
        ),
        [serial.as_str(), HOSPITAL_OID]
    );
    let reason = attrs(&revokes[0].message, "ParticipantObjectDetail", "value");
    assert_eq!(
        reason,
        [base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "key-compromise"
        )]
    );
    for t in ["facility-suspend", "facility-reinstate"] {
        let got = records(&hub, t).await;
        assert_eq!(
            got.iter().map(head).collect::<Vec<_>>(),
            vec![h(t, 0, op_oid)]
        );
    }

    // A refused CLI change: no success record, one failure record.
    let cli = cli_participants(&hub);
    cli.set_suspended(HOSPITAL_OID, true).await.unwrap();
    assert!(
        cli.issue(HOSPITAL_OID, &IssueOptions::default())
            .await
            .is_err()
    );
    let issues = records(&hub, "cert-issue").await;
    let refused = issues.last().unwrap();
    assert_eq!(head(refused), h("cert-issue", 4, None));
    assert!(outcome_description(&refused.message).contains("suspended"));
    assert_eq!(
        hub::facility::Participants::certificates(&cli, Some(HOSPITAL_OID))
            .await
            .unwrap()
            .len(),
        1,
        "nothing was issued"
    );

    let all = hub::audit::report::search(&hub.hub.store, &AuditQuery::default())
        .await
        .unwrap();
    for r in all.iter().filter(|r| r.event_id == "110113") {
        validate_audit_xml(&r.message);
    }
    let report = hub::audit::verify(&hub.hub.store).await.unwrap();
    assert!(report.is_intact(), "{report}");
    drop(op);
    hub.stop().await;
}

#[tokio::test]
async fn a_patient_added_by_the_operator_is_audited_once() {
    let hub = TestHub::start().await.unwrap();
    let cx = hub.patient("OPADD1");
    // `renkei patient add` and POST /admin/patients go through the PIX Manager.
    let add = |cx: String| {
        let pix = hub.hub.pix.clone();
        async move {
            let id = pix::PatientIdentifier::parse_cx(&cx).map_err(|e| e.to_string())?;
            pix.add_regional_id(hub::audit::Requestor::operator_cli(), id)
                .await
                .map_err(|e| e.to_string())
        }
    };
    assert!(add(cx.clone()).await.unwrap(), "new");
    assert!(!add(cx.clone()).await.unwrap(), "already known");
    assert!(add("X^^^&9.9.9&ISO".to_string()).await.is_err());
    let got = records(&hub, "patient-add").await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        (
            got[0].event_id.as_str(),
            got[0].action.as_str(),
            got[0].outcome,
            got[0].patient.as_deref()
        ),
        ("110110", "C", 0, Some(cx.as_str()))
    );
    validate_audit_xml(&got[0].message);
    hub.stop().await;
}

async fn metric(hub: &TestHub, name: &str) -> f64 {
    let text = reqwest::get(format!("http://{}/metrics", hub.hub.ops_addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(-1.0)
}

#[tokio::test]
async fn refused_handshakes_are_audited_once_per_reason_and_peer_without_stalling() {
    let hub = TestHub::start().await.unwrap();
    let ca = ca_pem(&hub);
    // A certificate naming the demo facility, from another CA.
    let foreign = OperatorCa::generate(KeyAlgorithm::EcdsaP256, "Some other CA", 365).unwrap();
    let forged = foreign
        .issue_participant(
            &ParticipantSubject {
                facility_oid: hub.facility_oid.clone(),
                facility_name: "Forged".into(),
                common_name: "Forged".into(),
            },
            30,
        )
        .unwrap();
    let forged_identity = format!(
        "{}\n{}",
        forged.key_pem.as_deref().unwrap(),
        forged.cert_pem
    );
    const FLOOD: usize = 40;
    let query = fixtures::find_documents(&hub.patient("NOBODY"), "ObjectRef");
    let attempts = (0..FLOOD).map(|_| {
        let client = HubClient::new(&hub.base_url, &ca, Some(forged_identity.as_bytes())).unwrap();
        let query = query.clone();
        async move { client.soap("/xds/registry", QUERY, &query).await.is_err() }
    });
    let refused = futures_util::future::join_all(attempts).await;
    assert!(
        refused.iter().all(|r| *r),
        "every forged handshake is refused"
    );
    // No certificate at all: another reason, its own record.
    let anonymous = HubClient::new(&hub.base_url, &ca, None).unwrap();
    assert!(
        anonymous
            .soap("/xds/registry", QUERY, &query)
            .await
            .is_err()
    );

    // The listener kept serving meanwhile.
    let start = Instant::now();
    let served = hub
        .client()
        .unwrap()
        .soap("/xds/registry", QUERY, &query)
        .await
        .unwrap();
    assert_eq!(served.status, 200);
    assert!(start.elapsed() < Duration::from_secs(5));

    let deadline = Instant::now() + Duration::from_secs(10);
    let failures = loop {
        let got: Vec<AuditRecord> = records(&hub, "node-auth-failure")
            .await
            .into_iter()
            .filter(|r| r.facility.is_none())
            .collect();
        let suppressed = metric(&hub, "renkei_audit_node_auth_suppressed_total").await;
        if got.len() >= 2 && suppressed >= (FLOOD - 1) as f64 {
            break got;
        }
        assert!(
            Instant::now() < deadline,
            "{} records, {suppressed} suppressed",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let descriptions: Vec<String> = failures
        .iter()
        .map(|r| outcome_description(&r.message))
        .collect();
    assert_eq!(failures.len(), 2, "{descriptions:?}");
    assert!(
        descriptions[0].starts_with("TLS handshake refused on the https listener: unknown_ca ("),
        "{descriptions:?}"
    );
    assert!(
        descriptions[1]
            .starts_with("TLS handshake refused on the https listener: no_certificate ("),
        "{descriptions:?}"
    );
    for r in &failures {
        assert_eq!(
            (r.event_id.as_str(), r.action.as_str(), r.outcome),
            ("110113", "E", 4)
        );
        assert_eq!(attrs(&r.message, "EventTypeCode", "csd-code"), ["110126"]);
        assert_eq!(
            attrs(&r.message, "ActiveParticipant", "UserID")[0],
            "127.0.0.1"
        );
        assert_eq!(
            attrs(&r.message, "ActiveParticipant", "NetworkAccessPointID")[0],
            "127.0.0.1"
        );
        validate_audit_xml(&r.message);
    }
    assert_eq!(
        metric(&hub, "renkei_audit_node_auth_suppressed_total").await,
        (FLOOD - 1) as f64
    );
    assert_eq!(
        metric(&hub, "renkei_audit_node_auth_dropped_total").await,
        0.0
    );
    hub.stop().await;
}

/// GET: status, the next-page header, the body.
async fn get(client: &reqwest::Client, url: &str) -> (u16, Option<String>, String) {
    let r = client.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let next = r
        .headers()
        .get("x-audit-next-after-seq")
        .map(|v| v.to_str().unwrap().to_string());
    (status, next, r.text().await.unwrap())
}

#[tokio::test]
async fn admin_audit_endpoints_page_through_what_the_cli_prints() {
    let hub = TestHub::start().await.unwrap();
    let (_op, admin) = operator(&hub).await;
    let pid = hub.add_patient("ADMAUD1").await.unwrap();
    let consumer = hub.client().unwrap();
    for _ in 0..5 {
        let reply = consumer
            .soap(
                "/xds/registry",
                QUERY,
                &fixtures::find_documents(&pid, "LeafClass"),
            )
            .await
            .unwrap();
        assert_eq!(reply.status, 200);
    }
    let base = &hub.base_url;
    let enc = |s: &str| s.replace('^', "%5E").replace('&', "%26");

    // Paged: 2 + 2 + 1, each full page naming the next.
    let mut lines = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut url = format!(
            "{base}/admin/audit/search?patient={}&event=ITI-18&limit=2",
            enc(&pid)
        );
        if let Some(a) = &after {
            url.push_str(&format!("&after_seq={a}"));
        }
        let (status, next, body) = get(&admin, &url).await;
        assert_eq!(status, 200, "{body}");
        lines.extend(body.lines().map(str::to_string));
        pages += 1;
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let cli = hub::audit_cli::search(
        &hub.hub.store,
        &hub.settings,
        &hub::audit_cli::SearchArgs {
            patient: Some(pid.clone()),
            transaction: Some("ITI-18".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(lines, cli.lines().collect::<Vec<_>>());
    assert_eq!(lines.len(), 5);

    // The patient report, by DICOM event id too, and as CSV.
    let (status, _, body) = get(
        &admin,
        &format!(
            "{base}/admin/audit/patient?patient={}&event=110112",
            enc(&pid)
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body, cli);
    let (status, _, csv) = get(
        &admin,
        &format!(
            "{base}/admin/audit/patient?patient={}&format=csv",
            enc(&pid)
        ),
    )
    .await;
    assert_eq!(status, 200);
    let cli_csv = hub::audit_cli::patient(
        &hub.hub.store,
        &hub.settings,
        &pid,
        None,
        hub::audit_cli::ReportFormat::Csv,
    )
    .await
    .unwrap();
    assert_eq!(csv, cli_csv);
    assert!(csv.starts_with("seq,time,transaction,"));

    // Bad requests say what to fix.
    for query in [
        "patient",
        "search?limit=0",
        "search?limit=100000",
        "search?format=xml",
        "search?since=yesterday",
        "search?patient=X%5E%5E%5E%269.9%26ISO",
        "search?colour=blue",
    ] {
        let (status, _, body) = get(&admin, &format!("{base}/admin/audit/{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.contains("\"error\""), "{body}");
    }
    // Only the operator.
    let clinic = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca_pem(&hub)).unwrap()])
        .identity(
            reqwest::Identity::from_pem(
                &[
                    std::fs::read(hub.client_dir.join("key.pem")).unwrap(),
                    std::fs::read(hub.client_dir.join("cert.pem")).unwrap(),
                ]
                .concat(),
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    for path in ["verify", "search", "patient?patient=x"] {
        let (status, _, _) = get(&clinic, &format!("{base}/admin/audit/{path}")).await;
        assert_eq!(status, 403, "{path}");
    }
    // Each refusal is audited (through the bounded refusal channel).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let denied: Vec<AuditRecord> = records(&hub, "access-denied")
            .await
            .into_iter()
            .filter(|r| r.facility.as_deref() == Some(hub.facility_oid.as_str()))
            .collect();
        if denied.len() == 3 {
            for r in &denied {
                assert_eq!((r.event_id.as_str(), r.outcome), ("110113", 4));
                assert!(outcome_description(&r.message).contains("/admin/audit/"));
            }
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} refusals audited",
            denied.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Verify: intact, then broken at the row edited in the database.
    let verify = |c: reqwest::Client| async move {
        let r = c
            .get(format!("{base}/admin/audit/verify"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        serde_json::from_str::<serde_json::Value>(&r.text().await.unwrap()).unwrap()
    };
    let v = verify(admin.clone()).await;
    assert_eq!(v["intact"], true, "{v}");
    assert_eq!(v["broken_seq"], serde_json::Value::Null);
    let head = v["head_seq"].as_i64().unwrap();
    assert_eq!(v["checked"].as_i64().unwrap(), head);
    hub.hub
        .store
        .write(|conn| {
            store::testing::execute_sql(
                conn,
                "UPDATE audit_log SET patient = 'SOMEONE^^^&1.2&ISO' WHERE seq = 3",
            )
        })
        .await
        .unwrap();
    let v = verify(admin.clone()).await;
    assert_eq!(v["intact"], false, "{v}");
    assert_eq!(v["broken_seq"], 3);
    assert!(
        v["report"].as_str().unwrap().contains("BROKEN at seq 3"),
        "{v}"
    );
    hub.stop().await;
}
