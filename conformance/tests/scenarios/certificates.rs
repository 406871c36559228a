//! Participant certificates and mutual TLS against the real hub, with real
//! certificates: refusals at the handshake (no certificate, foreign CA,
//! expired, chain too long, TLS 1.1), live revocation and suspension on new
//! and already-open connections, rollover, identity binding of submissions,
//! the operator's admin API, reloading the server certificate and CA bundle,
//! and the TLS metrics.

use crate::common::*;
use chrono::{TimeDelta, Utc};
use conformance::fixtures::{self, DocSpec, Submission};
use conformance::{HubClient, TestHub};
use ebrim::ResponseStatus;
use hub::certs::{self, KeyAlgorithm, OperatorCa, ParticipantSubject};
use hub::facility::{IssueOptions, IssuedBundle, OpsError, Participants};
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The issue's bound for revocation and suspension to take effect.
const ENFORCED_WITHIN: Duration = Duration::from_secs(5);
const OPERATOR_OID: &str = "1.2.392.200119.6.102.9000000001";
const HOSPITAL_OID: &str = "1.2.392.200119.6.102.1000000001";
/// A facility that is not the submitter (impersonation target).
const OTHER_OID: &str = "1.2.392.200119.6.102.9999999999";

fn participants(hub: &TestHub) -> Participants {
    Participants::new(hub.hub.store.clone(), &hub.settings.pki_dir())
}

fn ca_pem(hub: &TestHub) -> Vec<u8> {
    std::fs::read(hub.settings.pki_dir().join("ca.pem")).unwrap()
}

/// A participant client from PEM key and certificate chain.
fn client_with(hub: &TestHub, key_pem: &str, chain_pem: &str) -> HubClient {
    let identity = format!("{key_pem}\n{chain_pem}");
    HubClient::new(&hub.base_url, &ca_pem(hub), Some(identity.as_bytes())).unwrap()
}

fn client_of(hub: &TestHub, bundle: &IssuedBundle) -> HubClient {
    client_with(
        hub,
        bundle.private_key_pem.as_deref().unwrap(),
        &bundle.certificate_pem,
    )
}

/// A stored query: `Ok(200)` when served, `Ok(403)` when refused on an open
/// connection, `Err` when the TLS handshake itself is refused.
async fn query_status(client: &HubClient, hub: &TestHub) -> anyhow::Result<u16> {
    let body = fixtures::find_documents(&hub.patient("NOBODY"), "ObjectRef");
    Ok(client.soap("/xds/registry", QUERY, &body).await?.status)
}

/// Polls `check` until it returns true or `limit` passes; returns the time it took.
async fn within<F, Fut>(limit: Duration, mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() <= limit {
        if check().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// Admits a facility, issues its certificate and waits until the running hub
/// knows its kind (the hub refreshes from the database every 2 s).
async fn admitted(hub: &TestHub, oid: &str, name: &str, kind: &str) -> IssuedBundle {
    let registry = participants(hub);
    registry.add_facility(oid, name, kind).await.unwrap();
    let bundle = registry.issue(oid, &IssueOptions::default()).await.unwrap();
    let client = client_of(hub, &bundle);
    let known = within(ENFORCED_WITHIN, || async {
        // Any answer other than "not registered" means the kind is known.
        match client
            .soap("/xds/registry", QUERY, "<x/>")
            .await
            .map(|r| r.text())
        {
            Ok(text) => !text.contains("not registered"),
            Err(_) => false,
        }
    })
    .await;
    assert!(known.is_some(), "the hub did not learn facility {oid}");
    bundle
}

/// A JSON client for the admin API.
fn admin_http(hub: &TestHub, bundle: &IssuedBundle) -> reqwest::Client {
    let identity = format!(
        "{}\n{}",
        bundle.private_key_pem.as_deref().unwrap(),
        bundle.certificate_pem
    );
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca_pem(hub)).unwrap()])
        .identity(reqwest::Identity::from_pem(identity.as_bytes()).unwrap())
        .https_only(true)
        .build()
        .unwrap()
}

/// GET with the admin client: status and JSON body.
async fn get_json(client: &reqwest::Client, url: &str) -> (u16, serde_json::Value) {
    let r = client.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let bytes = r.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

/// POST a JSON body (or none): status and the body as text.
async fn post_json(
    client: &reqwest::Client,
    url: &str,
    body: Option<&serde_json::Value>,
) -> (u16, String) {
    let mut request = client.post(url);
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(serde_json::to_vec(body).unwrap());
    }
    let r = request.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

async fn metrics(hub: &TestHub) -> String {
    let url = format!("http://{}/metrics", hub.hub.ops_addr);
    reqwest::get(&url).await.unwrap().text().await.unwrap()
}

fn metric_value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn failures(text: &str, reason: &str) -> f64 {
    metric_value(
        text,
        &format!("renkei_tls_handshake_failures_total{{reason=\"{reason}\"}}"),
    )
    .unwrap_or_default()
}

fn subject(oid: &str) -> ParticipantSubject {
    ParticipantSubject {
        facility_oid: oid.into(),
        facility_name: "Demo Clinic".into(),
        common_name: "test".into(),
    }
}

/// A minimal TLS ClientHello offering `version` (no supported_versions extension).
fn client_hello(version: [u8; 2]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&version);
    body.extend_from_slice(&[0x11; 32]);
    body.push(0); // empty session id
    body.extend_from_slice(&[0x00, 0x04, 0xc0, 0x2b, 0xc0, 0x2f]); // two ECDHE-GCM suites
    body.extend_from_slice(&[0x01, 0x00]); // null compression
    let extensions = [
        0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03, 0x08, 0x04, // signature_algorithms
        0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17, // supported_groups
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, // ec_point_formats
        0x00, 0x17, 0x00, 0x00, // extended_master_secret
    ];
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

/// Sends a raw ClientHello to the live port; returns what the hub answered
/// before closing (or within 5 s).
async fn raw_hello(hub: &TestHub, version: [u8; 2]) -> Vec<u8> {
    let mut tcp = tokio::net::TcpStream::connect(hub.hub.https_addr)
        .await
        .unwrap();
    tcp.write_all(&client_hello(version)).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer)).await;
    answer
}

#[tokio::test]
async fn handshakes_without_a_valid_certificate_are_refused_and_counted() {
    let hub = TestHub::start().await.unwrap();
    let ca = ca_pem(&hub);

    // No client certificate.
    let anonymous = HubClient::new(&hub.base_url, &ca, None).unwrap();
    assert!(query_status(&anonymous, &hub).await.is_err());

    // A certificate for a registered facility, but from another CA.
    let foreign = OperatorCa::generate(KeyAlgorithm::EcdsaP256, "Some other CA", 365).unwrap();
    let forged = foreign
        .issue_participant(&subject(&hub.facility_oid), 30)
        .unwrap();
    let forger = client_with(&hub, forged.key_pem.as_deref().unwrap(), &forged.cert_pem);
    assert!(query_status(&forger, &hub).await.is_err());

    // Our CA, but expired yesterday (and one not valid until tomorrow).
    let ours = OperatorCa::load(&hub.settings.pki_dir()).unwrap();
    let now = Utc::now();
    for (from, to) in [
        (now - TimeDelta::days(10), now - TimeDelta::days(1)),
        (now + TimeDelta::days(1), now + TimeDelta::days(10)),
    ] {
        let c = ours
            .issue_participant_with_validity(&subject(&hub.facility_oid), from, to)
            .unwrap();
        let client = client_with(&hub, c.key_pem.as_deref().unwrap(), &c.cert_pem);
        assert!(query_status(&client, &hub).await.is_err(), "{from}..{to}");
    }

    // A valid certificate sent with a chain longer than policy (two extra certificates).
    let good = participants(&hub)
        .issue(&hub.facility_oid, &IssueOptions::default())
        .await
        .unwrap();
    let ca_text = String::from_utf8(ca.clone()).unwrap();
    let long_chain = format!("{}{ca_text}{ca_text}", good.certificate_pem);
    let chatty = client_with(&hub, good.private_key_pem.as_deref().unwrap(), &long_chain);
    assert!(query_status(&chatty, &hub).await.is_err());
    // Control: the same certificate alone is served.
    assert_eq!(
        query_status(&client_of(&hub, &good), &hub).await.unwrap(),
        200
    );

    // TLS 1.1 and 1.0 (rustls cannot speak them: a hand-made ClientHello).
    // The answer is a fatal alert, never a ServerHello.
    for version in [[0x03, 0x02], [0x03, 0x01]] {
        let answer = raw_hello(&hub, version).await;
        assert_eq!(
            answer.first(),
            Some(&0x15),
            "alert record expected: {answer:?}"
        );
        assert_eq!(answer.get(5), Some(&2), "fatal alert expected: {answer:?}");
        assert!(!answer.windows(2).any(|w| w == [0x16, 0x03]), "{answer:?}");
    }

    // Every refusal is counted by reason.
    let m = metrics(&hub).await;
    for (reason, at_least) in [
        ("no_certificate", 1.0),
        ("unknown_ca", 1.0),
        ("expired", 1.0),
        ("not_yet_valid", 1.0),
        ("chain_too_long", 1.0),
        ("protocol_version", 2.0),
    ] {
        assert!(failures(&m, reason) >= at_least, "{reason}:\n{m}");
    }
    hub.stop().await;
}

#[tokio::test]
async fn revocation_reaches_new_and_open_connections_within_five_seconds() {
    let hub = TestHub::start().await.unwrap();
    let registry = participants(&hub);
    let op = admitted(&hub, OPERATOR_OID, "Region operator", "operator").await;
    let admin = admin_http(&hub, &op);
    let tls_url = format!("{}/admin/tls", hub.base_url);
    let completed = |v: &serde_json::Value| v["handshakes_completed"].as_u64().unwrap();

    let cert = registry
        .issue(&hub.facility_oid, &IssueOptions::default())
        .await
        .unwrap();
    let clinic = client_of(&hub, &cert);
    assert_eq!(query_status(&clinic, &hub).await.unwrap(), 200);
    let (_, before) = get_json(&admin, &tls_url).await;

    // Revoked the way the CLI does it: in the database only, the running hub
    // learns it by itself.
    registry
        .revoke_serial(
            &cert.certificate.serial,
            certs::RevocationReason::KeyCompromise,
        )
        .await
        .unwrap();
    // The refusal arrives on the connection that is already open (a new
    // connection could not even complete its handshake): HTTP 403 naming the
    // reason, after which the hub closes that connection.
    let refusal = std::sync::Mutex::new(String::new());
    let refused = within(ENFORCED_WITHIN, || async {
        let body = fixtures::find_documents(&hub.patient("X"), "ObjectRef");
        match clinic.soap("/xds/registry", QUERY, &body).await {
            Ok(reply) if reply.status == 403 => {
                *refusal.lock().unwrap() = reply.text();
                true
            }
            Ok(_) => false,
            Err(e) => panic!("the open connection was dropped instead of refused: {e}"),
        }
    })
    .await;
    assert!(
        refused.is_some(),
        "the open connection was still served after 5 s"
    );
    let refusal = refusal.into_inner().unwrap();
    assert!(refusal.contains("revoked"), "{refusal}");
    let (_, after) = get_json(&admin, &tls_url).await;
    assert_eq!(
        completed(&after),
        completed(&before),
        "the client reconnected"
    );

    // A new connection with the revoked certificate fails in the handshake.
    assert!(query_status(&client_of(&hub, &cert), &hub).await.is_err());
    assert!(failures(&metrics(&hub).await, "revoked") >= 1.0);
    // The demo clinic's other certificate is untouched.
    assert_eq!(
        query_status(&hub.client().unwrap(), &hub).await.unwrap(),
        200
    );

    // The CRL lists the serial with the reason and verifies with the operator CA.
    let crl = registry.crl(7).await.unwrap();
    let ca = OperatorCa::load(&hub.settings.pki_dir()).unwrap();
    let summary = certs::parse_crl(&crl, ca.cert_der()).unwrap();
    assert!(summary.revoked_serials.contains(&cert.certificate.serial));
    hub.stop().await;
}

#[tokio::test]
async fn suspension_isolates_a_facility_until_it_is_reinstated() {
    let hub = TestHub::start().await.unwrap();
    let registry = participants(&hub);
    let hospital = admitted(&hub, HOSPITAL_OID, "Minato Hospital", "hospital").await;
    let clinic = hub.client().unwrap();
    let open = client_of(&hub, &hospital);
    assert_eq!(query_status(&open, &hub).await.unwrap(), 200);

    registry.set_suspended(HOSPITAL_OID, true).await.unwrap();
    let refused = within(ENFORCED_WITHIN, || async {
        query_status(&open, &hub).await.ok() == Some(403)
    })
    .await;
    assert!(
        refused.is_some(),
        "a suspended facility was still served after 5 s"
    );
    assert!(
        query_status(&client_of(&hub, &hospital), &hub)
            .await
            .is_err()
    );
    assert!(failures(&metrics(&hub).await, "facility_suspended") >= 1.0);
    // The rest of the region keeps working.
    assert_eq!(query_status(&clinic, &hub).await.unwrap(), 200);
    // No new certificate for a suspended facility.
    let err = registry
        .issue(HOSPITAL_OID, &IssueOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, OpsError::FacilitySuspended(_)), "{err}");

    registry.set_suspended(HOSPITAL_OID, false).await.unwrap();
    let back = within(ENFORCED_WITHIN, || async {
        query_status(&client_of(&hub, &hospital), &hub).await.ok() == Some(200)
    })
    .await;
    assert!(back.is_some(), "a reinstated facility was not served again");
    hub.stop().await;
}

#[tokio::test]
async fn rollover_overlaps_two_certificates_and_refuses_a_third() {
    let hub = TestHub::start().await.unwrap();
    let registry = participants(&hub);
    let hospital = admitted(&hub, HOSPITAL_OID, "Minato Hospital", "hospital").await;
    let successor = registry
        .issue(HOSPITAL_OID, &IssueOptions::default())
        .await
        .unwrap();
    assert_ne!(hospital.certificate.serial, successor.certificate.serial);
    assert_eq!(successor.certificate.facility_oid, HOSPITAL_OID);

    // Both work at the same time: the participant switches without downtime.
    let old = client_of(&hub, &hospital);
    let new = client_of(&hub, &successor);
    assert_eq!(query_status(&old, &hub).await.unwrap(), 200);
    assert_eq!(query_status(&new, &hub).await.unwrap(), 200);

    // A third valid certificate is refused, naming the two in service.
    let err = registry
        .issue(HOSPITAL_OID, &IssueOptions::default())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, OpsError::TooManyCertificates { .. }),
        "{text}"
    );
    assert!(text.contains(&hospital.certificate.serial), "{text}");

    // Retiring the old one ends it, the successor carries on, and a new
    // rollover becomes possible.
    registry
        .revoke_serial(
            &hospital.certificate.serial,
            certs::RevocationReason::Superseded,
        )
        .await
        .unwrap();
    let ended = within(ENFORCED_WITHIN, || async {
        query_status(&old, &hub).await.ok() == Some(403)
    })
    .await;
    assert!(ended.is_some());
    assert_eq!(query_status(&new, &hub).await.unwrap(), 200);
    registry
        .issue(HOSPITAL_OID, &IssueOptions::default())
        .await
        .unwrap();
    let listed = registry.certificates(Some(HOSPITAL_OID)).await.unwrap();
    assert_eq!(listed.len(), 3);
    hub.stop().await;
}

fn registered(hub: &TestHub, content: &[u8]) -> DocSpec {
    let mut d = DocSpec::referral("Document01", &hub.facility_oid, content);
    d.registry_fields = Some(hub.settings.repository_unique_id.clone());
    d
}

async fn register_xml(client: &HubClient, xml: &str) -> ebrim::parse::RegistryResponse {
    registry_response(&client.soap("/xds/registry", REGISTER, xml).await.unwrap())
}

#[tokio::test]
async fn a_facility_cannot_submit_as_another_one() {
    let hub = TestHub::start().await.unwrap();
    let pid = hub.add_patient("SPOOF1").await.unwrap();
    let clinic = hub.client().unwrap();

    // SubmissionSet sourceId (and its author institution) naming another facility.
    let sub = Submission::new(&pid, OTHER_OID).with(registered(&hub, b"a"));
    let r = register_xml(&clinic, &sub.submit_objects_xml()).await;
    assert_eq!(r.status, ResponseStatus::Failure);
    assert!(
        codes(&r.errors)
            .iter()
            .all(|c| c == "XDSRegistryMetadataError"),
        "{:?}",
        r.errors
    );
    assert!(
        r.errors
            .iter()
            .any(|e| e.context.contains("sourceId") && e.context.contains(OTHER_OID)),
        "{:?}",
        r.errors
    );

    // A DocumentEntry claiming to be authored by another facility, written
    // the Japanese way (assigning authority + medical institution code).
    let mut doc = registered(&hub, b"b");
    doc.author_institution = "Other Hospital^^^^^&1.2.392.200119.6.102&ISO^^^^9999999999".into();
    let sub = Submission::new(&pid, &hub.facility_oid).with(doc);
    let r = register_xml(&clinic, &sub.submit_objects_xml()).await;
    assert_eq!(r.status, ResponseStatus::Failure);
    assert!(
        r.errors.iter().any(|e| e.context.contains(OTHER_OID)),
        "{:?}",
        r.errors
    );

    // The same through ITI-41: refused, and nothing was stored.
    let mut doc = DocSpec::referral("Document01", &hub.facility_oid, b"c");
    doc.unique_id = fixtures::new_oid();
    let (body, attachments) = Submission::new(&pid, OTHER_OID)
        .with(doc)
        .provide_and_register_xml(true);
    let reply = clinic
        .mtom("/xds/repository", PNR, &body, &attachments)
        .await
        .unwrap();
    let r = registry_response(&reply);
    assert_eq!(r.status, ResponseStatus::Failure);
    assert!(!r.errors.is_empty());
    assert!(
        codes(&r.errors)
            .iter()
            .all(|c| c == "XDSRegistryMetadataError"),
        "{:?}",
        r.errors
    );
    assert_eq!(stored_entry_count(&hub, &pid).await, 0);

    // Speaking as itself (or a department arc under its OID) is accepted, and
    // the registry records the certificate's facility as submitter.
    let doc = registered(&hub, b"d");
    let unique_id = doc.unique_id.clone();
    let sub = Submission::new(&pid, &format!("{}.7", hub.facility_oid)).with(doc);
    let r = register_xml(&clinic, &sub.submit_objects_xml()).await;
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);
    let rows = hub
        .hub
        .store
        .read(move |conn| store::objects_by_unique_ids(conn, None, &[unique_id]))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].submitter, hub.facility_oid);
    hub.stop().await;
}

#[tokio::test]
async fn policy_can_let_a_gateway_submit_for_others_and_restrict_kinds() {
    const GATEWAY_OID: &str = "1.2.392.200119.6.102.8000000001";
    const PHARMACY_OID: &str = "1.2.392.200119.6.102.7000000001";
    let hub = TestHub::start_with(|s| {
        use hub::policy::{FacilityKind, Permission, Policy, PolicyFile};
        let file = PolicyFile {
            transactions: [(
                FacilityKind::Pharmacy,
                [Permission::Query, Permission::Retrieve].into(),
            )]
            .into(),
            ..PolicyFile::default()
        };
        s.policy = Policy::from_file(&file).unwrap();
        s.policy
            .allow_on_behalf_of(GATEWAY_OID, &["1.2.392.200119.6.102"]);
    })
    .await
    .unwrap();
    let pid = hub.add_patient("GW1").await.unwrap();
    let gateway = admitted(&hub, GATEWAY_OID, "Regional gateway", "hospital").await;
    let gateway = client_of(&hub, &gateway);
    let for_other = |content: &[u8]| {
        let mut d = registered(&hub, content);
        d.author_institution = "Other Hospital^^^^^&1.2.392.200119.6.102&ISO^^^^9999999999".into();
        d
    };

    let sub = Submission::new(&pid, OTHER_OID).with(for_other(b"g"));
    let r = register_xml(&gateway, &sub.submit_objects_xml()).await;
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);
    // Outside the allowed arc it is refused like anyone else.
    let sub = Submission::new(&pid, "2.25.42").with(for_other(b"h"));
    let r = register_xml(&gateway, &sub.submit_objects_xml()).await;
    assert_eq!(r.status, ResponseStatus::Failure);

    // A pharmacy configured for query/retrieve only may query but not submit.
    let pharmacy = admitted(&hub, PHARMACY_OID, "Ekimae Pharmacy", "pharmacy").await;
    let pharmacy = client_of(&hub, &pharmacy);
    assert_eq!(query_status(&pharmacy, &hub).await.unwrap(), 200);
    let sub = Submission::new(&pid, PHARMACY_OID).with(registered(&hub, b"p"));
    let reply = pharmacy
        .soap("/xds/registry", REGISTER, &sub.submit_objects_xml())
        .await
        .unwrap();
    assert_eq!(reply.status, 403);
    assert!(reply.text().contains("pharmacy"), "{}", reply.text());

    // The operator administers; it does not exchange documents.
    let op = admitted(&hub, OPERATOR_OID, "Region operator", "operator").await;
    let reply = client_of(&hub, &op)
        .soap("/xds/registry", QUERY, "<x/>")
        .await
        .unwrap();
    assert_eq!(reply.status, 403);
    hub.stop().await;
}

fn csr(name: &str) -> String {
    let path = format!("{}/../certs/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test]
async fn operator_admin_api_admits_issues_signs_and_revokes() {
    use serde_json::json as j;
    let hub = TestHub::start().await.unwrap();
    let op = admitted(&hub, OPERATOR_OID, "Region operator", "operator").await;
    let admin = admin_http(&hub, &op);
    let url = |p: &str| format!("{}/admin{p}", hub.base_url);

    // Only the operator gets in; others get a JSON refusal.
    let demo_identity = [
        std::fs::read(hub.client_dir.join("key.pem")).unwrap(),
        std::fs::read(hub.client_dir.join("cert.pem")).unwrap(),
    ]
    .concat();
    let clinic = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca_pem(&hub)).unwrap()])
        .identity(reqwest::Identity::from_pem(&demo_identity).unwrap())
        .build()
        .unwrap();
    let (status, body) = get_json(&clinic, &url("/facilities")).await;
    assert_eq!(status, 403);
    assert!(body["error"].as_str().unwrap().contains("clinic"), "{body}");
    // Percent-encoding the path does not get around the check.
    let sneaky = format!("{}/%61dmin/facilities", hub.base_url);
    assert_eq!(get_json(&clinic, &sneaky).await.0, 403);
    let (status, doc) = get_json(&admin, &url("/openapi.json")).await;
    assert_eq!(status, 200);
    assert!(doc["paths"]["/admin/facilities"].is_object());

    // Admit, with the errors an operator can make.
    let hospital = j!({"oid": HOSPITAL_OID, "name": "Minato Hospital", "kind": "hospital"});
    let (status, text) = post_json(&admin, &url("/facilities"), Some(&hospital)).await;
    assert_eq!(status, 201, "{text}");
    assert_eq!(json(&text)["status"], "active");
    let (status, _) = post_json(&admin, &url("/facilities"), Some(&hospital)).await;
    assert_eq!(status, 409);
    for (bad, hint) in [
        (
            j!({"oid": "1.2.x", "name": "A", "kind": "clinic"}),
            "dotted decimal",
        ),
        (
            j!({"oid": "1.2.3", "name": "A", "kind": "dentist"}),
            "care-facility",
        ),
        (
            j!({"oid": "1.2.3", "name": "x".repeat(65), "kind": "clinic"}),
            "64",
        ),
        (j!({"oid": "1.2.3"}), "JSON"),
    ] {
        let (status, text) = post_json(&admin, &url("/facilities"), Some(&bad)).await;
        assert_eq!(status, 400, "{bad}");
        assert!(
            json(&text)["error"].as_str().unwrap().contains(hint),
            "{text}"
        );
    }

    // Issue with a generated key; the certificate works for that facility.
    let issue_url = url(&format!("/facilities/{HOSPITAL_OID}/certificates"));
    let (status, text) =
        post_json(&admin, &issue_url, Some(&j!({"common_name": "地域連携室"}))).await;
    assert_eq!(status, 201, "{text}");
    let issued = json(&text);
    let serial = issued["certificate"]["serial"]
        .as_str()
        .unwrap()
        .to_string();
    let hospital_client = client_with(
        &hub,
        issued["private_key_pem"].as_str().unwrap(),
        issued["certificate_pem"].as_str().unwrap(),
    );
    let served = within(ENFORCED_WITHIN, || async {
        query_status(&hospital_client, &hub).await.ok() == Some(200)
    })
    .await;
    assert!(served.is_some());

    // Bad CSRs and bad targets are refused with a reason; nothing is recorded.
    let before = participants(&hub).certificates(None).await.unwrap().len();
    let garbage = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
    for (target, body, status, hint) in [
        (
            HOSPITAL_OID,
            j!({"csr_pem": csr("csr-rsa1024.pem")}),
            400,
            "2048",
        ),
        (
            HOSPITAL_OID,
            j!({"csr_pem": csr("csr-secp256k1.pem")}),
            400,
            "unsupported",
        ),
        (
            HOSPITAL_OID,
            j!({"csr_pem": csr("csr-rsa2048-sha1.pem")}),
            400,
            "sha",
        ),
        (HOSPITAL_OID, j!({"csr_pem": garbage}), 400, "request"),
        (
            OTHER_OID,
            j!({"csr_pem": csr("csr-rsa2048-openssl.pem")}),
            404,
            "not registered",
        ),
        (HOSPITAL_OID, j!({"validity_days": 4000}), 400, "825"),
        (HOSPITAL_OID, j!({"colour": "blue"}), 400, "JSON"),
    ] {
        let target_url = url(&format!("/facilities/{target}/certificates"));
        let (got, text) = post_json(&admin, &target_url, Some(&body)).await;
        assert_eq!(got, status, "{body}: {text}");
        assert!(
            text.to_lowercase().contains(&hint.to_lowercase()),
            "{body}: {text}"
        );
    }
    assert_eq!(
        participants(&hub).certificates(None).await.unwrap().len(),
        before
    );

    // Sign a CSR: the participant keeps its key, so none comes back.
    let csr_body = j!({"csr_pem": csr("csr-rsa2048-openssl.pem")});
    let (status, text) = post_json(&admin, &issue_url, Some(&csr_body)).await;
    assert_eq!(status, 201, "{text}");
    let signed = json(&text);
    assert!(signed.get("private_key_pem").is_none());
    assert!(
        signed["certificate_pem"]
            .as_str()
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
    // Two valid certificates now: a third waits for a revocation.
    let (status, text) = post_json(&admin, &issue_url, None).await;
    assert_eq!(status, 409, "{text}");
    assert!(text.contains("revoke"), "{text}");

    // Expiry report and listing.
    let (_, soon) = get_json(&admin, &url("/certificates?expiring_within_days=3650")).await;
    assert!(
        soon.as_array()
            .unwrap()
            .iter()
            .any(|c| c["serial"] == serial.as_str())
    );
    let (_, listed) = get_json(
        &admin,
        &url(&format!("/certificates?facility={HOSPITAL_OID}")),
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 2);

    // Revocation through the API is enforced on the open connection.
    let revoke_url = url(&format!("/certificates/{serial}/revoke"));
    let (status, text) =
        post_json(&admin, &revoke_url, Some(&j!({"reason": "key-compromise"}))).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(json(&text)["status"], "revoked");
    let refused = within(ENFORCED_WITHIN, || async {
        query_status(&hospital_client, &hub).await.ok() == Some(403)
    })
    .await;
    assert!(refused.is_some());
    let (status, _) = post_json(&admin, &revoke_url, None).await;
    assert_eq!(status, 409, "second revocation");
    let (status, _) = post_json(&admin, &revoke_url, Some(&j!({"reason": "stolen"}))).await;
    assert_eq!(status, 400);
    let own = url(&format!("/certificates/{}/revoke", op.certificate.serial));
    let (status, _) = post_json(&admin, &own, None).await;
    assert_eq!(status, 409, "the operator must not lock itself out");

    // Suspend and reinstate through the API.
    let (status, _) = post_json(
        &admin,
        &url(&format!("/facilities/{}/suspend", hub.facility_oid)),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let isolated = within(ENFORCED_WITHIN, || async {
        query_status(&hub.client().unwrap(), &hub).await.is_err()
    })
    .await;
    assert!(isolated.is_some());
    let (status, _) = post_json(
        &admin,
        &url(&format!("/facilities/{}/reinstate", hub.facility_oid)),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let back = within(ENFORCED_WITHIN, || async {
        query_status(&hub.client().unwrap(), &hub).await.ok() == Some(200)
    })
    .await;
    assert!(back.is_some());

    // The CRL is served as PEM and lists the revoked serial.
    let crl = admin
        .get(url("/crl"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ca = OperatorCa::load(&hub.settings.pki_dir()).unwrap();
    assert!(
        certs::parse_crl(&crl, ca.cert_der())
            .unwrap()
            .revoked_serials
            .contains(&serial)
    );

    // Facility detail shows both certificates with their status.
    let (_, detail) = get_json(&admin, &url(&format!("/facilities/{HOSPITAL_OID}"))).await;
    let statuses: Vec<&str> = detail["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["revoked", "valid"]);

    // TLS status for the operator.
    let (_, tls) = get_json(&admin, &url("/tls")).await;
    assert_eq!(tls["trusted_ca_certificates"], 1);
    assert!(tls["server_certificate_serial"].is_string());
    hub.stop().await;
}

/// The certificate the hub presents on a new connection (DER).
async fn presented_certificate(hub: &TestHub) -> Vec<u8> {
    let identity = [
        std::fs::read(hub.client_dir.join("key.pem")).unwrap(),
        std::fs::read(hub.client_dir.join("cert.pem")).unwrap(),
    ]
    .concat();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca_pem(hub)).unwrap()])
        .identity(reqwest::Identity::from_pem(&identity).unwrap())
        .tls_info(true)
        .build()
        .unwrap();
    let response = client
        .post(format!("{}/xds/registry", hub.base_url))
        .send()
        .await
        .unwrap();
    response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn server_certificate_and_ca_bundle_are_replaced_without_restart() {
    let hub = TestHub::start().await.unwrap();
    let pki = hub.settings.pki_dir();
    let ca = OperatorCa::load(&pki).unwrap();
    let first = presented_certificate(&hub).await;

    // A broken file is not taken into service; the old certificate stays.
    std::fs::write(pki.join("server.pem"), "not a certificate").unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(presented_certificate(&hub).await, first);

    // What `renkei certs server` does: a new pair written into the data dir.
    let next = ca
        .issue_server(
            &["localhost".to_string()],
            &["127.0.0.1".parse().unwrap()],
            30,
        )
        .unwrap();
    let write = |name: &str, text: &str, mode: u32| {
        certs::write_file_atomically(
            &pki.join(name),
            text.as_bytes(),
            mode,
            certs::WriteMode::Replace,
        )
        .unwrap()
    };
    write(
        "server-key.pem",
        next.key_pem.as_deref().unwrap(),
        certs::PRIVATE_FILE_MODE,
    );
    write("server.pem", &next.cert_pem, certs::PUBLIC_FILE_MODE);
    let expected = certs::certs_from_pem(&next.cert_pem).unwrap()[0].to_vec();
    let switched = within(Duration::from_secs(10), || async {
        presented_certificate(&hub).await == expected
    })
    .await;
    assert!(
        switched.is_some(),
        "the new server certificate was not served"
    );

    // CA rollover: a participant certificate from a new CA is refused until
    // the new CA joins the trusted bundle, then accepted.
    let next_ca = OperatorCa::generate(KeyAlgorithm::Rsa3072, "renkei operator CA 2", 365).unwrap();
    let c = next_ca
        .issue_participant(&subject(&hub.facility_oid), 30)
        .unwrap();
    let client = client_with(&hub, c.key_pem.as_deref().unwrap(), &c.cert_pem);
    assert!(query_status(&client, &hub).await.is_err());
    let bundle = format!("{}{}", ca.cert_pem(), next_ca.cert_pem());
    write("ca.pem", &bundle, certs::PUBLIC_FILE_MODE);
    let trusted = within(Duration::from_secs(10), || async {
        query_status(&client, &hub).await.ok() == Some(200)
    })
    .await;
    assert!(
        trusted.is_some(),
        "the new CA was not trusted after the bundle changed"
    );
    // Certificates of the first CA still work during the rollover.
    assert_eq!(
        query_status(&hub.client().unwrap(), &hub).await.unwrap(),
        200
    );
    hub.stop().await;
}

#[tokio::test]
async fn metrics_report_days_until_certificates_expire() {
    let hub = TestHub::start().await.unwrap();
    let m = metrics(&hub).await;
    let server = metric_value(&m, "renkei_server_certificate_expiry_days").unwrap();
    assert!(server > 700.0 && server < 826.0, "{server}");
    let serial = participants(&hub)
        .certificates(Some(&hub.facility_oid))
        .await
        .unwrap()[0]
        .serial
        .clone();
    let series = format!(
        "renkei_participant_certificate_expiry_days{{facility=\"{}\",serial=\"{serial}\"}}",
        hub.facility_oid
    );
    let days = metric_value(&m, &series).unwrap_or_else(|| panic!("{series} missing:\n{m}"));
    assert!(days > 700.0, "{days}");
    hub.stop().await;
}
