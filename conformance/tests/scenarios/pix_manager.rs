//! PIX Manager over MLLP/TLS against the real hub: the MESA PIX scenarios,
//! the issue's cross-facility feed → query → merge → retrieve flow, malformed
//! HL7, Japanese names in ISO-2022-JP and ITI-10 notifications.

use crate::common::*;
use conformance::TestHub;
use conformance::fixtures::{self, DocSpec, Submission};
use conformance::mllp::{MllpClient, MllpReceiver, segment};
use ebrim::ResponseStatus;
use hub::facility::{IssueOptions, Participants};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// MESA domain 1 and 2 (SCENARIOS.md), admitted as facilities.
const MESA_D1: &str = "1.3.6.1.4.1.21367.2005.1.1";
const MESA_D2: &str = "1.3.6.1.4.1.21367.2005.1.2";

/// A facility's TLS identity (PEM).
struct Identity {
    key: String,
    cert: String,
    ca: String,
}

/// Admits a facility, issues its certificate, and waits until the running
/// hub knows it (facility kinds are refreshed every 2 s).
async fn admit(hub: &TestHub, oid: &str, kind: &str) -> Identity {
    let registry = Participants::new(hub.hub.store.clone(), &hub.settings.pki_dir());
    registry
        .add_facility(oid, &format!("Facility {oid}"), kind)
        .await
        .unwrap();
    let bundle = registry.issue(oid, &IssueOptions::default()).await.unwrap();
    let identity = Identity {
        key: bundle.private_key_pem.unwrap(),
        cert: bundle.certificate_pem,
        ca: bundle.ca_pem,
    };
    let mut client = connect(hub, &identity).await;
    let start = Instant::now();
    loop {
        let reply = client
            .send(&qbp("WAIT", &format!("X^^^&{oid}&ISO"), ""))
            .await
            .unwrap();
        if msa(&reply).0 != "AR" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "facility never became known"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    identity
}

async fn connect(hub: &TestHub, id: &Identity) -> MllpClient {
    MllpClient::connect(hub.hub.mllp_addr, &id.ca, &id.cert, &id.key)
        .await
        .unwrap()
}

/// The demo clinic (a care facility in these scenarios) as PIX consumer.
async fn demo(hub: &TestHub) -> MllpClient {
    MllpClient::connect_dir(hub.hub.mllp_addr, &hub.client_dir)
        .await
        .unwrap()
}

fn mesa(test: &str, file: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/pix/mesa")
        .join(test)
        .join(format!("{test}.{file}.hl7"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// ADT^<trigger> (v2.3.1) with PID-3 `pid3` and PID-5 `name`.
fn adt(trigger: &str, control: &str, pid3: &str, name: &str) -> Vec<u8> {
    format!(
        "MSH|^~\\&|ADT|SRC|RENKEI|HUB|20261204120000||ADT^{trigger}^ADT_A01|{control}|P|2.3.1\r\
         EVN|{trigger}|20261204120000\r\
         PID|||{pid3}||{name}||19500101|F|||1-1 Chuo^^Sendai^Miyagi^9800001\r\
         PV1||O\r"
    )
    .into_bytes()
}

/// ADT^A40 (v2.5): `subsumed` merged into `surviving`.
fn a40(control: &str, surviving: &str, subsumed: &str) -> Vec<u8> {
    format!(
        "MSH|^~\\&|ADT|SRC|RENKEI|HUB|20261204120000||ADT^A40^ADT_A39|{control}|P|2.5\r\
         EVN|A40|20261204120000\r\
         PID|||{surviving}||MERGED^PATIENT\r\
         MRG|{subsumed}\r"
    )
    .into_bytes()
}

/// QBP^Q23 for `id`, QPD-4 = `domains` (empty = all).
fn qbp(control: &str, id: &str, domains: &str) -> Vec<u8> {
    format!(
        "MSH|^~\\&|CONSUMER|C|RENKEI|HUB|20261204120000||QBP^Q23^QBP_Q21|{control}|P|2.5\r\
         QPD|IHE PIX Query|Q{control}|{id}|{domains}\r\
         RCP|I\r"
    )
    .into_bytes()
}

/// MSA-1 and MSA-2.
fn msa(reply: &[u8]) -> (String, String) {
    let msa = segment(reply, "MSA")
        .unwrap_or_else(|| panic!("no MSA in {}", String::from_utf8_lossy(reply)));
    (msa[1].clone(), msa.get(2).cloned().unwrap_or_default())
}

/// QAK-2.
fn qak(reply: &[u8]) -> String {
    segment(reply, "QAK").unwrap()[2].clone()
}

/// ERR-2 and ERR-3 code.
fn err(reply: &[u8]) -> (String, String) {
    let e = segment(reply, "ERR")
        .unwrap_or_else(|| panic!("no ERR in {}", String::from_utf8_lossy(reply)));
    let code = e
        .get(3)
        .map(|c| c.split('^').next().unwrap_or_default().to_string())
        .unwrap_or_default();
    (e.get(2).cloned().unwrap_or_default(), code)
}

/// PID-3 of an RSP^K23 as (id, authority OID) pairs.
fn pid3(reply: &[u8]) -> Vec<(String, String)> {
    let Some(pid) = segment(reply, "PID") else {
        return Vec::new();
    };
    pid[3]
        .split('~')
        .map(|cx| {
            let c: Vec<&str> = cx.split('^').collect();
            let oid = c
                .get(3)
                .and_then(|hd| hd.split('&').nth(1))
                .unwrap_or_default();
            (c[0].to_string(), oid.to_string())
        })
        .collect()
}

fn cx(id: &str, oid: &str) -> String {
    format!("{id}^^^&{oid}&ISO")
}

fn aa(reply: &[u8]) {
    assert_eq!(
        msa(reply).0,
        "AA",
        "reply: {}",
        String::from_utf8_lossy(reply)
    );
}

/// The regional id the hub gave `local` (asked as PIX consumer `client`).
async fn regional_of(hub: &TestHub, client: &mut MllpClient, local: &str) -> String {
    let aff = hub.settings.affinity_domain.clone();
    let reply = client
        .send(&qbp("R", local, &format!("^^^&{aff}&ISO")))
        .await
        .unwrap();
    aa(&reply);
    let ids = pid3(&reply);
    assert_eq!(ids.len(), 1, "one regional id: {ids:?}");
    assert_eq!(ids[0].1, aff);
    cx(&ids[0].0, &aff)
}

async fn mesa_sources(hub: &TestHub) -> (MllpClient, MllpClient) {
    let d1 = admit(hub, MESA_D1, "hospital").await;
    let d2 = admit(hub, MESA_D2, "clinic").await;
    (connect(hub, &d1).await, connect(hub, &d2).await)
}

/// MESA 10501 (A04) and 10511 (A01): the same person fed in two domains,
/// another person in domain 1. MESA links by demographics; renkei does not,
/// so the test performs the operator link (`renkei patient link`) that an
/// operator would after the duplicates report.
#[tokio::test]
async fn mesa_10501_and_10511_query_returns_the_other_domains_id_after_the_operator_link() {
    for (test, trigger) in [("10501", "A04"), ("10511", "A01")] {
        let hub = TestHub::start().await.unwrap();
        let (mut d1, mut d2) = mesa_sources(&hub).await;
        let msgs = [
            mesa("10501", "102.a04"),
            mesa("10501", "104.a04"),
            mesa("10501", "106.a04"),
        ];
        for (i, m) in msgs.iter().enumerate() {
            let m = String::from_utf8(m.clone())
                .unwrap()
                .replace("ADT^A04", &format!("ADT^{trigger}"));
            let client = if i == 2 { &mut d2 } else { &mut d1 };
            let reply = client.send(m.as_bytes()).await.unwrap();
            aa(&reply);
            assert!(
                msa(&reply).1.starts_with("10501"),
                "{test}: MSA-2 echoes MSH-10"
            );
        }
        let dupes = hub.hub.pix.possible_duplicates().await.unwrap();
        assert_eq!(
            dupes.len(),
            1,
            "{test}: ALPHA^ALAN in two persons is reported: {dupes:?}"
        );
        hub.hub
            .pix
            .link(
                hub::audit::Requestor::operator_cli(),
                pix::PatientIdentifier::new(MESA_D1, "PIX10501"),
                pix::PatientIdentifier::new(MESA_D2, "XYZ10501"),
            )
            .await
            .unwrap();

        let mut consumer = demo(&hub).await;
        let reply = consumer.send(&mesa("10501", "108.q23")).await.unwrap();
        aa(&reply);
        assert_eq!(qak(&reply), "OK");
        let ids = pid3(&reply);
        assert!(
            ids.contains(&("XYZ10501".into(), MESA_D2.into())),
            "{test}: {ids:?}"
        );
        assert!(
            !ids.iter().any(|(id, _)| id == "PIX10501"),
            "the queried id is not returned"
        );
        // Besides domain 2, only the regional id (the hub's own domain).
        assert!(
            ids.iter()
                .all(|(_, oid)| oid == MESA_D2 || *oid == hub.settings.affinity_domain)
        );
        // Asking for domain 2 only gives exactly MESA's expected PID-3.
        let reply = consumer
            .send(&qbp(
                "108b",
                &cx("PIX10501", MESA_D1),
                &format!("^^^&{MESA_D2}&ISO"),
            ))
            .await
            .unwrap();
        assert_eq!(
            pid3(&reply),
            vec![("XYZ10501".to_string(), MESA_D2.to_string())]
        );

        // 110: SIMPSON is known but has no id in another facility's domain.
        let reply = consumer
            .send(&qbp(
                "110",
                &cx("ABC10501", MESA_D1),
                &format!("^^^&{MESA_D2}&ISO"),
            ))
            .await
            .unwrap();
        aa(&reply);
        assert_eq!(qak(&reply), "NF");
        assert!(segment(&reply, "PID").is_none(), "NF has no PID segment");
        hub.stop().await;
    }
}

#[tokio::test]
async fn mesa_10502_unknown_id_is_ae_with_err_qpd_3_1_and_204() {
    let hub = TestHub::start().await.unwrap();
    let (mut d1, _) = mesa_sources(&hub).await;
    aa(&d1.send(&mesa("10502", "102.a04")).await.unwrap());
    aa(&d1.send(&mesa("10502", "104.a04")).await.unwrap());
    let reply = demo(&hub)
        .await
        .send(&mesa("10502", "106.q23"))
        .await
        .unwrap();
    assert_eq!(msa(&reply).0, "AE");
    assert_eq!(qak(&reply), "AE");
    let (location, code) = err(&reply);
    assert_eq!(location, "QPD^1^3^1^1");
    assert_eq!(code, "204");
    assert!(segment(&reply, "PID").is_none());
    hub.stop().await;
}

#[tokio::test]
async fn mesa_10503_unknown_assigning_authority_is_ae_with_err_qpd_3_1_4_and_204() {
    let hub = TestHub::start().await.unwrap();
    let reply = demo(&hub)
        .await
        .send(&mesa("10503", "102.q23"))
        .await
        .unwrap();
    assert_eq!(msa(&reply).0, "AE");
    assert_eq!(qak(&reply), "AE");
    assert_eq!(err(&reply), ("QPD^1^3^1^4".to_string(), "204".to_string()));
    // An unknown domain in QPD-4 likewise.
    let (mut d1, _) = mesa_sources(&hub).await;
    aa(&d1.send(&mesa("10502", "102.a04")).await.unwrap());
    let reply = demo(&hub)
        .await
        .send(&qbp("q4", &cx("PIX10502", MESA_D1), "^^^&1.2.3.4.5.6&ISO"))
        .await
        .unwrap();
    assert_eq!(msa(&reply).0, "AE");
    let (location, code) = err(&reply);
    assert!(location.starts_with("QPD^1^4"), "{location}");
    assert_eq!(code, "204");
    hub.stop().await;
}

/// MESA 10506: different demographics → no link (NF); after the A08 the
/// demographics agree, which MESA links on. renkei never relinks on an A08:
/// the operator links (prompted by the duplicates report), then OK.
#[tokio::test]
async fn mesa_10506_update_changes_demographics_and_the_operator_link_makes_the_query_ok() {
    let hub = TestHub::start().await.unwrap();
    let (mut d1, mut d2) = mesa_sources(&hub).await;
    aa(&d1.send(&mesa("10506", "102.a04")).await.unwrap());
    aa(&d2.send(&mesa("10506", "104.a04")).await.unwrap());
    let mut consumer = demo(&hub).await;
    let only_d2 = format!("^^^&{MESA_D2}&ISO");
    let reply = consumer
        .send(&qbp("106", &cx("PIX10506", MESA_D1), &only_d2))
        .await
        .unwrap();
    aa(&reply);
    assert_eq!(qak(&reply), "NF");
    assert!(hub.hub.pix.possible_duplicates().await.unwrap().is_empty());

    aa(&d2.send(&mesa("10506", "108.a08")).await.unwrap());
    let reply = consumer
        .send(&qbp("107", &cx("PIX10506", MESA_D1), &only_d2))
        .await
        .unwrap();
    assert_eq!(qak(&reply), "NF", "an A08 never links by itself");
    let shown = hub
        .hub
        .pix
        .show(pix::PatientIdentifier::new(MESA_D2, "ABC10506"))
        .await
        .unwrap();
    let updated = shown
        .identifiers
        .iter()
        .find(|i| i.id == "ABC10506")
        .unwrap();
    assert_eq!(updated.demographics.family.as_deref(), Some("TAU"));
    assert_eq!(hub.hub.pix.possible_duplicates().await.unwrap().len(), 1);

    hub.hub
        .pix
        .link(
            hub::audit::Requestor::operator_cli(),
            pix::PatientIdentifier::new(MESA_D1, "PIX10506"),
            pix::PatientIdentifier::new(MESA_D2, "ABC10506"),
        )
        .await
        .unwrap();
    let reply = consumer.send(&mesa("10506", "110.q23")).await.unwrap();
    aa(&reply);
    assert_eq!(qak(&reply), "OK");
    assert!(pid3(&reply).contains(&("ABC10506".into(), MESA_D2.into())));
    hub.stop().await;
}

/// MESA 10515: WASHINGTON fed in both domains (linked by the operator),
/// LINCOLN in domain 1, then the domain-1 source's A40 merges PIX10515W into PIX10515L: the
/// domain-2 id now cross-references the survivor only.
#[tokio::test]
async fn mesa_10515_merge_moves_the_link_to_the_surviving_id() {
    let hub = TestHub::start().await.unwrap();
    let (mut d1, mut d2) = mesa_sources(&hub).await;
    aa(&d1.send(&mesa("10515", "102.a04")).await.unwrap());
    aa(&d1.send(&mesa("10515", "104.a04")).await.unwrap());
    aa(&d2.send(&mesa("10515", "106.a04")).await.unwrap());
    hub.hub
        .pix
        .link(
            hub::audit::Requestor::operator_cli(),
            pix::PatientIdentifier::new(MESA_D1, "PIX10515W"),
            pix::PatientIdentifier::new(MESA_D2, "XYZ10515W"),
        )
        .await
        .unwrap();
    let reply = d1.send(&mesa("10515", "108.a40")).await.unwrap();
    aa(&reply);
    let reply = demo(&hub)
        .await
        .send(&mesa("10515", "120.q23"))
        .await
        .unwrap();
    aa(&reply);
    assert_eq!(qak(&reply), "OK");
    let d1_ids: Vec<_> = pid3(&reply)
        .into_iter()
        .filter(|(_, oid)| oid == MESA_D1)
        .collect();
    assert_eq!(d1_ids, vec![("PIX10515L".to_string(), MESA_D1.to_string())]);
    // The subsumed id is retired: querying it is "unknown id".
    let reply = demo(&hub)
        .await
        .send(&qbp("121", &cx("PIX10515W", MESA_D1), ""))
        .await
        .unwrap();
    assert_eq!(msa(&reply).0, "AE");
    hub.stop().await;
}

/// The issue's flow: hospital A and clinic B feed their local ids for one
/// person (B links through the regional id), care facility C queries PIX,
/// documents are registered under the regional ids of two persons that A
/// then merges; C finds and retrieves the pre-merge document under the
/// surviving id, also through its local-id translation, and a submission
/// under the subsumed id is refused.
#[tokio::test]
async fn two_facilities_feed_a_third_queries_and_a_merge_keeps_earlier_documents_findable() {
    let hub = TestHub::start().await.unwrap();
    const A: &str = "1.2.392.200119.6.102.1100000001";
    const B: &str = "1.2.392.200119.6.102.1200000002";
    let a = admit(&hub, A, "hospital").await;
    let b = admit(&hub, B, "clinic").await;
    let mut a = connect(&hub, &a).await;
    let mut b = connect(&hub, &b).await;

    aa(&a
        .send(&adt("A04", "a1", &cx("HA-1", A), "SATO^HANAKO"))
        .await
        .unwrap());
    let r1 = regional_of(&hub, &mut a, &cx("HA-1", A)).await;
    // B registers the patient with its own id and the regional id from her card.
    aa(&b
        .send(&adt(
            "A04",
            "b1",
            &format!("{}~{r1}", cx("CB-7", B)),
            "SATO^HANAKO",
        ))
        .await
        .unwrap());
    // A registers the same woman again by mistake: a second person.
    aa(&a
        .send(&adt("A01", "a2", &cx("HA-2", A), "SATO^HANAKO"))
        .await
        .unwrap());
    let r2 = regional_of(&hub, &mut a, &cx("HA-2", A)).await;
    assert_ne!(r1, r2);

    // C asks with the regional id.
    let mut c = demo(&hub).await;
    let reply = c.send(&qbp("c1", &r1, "")).await.unwrap();
    aa(&reply);
    let ids = pid3(&reply);
    assert!(
        ids.contains(&("HA-1".into(), A.into())) && ids.contains(&("CB-7".into(), B.into())),
        "{ids:?}"
    );

    // Documents under both regional ids.
    let client = hub.client().unwrap();
    let mut docs = Vec::new();
    for (n, pid) in [(1, &r2), (2, &r1)] {
        let doc = DocSpec::referral(
            &format!("Doc{n}"),
            &hub.facility_oid,
            format!("紹介状 {n}").as_bytes(),
        );
        let sub = Submission::new(pid, &hub.facility_oid).with(doc.clone());
        let (body, _) = sub.provide_and_register_xml(false);
        let reply = client.soap("/xds/repository", PNR, &body).await.unwrap();
        let r = parse_registry_response(&reply);
        assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);
        docs.push(doc);
    }

    // A merges its duplicate HA-2 into HA-1: R2 is merged into R1.
    aa(&a
        .send(&a40("a3", &cx("HA-1", A), &cx("HA-2", A)))
        .await
        .unwrap());

    let found = find(&client, &r1).await;
    let mut unique_ids: Vec<_> = found.iter().map(|(u, _)| u.clone()).collect();
    unique_ids.sort();
    let mut expected: Vec<_> = docs.iter().map(|d| d.unique_id.clone()).collect();
    expected.sort();
    assert_eq!(unique_ids, expected, "the survivor finds both documents");
    assert!(
        found.iter().all(|(_, p)| *p == r1),
        "all shown under the surviving id: {found:?}"
    );
    assert!(
        find(&client, &r2).await.is_empty(),
        "the subsumed id finds nothing"
    );
    // C's consumer asks with A's local id: the hub translates it.
    assert_eq!(find(&client, &cx("HA-1", A)).await.len(), 2);
    assert!(find(&client, &cx("NOBODY", A)).await.is_empty());

    // Retrieve the document registered before the merge under R2.
    let reply = client
        .mtom(
            "/xds/repository",
            RETRIEVE,
            &fixtures::retrieve(&hub.settings.repository_unique_id, &[&docs[0].unique_id]),
            &[],
        )
        .await
        .unwrap();
    let (root, parts) = reply.parts().unwrap();
    let r = ebrim::parse::retrieve_document_set_response(&root).unwrap();
    assert_eq!(r.status, ResponseStatus::Success);
    assert_eq!(parts[0].1.as_ref(), "紹介状 1".as_bytes());

    // New submissions under the subsumed id are refused.
    let doc = DocSpec::referral("Doc3", &hub.facility_oid, b"late");
    let (body, _) = Submission::new(&r2, &hub.facility_oid)
        .with(doc)
        .provide_and_register_xml(false);
    let r = parse_registry_response(&client.soap("/xds/repository", PNR, &body).await.unwrap());
    assert_eq!(r.status, ResponseStatus::Failure);
    assert_eq!(codes(&r.errors), vec!["XDSUnknownPatientId".to_string()]);

    // A replacement of the pre-merge document, submitted under the surviving
    // id, is accepted (the merge is taken into account) and deprecates it.
    let reply = client
        .soap(
            "/xds/registry",
            QUERY,
            &fixtures::find_documents(&r1, "LeafClass"),
        )
        .await
        .unwrap();
    let q = ebrim::parse::adhoc_query_response(&reply.envelope().unwrap()).unwrap();
    let original_uuid = q
        .objects
        .iter()
        .find_map(|o| match o {
            ebrim::RegistryObject::ExtrinsicObject(e)
                if e.core.external_id(ebrim::vocab::DE_UNIQUE_ID)
                    == Some(docs[0].unique_id.as_str()) =>
            {
                Some(e.core.id.clone())
            }
            _ => None,
        })
        .unwrap();
    let replacement = DocSpec::referral("Doc4", &hub.facility_oid, "紹介状 1 改訂".as_bytes());
    let mut sub = Submission::new(&r1, &hub.facility_oid).with(replacement.clone());
    sub.extra = format!(
        r#"<rim:Association id="rplc" associationType="urn:ihe:iti:2007:AssociationType:RPLC" sourceObject="Doc4" targetObject="{original_uuid}"/>"#
    );
    let (body, _) = sub.provide_and_register_xml(false);
    let r = parse_registry_response(&client.soap("/xds/repository", PNR, &body).await.unwrap());
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);
    let mut approved: Vec<_> = find(&client, &r1)
        .await
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    approved.sort();
    let mut expected = vec![docs[1].unique_id.clone(), replacement.unique_id.clone()];
    expected.sort();
    assert_eq!(
        approved, expected,
        "the replaced pre-merge document is deprecated"
    );

    // PIX after the merge: HA-2 is gone from the person.
    let ids = pid3(&c.send(&qbp("c2", &r1, "")).await.unwrap());
    assert!(!ids.iter().any(|(id, _)| id == "HA-2"), "{ids:?}");
    hub.stop().await;
}

fn parse_registry_response(
    reply: &conformance::client::SoapReply,
) -> ebrim::parse::RegistryResponse {
    assert_eq!(reply.status, 200, "{}", reply.text());
    ebrim::parse::registry_response(&reply.envelope().unwrap()).unwrap()
}

/// FindDocuments (LeafClass): (uniqueId, patientId) of each entry.
async fn find(client: &conformance::HubClient, patient: &str) -> Vec<(String, String)> {
    let reply = client
        .soap(
            "/xds/registry",
            QUERY,
            &fixtures::find_documents(patient, "LeafClass"),
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    let q = ebrim::parse::adhoc_query_response(&reply.envelope().unwrap()).unwrap();
    assert_eq!(q.status, ResponseStatus::Success, "{:?}", q.errors);
    q.objects
        .iter()
        .filter_map(|o| match o {
            ebrim::RegistryObject::ExtrinsicObject(e) => Some((
                e.core
                    .external_id(ebrim::vocab::DE_UNIQUE_ID)
                    .unwrap_or_default()
                    .to_string(),
                e.core
                    .external_id(ebrim::vocab::DE_PATIENT_ID)
                    .unwrap_or_default()
                    .to_string(),
            )),
            _ => None,
        })
        .collect()
}

/// Missing MSH, bad encoding characters, a truncated frame, a 10 MB segment
/// and a foreign assigning authority: AE/AR or a closed connection, never a
/// crash; another connection is served throughout.
#[tokio::test]
async fn malformed_hl7_is_answered_or_closed_and_the_listener_keeps_serving() {
    let hub = TestHub::start().await.unwrap();
    const A: &str = "1.2.392.200119.6.102.1100000001";
    let a = admit(&hub, A, "hospital").await;
    let mut steady = connect(&hub, &a).await;
    let mut bad = connect(&hub, &a).await;

    // No MSH.
    let reply = bad.send(b"PID|||X^^^&1.2.3&ISO\r").await.unwrap();
    assert_eq!(msa(&reply).0, "AR");
    aa(&steady
        .send(&adt("A04", "s1", &cx("S-1", A), "OK^ONE"))
        .await
        .unwrap());
    // Bad encoding characters.
    let reply = bad
        .send(b"MSH|^~|ADT|X|||2026||ADT^A04|c1|P|2.5\rPID|||1\r")
        .await
        .unwrap();
    assert_eq!(msa(&reply).0, "AR");
    // A foreign assigning authority: AR, nothing stored, audited.
    let reply = bad
        .send(&adt(
            "A04",
            "f1",
            &cx("F-1", "1.2.392.200119.6.102.7777777777"),
            "X^Y",
        ))
        .await
        .unwrap();
    assert_eq!(msa(&reply).0, "AR");
    assert_eq!(msa(&reply).1, "f1");
    assert!(
        hub.hub
            .pix
            .show(pix::PatientIdentifier::new(
                "1.2.392.200119.6.102.7777777777",
                "F-1"
            ))
            .await
            .is_err()
    );
    let audited = hub
        .hub
        .store
        .read(|conn| {
            store::search_audit(
                conn,
                &store::AuditFilter {
                    patient: Some(cx("F-1", "1.2.392.200119.6.102.7777777777")),
                    ..Default::default()
                },
                10,
            )
        })
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].transaction_label, "ITI-8");
    assert_ne!(audited[0].outcome, 0);
    // Unsupported message type.
    let reply = bad
        .send(b"MSH|^~\\&|X|X|||2026||ORU^R01|o1|P|2.5\rOBX|1\r")
        .await
        .unwrap();
    assert_eq!(msa(&reply).0, "AR");
    // A 10 MB segment: the frame limit closes that connection.
    let mut huge = b"MSH|^~\\&|ADT|X|||2026||ADT^A04|big|P|2.5\rPID|||".to_vec();
    huge.extend(std::iter::repeat_n(b'A', 10 * 1024 * 1024));
    huge.push(b'\r');
    let _ = bad.send(&huge).await.map(|r| {
        panic!(
            "a 10 MB frame was answered: {}",
            String::from_utf8_lossy(&r[..100])
        )
    });
    aa(&steady
        .send(&adt("A04", "s2", &cx("S-2", A), "OK^TWO"))
        .await
        .unwrap());
    // A truncated frame, then the peer goes away.
    let mut trunc = connect(&hub, &a).await;
    trunc
        .send_raw(b"\x0bMSH|^~\\&|ADT|X|||2026||ADT^A04|t1|P|2.5\rPID|")
        .await
        .unwrap();
    drop(trunc);
    // Bytes outside a frame close the connection.
    let mut garbage = connect(&hub, &a).await;
    garbage.send_raw(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    assert!(garbage.reply().await.is_err());
    aa(&steady
        .send(&adt("A04", "s3", &cx("S-3", A), "OK^THREE"))
        .await
        .unwrap());
    hub.stop().await;
}

/// An SS-MIX2 style feed in ISO-2022-JP (MSH-18 `~ISO IR87`): the kanji name
/// is stored intact, shown by `patient show`, and sent back in the
/// requester's charset.
#[tokio::test]
async fn iso_2022_jp_feed_keeps_the_kanji_name() {
    const A: &str = "1.2.392.200119.6.102.1100000001";
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // A consumer that wants its ITI-10 notifications in ISO-2022-JP too.
    let hub = TestHub::start_with(|s| {
        s.pix_subscribers = vec![hub::config::PixSubscriber {
            facility: "1.2.392.200119.6.102.3300000003".to_string(),
            mllp: format!("localhost:{port}"),
            url: String::new(),
            domains: Vec::new(),
            charset: "~ISO IR87".to_string(),
        }];
    })
    .await
    .unwrap();
    let pki = hub.settings.pki_dir();
    let read = |f: &str| std::fs::read_to_string(pki.join(f)).unwrap();
    let received = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let receiver = MllpReceiver::start(
        addr,
        &read("ca.pem"),
        &read("server.pem"),
        &read("server-key.pem"),
        Arc::clone(&received),
    )
    .await
    .unwrap();
    let a = admit(&hub, A, "hospital").await;
    let mut a = connect(&hub, &a).await;
    let text = format!(
        "MSH|^~\\&|HIS|A|RENKEI|HUB|20261204120000||ADT^A04^ADT_A01|jp1|P|2.5||||||~ISO IR87\r\
         EVN|A04|20261204120000\r\
         PID|||{}||山田^太郎^^^^^L^I~ヤマダ^タロウ^^^^^L^P||19600505|M\r\
         PV1||O\r",
        cx("JP-1", A)
    );
    let (bytes, _, unmappable) = encoding_rs::ISO_2022_JP.encode(&text);
    assert!(!unmappable);
    assert!(
        !bytes.windows(3).any(|w| w == "山".as_bytes()),
        "really ISO-2022-JP on the wire"
    );
    let reply = a.send(&bytes).await.unwrap();
    aa(&reply);
    let person = hub
        .hub
        .pix
        .show(pix::PatientIdentifier::new(A, "JP-1"))
        .await
        .unwrap();
    let jp = person.identifiers.iter().find(|i| i.id == "JP-1").unwrap();
    assert_eq!(jp.demographics.family.as_deref(), Some("山田"));
    assert_eq!(jp.demographics.given.as_deref(), Some("太郎"));
    // The notification was written (and read back) as ISO-2022-JP.
    wait_for(&received, 1).await;
    let a31 = received.lock().await[0].clone();
    assert!(a31.contains("|~ISO IR87"), "MSH-18: {a31}");
    assert!(a31.contains("山田^太郎"), "{a31}");
    receiver.stop();
    hub.stop().await;
}

/// ITI-10: a consumer subscribed for two domains gets ADT^A31 for every
/// change, in order, also across its own restart (nothing dropped while it
/// was down).
#[tokio::test]
async fn iti10_notifications_all_arrive_in_order_across_a_consumer_restart() {
    const A: &str = "1.2.392.200119.6.102.1100000001";
    const C: &str = "1.2.392.200119.6.102.3300000003";
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let hub = TestHub::start_with(|s| {
        s.pix_subscribers = vec![hub::config::PixSubscriber {
            facility: C.to_string(),
            mllp: format!("localhost:{port}"),
            url: String::new(),
            domains: vec![A.to_string(), s.affinity_domain.clone()],
            charset: String::new(),
        }];
    })
    .await
    .unwrap();
    let pki = hub.settings.pki_dir();
    let read = |f: &str| std::fs::read_to_string(pki.join(f)).unwrap();
    let (ca, cert, key) = (read("ca.pem"), read("server.pem"), read("server-key.pem"));
    let received = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let receiver = MllpReceiver::start(addr, &ca, &cert, &key, Arc::clone(&received))
        .await
        .unwrap();

    let a = admit(&hub, A, "hospital").await;
    let mut a = connect(&hub, &a).await;
    for n in 0..3 {
        aa(&a
            .send(&adt(
                "A04",
                &format!("n{n}"),
                &cx(&format!("N-{n}"), A),
                "ORDER^KEEP",
            ))
            .await
            .unwrap());
    }
    wait_for(&received, 3).await;
    receiver.stop();
    for n in 3..6 {
        aa(&a
            .send(&adt(
                "A04",
                &format!("n{n}"),
                &cx(&format!("N-{n}"), A),
                "ORDER^KEEP",
            ))
            .await
            .unwrap());
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let receiver = MllpReceiver::start(addr, &ca, &cert, &key, Arc::clone(&received))
        .await
        .unwrap();
    wait_for(&received, 6).await;

    // Distinct notifications (a redelivery after a lost ACK is allowed), in feed order.
    let log = received.lock().await.clone();
    let mut seen = Vec::new();
    for text in &log {
        assert!(text.contains("ADT^A31"), "{text}");
        let pid = text.split('\r').find(|s| s.starts_with("PID|")).unwrap();
        let local = pid
            .split('|')
            .nth(3)
            .unwrap()
            .split('~')
            .find(|c| c.contains(A))
            .unwrap();
        let id = local.split('^').next().unwrap().to_string();
        if !seen.contains(&id) {
            seen.push(id);
        }
    }
    let expected: Vec<String> = (0..6).map(|n| format!("N-{n}")).collect();
    assert_eq!(seen, expected);
    receiver.stop();
    hub.stop().await;
}

async fn wait_for(received: &tokio::sync::Mutex<Vec<String>>, distinct: usize) {
    let start = Instant::now();
    loop {
        let n = {
            let log = received.lock().await;
            let mut controls: Vec<&str> = log
                .iter()
                .filter_map(|t| t.split('\r').next()?.split('|').nth(9))
                .collect();
            controls.sort_unstable();
            controls.dedup();
            controls.len()
        };
        if n >= distinct {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "only {n} of {distinct} notifications arrived"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The operator's patient tools over the admin API: add a regional id, show
/// a person fed over MLLP, the duplicates report, link, unlink; a facility
/// certificate is refused.
#[tokio::test]
async fn operator_adds_shows_links_and_unlinks_patients_over_the_admin_api() {
    let hub = TestHub::start().await.unwrap();
    const A: &str = "1.2.392.200119.6.102.1100000001";
    const OPERATOR: &str = "1.2.392.200119.6.102.9000000001";
    let registry = Participants::new(hub.hub.store.clone(), &hub.settings.pki_dir());
    registry
        .add_facility(OPERATOR, "Operator", "operator")
        .await
        .unwrap();
    let op = registry
        .issue(OPERATOR, &IssueOptions::default())
        .await
        .unwrap();
    let admin = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(op.ca_pem.as_bytes()).unwrap()])
        .identity(
            reqwest::Identity::from_pem(
                format!(
                    "{}\n{}",
                    op.private_key_pem.as_deref().unwrap(),
                    op.certificate_pem
                )
                .as_bytes(),
            )
            .unwrap(),
        )
        .https_only(true)
        .build()
        .unwrap();
    let url = |p: &str| format!("{}/admin/patients{p}", hub.base_url);
    let enc = |cx: &str| cx.replace('^', "%5E").replace('&', "%26");
    let post = |path: String, body: serde_json::Value| {
        let admin = admin.clone();
        async move {
            let r = admin
                .post(path)
                .header("Content-Type", "application/json")
                .body(serde_json::to_vec(&body).unwrap())
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let bytes = r.bytes().await.unwrap();
            (
                status,
                serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default(),
            )
        }
    };
    let get = |path: String| {
        let admin = admin.clone();
        async move {
            let r = admin.get(path).send().await.unwrap();
            let status = r.status().as_u16();
            let bytes = r.bytes().await.unwrap();
            (
                status,
                serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default(),
            )
        }
    };
    // The operator's kind reaches the hub within its 2 s refresh.
    let start = Instant::now();
    while get(url("/duplicates")).await.0 != 200 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "operator never admitted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let regional = hub.patient("R-100");
    let (status, body) = post(url(""), serde_json::json!({ "cx": regional })).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["created"], true);
    assert_eq!(
        post(url(""), serde_json::json!({ "cx": regional })).await.1["created"],
        false
    );
    let (status, _) = post(url(""), serde_json::json!({ "cx": cx("X", A) })).await;
    assert_eq!(status, 400, "only regional ids are added by hand");

    let a = admit(&hub, A, "hospital").await;
    let mut a = connect(&hub, &a).await;
    aa(&a
        .send(&adt(
            "A04",
            "m1",
            &format!("{}~{regional}", cx("HA-9", A)),
            "KATO^MEI",
        ))
        .await
        .unwrap());
    aa(&a
        .send(&adt("A04", "m2", &cx("HA-10", A), "KATO^MEI"))
        .await
        .unwrap());

    let (status, person) = get(url(&format!("/{}", enc(&cx("HA-9", A))))).await;
    assert_eq!(status, 200, "{person}");
    assert_eq!(person["regional_id"], regional.as_str());
    let fed = person["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "HA-9")
        .unwrap()
        .clone();
    assert_eq!(fed["feeding_facility"], A);
    assert_eq!(fed["demographics"]["family"], "KATO");
    assert_eq!(
        get(url(&format!("/{}", enc(&cx("NOBODY", A))))).await.0,
        404
    );

    let (_, dupes) = get(url("/duplicates")).await;
    assert_eq!(dupes.as_array().unwrap().len(), 1, "{dupes}");

    let (status, linked) = post(
        url("/link"),
        serde_json::json!({ "a": cx("HA-9", A), "b": cx("HA-10", A) }),
    )
    .await;
    assert_eq!(status, 200, "{linked}");
    assert_eq!(linked["regional_id"], regional.as_str());
    assert_eq!(
        linked["merged_regional_ids"].as_array().unwrap().len(),
        1,
        "HA-10's regional id merged: {linked}"
    );
    assert!(
        get(url("/duplicates"))
            .await
            .1
            .as_array()
            .unwrap()
            .is_empty()
    );

    let (status, apart) = post(
        url("/unlink"),
        serde_json::json!({ "a": regional, "b": cx("HA-10", A) }),
    )
    .await;
    assert_eq!(status, 200, "{apart}");
    assert_ne!(apart["regional_id"], regional.as_str());
    let (status, _) = post(
        url("/unlink"),
        serde_json::json!({ "a": regional, "b": cx("HA-10", A) }),
    )
    .await;
    assert_eq!(status, 400, "not linked any more");

    // Records of committed actions reach the chain through the inbox on PostgreSQL.
    hub::audit::link_inbox(&hub.hub.store).await.unwrap();
    let links = hub
        .hub
        .store
        .read(|conn| {
            store::search_audit(
                conn,
                &store::AuditFilter {
                    transaction_label: Some("patient-link".into()),
                    ..Default::default()
                },
                10,
            )
        })
        .await
        .unwrap();
    assert_eq!(links.len(), 2, "one record per id linked");
    assert_eq!(links[0].facility.as_deref(), Some(OPERATOR));

    // A care provider's certificate does not open the admin API.
    let clinic = hub.client().unwrap();
    let reply = clinic
        .post(
            "/admin/patients/duplicates",
            "application/json".into(),
            b"{}".to_vec(),
        )
        .await;
    assert!(
        reply
            .map(|r| r.status == 403 || r.status == 404 || r.status == 405)
            .unwrap_or(true)
    );
    hub.stop().await;
}

/// The IHE wiki's PIXV3 examples over `/pix`: ITI-44 add (with an id in
/// another domain under asOtherIDs), ITI-45 query, ITI-44 duplicates resolved
/// (merge), query again; an unknown id and an unknown data source are AE.
#[tokio::test]
async fn pixv3_feed_query_and_merge_with_the_ihe_examples() {
    const SOURCE: &str = "1.2.840.114350.1.13.99998.8734";
    const OTHER: &str = "1.2.840.114350.1.13.99997.2.3412";
    let hub = TestHub::start_with(|s| s.policy.allow_on_behalf_of(SOURCE, &[OTHER]))
        .await
        .unwrap();
    let registry = Participants::new(hub.hub.store.clone(), &hub.settings.pki_dir());
    registry
        .add_facility(SOURCE, "PIXV3 source", "hospital")
        .await
        .unwrap();
    let bundle = registry
        .issue(SOURCE, &IssueOptions::default())
        .await
        .unwrap();
    let identity = format!(
        "{}\n{}",
        bundle.private_key_pem.as_deref().unwrap(),
        bundle.certificate_pem
    );
    let source = conformance::HubClient::new(
        &hub.base_url,
        bundle.ca_pem.as_bytes(),
        Some(identity.as_bytes()),
    )
    .unwrap();
    let sample = |name: &str| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/pix/hl7v3")
            .join(name);
        let text = std::fs::read_to_string(path).unwrap();
        match text.find("?>") {
            Some(end) if text.starts_with("<?xml") => text[end + 2..].to_string(),
            _ => text,
        }
    };
    let feed = |action: &'static str, body: String| {
        let source = &source;
        async move {
            let start = Instant::now();
            loop {
                let reply = source.soap("/pix", action, &body).await.unwrap();
                // The new facility's kind reaches the hub within 2 s.
                if reply.status != 403 || start.elapsed() > Duration::from_secs(10) {
                    return reply;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    let ack_code = |text: &str| {
        let at = text.find("<acknowledgement").unwrap();
        let code = &text[at..];
        let code = &code[code.find("code=\"").unwrap() + 6..];
        code[..code.find('"').unwrap()].to_string()
    };

    let reply = feed(
        "urn:hl7-org:v3:PRPA_IN201301UV02",
        sample("01_PatientRegistryRecordAdded1.xml"),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply.text().contains("MCCI_IN000002UV01"));
    assert_eq!(ack_code(&reply.text()), "AA", "{}", reply.text());

    let consumer = hub.client().unwrap();
    let query = sample("06_PIXQuery1.xml");
    let reply = consumer
        .soap("/pix", "urn:hl7-org:v3:PRPA_IN201309UV02", &query)
        .await
        .unwrap();
    let text = reply.text();
    assert_eq!(reply.status, 200, "{text}");
    assert!(text.contains("PRPA_IN201310UV02"));
    assert!(text.contains("<queryResponseCode code=\"OK\""), "{text}");
    assert!(
        text.contains(&format!("root=\"{SOURCE}\" extension=\"34827G234\"")),
        "{text}"
    );
    assert_eq!(
        text.matches("extension=\"38273N237\"").count(),
        1,
        "the queried id appears only in the echoed query: {text}"
    );

    let reply = feed(
        "urn:hl7-org:v3:PRPA_IN201304UV02",
        sample("05_PatientRegistryDuplicatesResolved.xml"),
    )
    .await;
    assert_eq!(ack_code(&reply.text()), "AA", "{}", reply.text());
    let text = consumer
        .soap("/pix", "urn:hl7-org:v3:PRPA_IN201309UV02", &query)
        .await
        .unwrap()
        .text();
    assert!(
        text.contains("extension=\"34827G409\""),
        "the survivor: {text}"
    );
    assert!(
        !text.contains("extension=\"34827G234\""),
        "the subsumed id is gone: {text}"
    );

    let unknown = query.replace("38273N237", "NOSUCHID");
    let text = consumer
        .soap("/pix", "urn:hl7-org:v3:PRPA_IN201309UV02", &unknown)
        .await
        .unwrap()
        .text();
    assert!(text.contains("<queryResponseCode code=\"AE\""), "{text}");
    assert!(text.contains("204"), "{text}");
    // A foreign authority in an ITI-44 feed is refused (AR), nothing stored.
    let foreign = sample("01_PatientRegistryRecordAdded1.xml").replace(OTHER, "1.2.3.4.5.6.7");
    let reply = feed("urn:hl7-org:v3:PRPA_IN201301UV02", foreign).await;
    assert_eq!(ack_code(&reply.text()), "AR", "{}", reply.text());
    hub.stop().await;
}

/// The MLLP listener applies suspension and revocation like HTTPS: an open
/// connection stops being served within the hub's refresh, and a new
/// handshake with a revoked certificate fails (counted in the TLS metrics).
#[tokio::test]
async fn suspension_and_revocation_stop_open_and_new_mllp_connections() {
    let hub = TestHub::start().await.unwrap();
    const A: &str = "1.2.392.200119.6.102.1100000001";
    let a = admit(&hub, A, "hospital").await;
    let mut open = connect(&hub, &a).await;
    aa(&open
        .send(&adt("A04", "r1", &cx("R-1", A), "OPEN^CONN"))
        .await
        .unwrap());
    // ITI-8 audit: patient object with MSH-10 as detail.
    // Records of committed actions reach the chain through the inbox on PostgreSQL.
    hub::audit::link_inbox(&hub.hub.store).await.unwrap();
    let feed_audit = hub
        .hub
        .store
        .read(|conn| {
            store::search_audit(
                conn,
                &store::AuditFilter {
                    patient: Some(cx("R-1", A)),
                    transaction_label: Some("ITI-8".into()),
                    ..Default::default()
                },
                10,
            )
        })
        .await
        .unwrap();
    assert_eq!(feed_audit.len(), 1);
    assert_eq!(
        (feed_audit[0].action.as_str(), feed_audit[0].outcome),
        ("C", 0)
    );
    assert!(
        feed_audit[0]
            .message
            .contains("type=\"MSH-10\" value=\"cjE=\""),
        "MSH-10 r1 as detail: {}",
        feed_audit[0].message
    );
    let registry = Participants::new(hub.hub.store.clone(), &hub.settings.pki_dir());
    registry.set_suspended(A, true).await.unwrap();
    let start = Instant::now();
    loop {
        match open
            .send(&adt("A04", "r2", &cx("R-2", A), "OPEN^CONN"))
            .await
        {
            Err(_) => break,
            Ok(reply) => assert_eq!(msa(&reply).0, "AA", "served until the suspension arrives"),
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "suspension not applied to an open connection"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        hub.hub
            .pix
            .show(pix::PatientIdentifier::new(A, "R-1"))
            .await
            .is_ok(),
        "earlier feeds stay"
    );
    registry.set_suspended(A, false).await.unwrap();
    registry
        .revoke_facility(A, hub::certs::RevocationReason::KeyCompromise)
        .await
        .unwrap();
    let start = Instant::now();
    loop {
        let refused = match MllpClient::connect(hub.hub.mllp_addr, &a.ca, &a.cert, &a.key).await {
            Err(_) => true,
            Ok(mut c) => c
                .send(&adt("A04", "r3", &cx("R-3", A), "NEW^CONN"))
                .await
                .is_err(),
        };
        if refused {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "a revoked certificate still connects"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        hub.hub
            .pix
            .show(pix::PatientIdentifier::new(A, "R-3"))
            .await
            .is_err()
    );
    hub.stop().await;
}

/// The IPF ITI-8 samples through the listener, from a source allowed to feed
/// the sample's authorities: A04 and A01 (with an HL7-null id) are accepted
/// and their ids linked; A08 and A40 name ids never fed here, so they are AE
/// (unknown key identifier) and change nothing.
#[tokio::test]
async fn ipf_feed_samples_get_the_answers_the_rules_give() {
    const ICW: &str = "2.16.840.1.113883.3.37.4.1.1.2.1.1";
    let hub = TestHub::start_with(|s| {
        s.policy
            .allow_on_behalf_of(ICW, &["2.16.840.1.113883.3.37.4.1.1.2", MESA_D2])
    })
    .await
    .unwrap();
    let source = admit(&hub, ICW, "hospital").await;
    let mut source = connect(&hub, &source).await;
    let ipf = |name: &str| {
        std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/pix/ipf")
                .join(name),
        )
        .unwrap()
    };
    let reply = source.send(&ipf("A04.hl7")).await.unwrap();
    aa(&reply);
    assert_eq!(msa(&reply).1, "205632");
    let reply = source.send(&ipf("A01.hl7")).await.unwrap();
    aa(&reply);
    let ids = pid3(
        &demo(&hub)
            .await
            .send(&qbp("i1", &cx("305090", ICW), ""))
            .await
            .unwrap(),
    );
    assert!(
        ids.contains(&(
            "13278".into(),
            "2.16.840.1.113883.3.37.4.1.1.2.411.1".into()
        )),
        "{ids:?}"
    );
    assert!(ids.contains(&("02777".into(), MESA_D2.into())), "{ids:?}");
    let ids = pid3(
        &demo(&hub)
            .await
            .send(&qbp("i2", &cx("306563", ICW), ""))
            .await
            .unwrap(),
    );
    assert!(
        ids.contains(&(
            "30753".into(),
            "2.16.840.1.113883.3.37.4.1.1.2.611.1".into()
        )),
        "{ids:?}"
    );
    for sample in ["A08.hl7", "A40.hl7"] {
        let reply = source.send(&ipf(sample)).await.unwrap();
        assert_eq!(
            msa(&reply).0,
            "AE",
            "{sample}: {}",
            String::from_utf8_lossy(&reply)
        );
        assert_eq!(err(&reply).1, "204", "{sample}");
    }
    assert!(
        hub.hub
            .pix
            .show(pix::PatientIdentifier::new(ICW, "142025"))
            .await
            .is_err()
    );
    hub.stop().await;
}

/// ITI-46: an HL7 v3 consumer subscribed by `url` gets PRPA_IN201302UV02 over
/// SOAP/HTTPS (hub's node certificate) with the person's linked ids.
#[tokio::test]
async fn iti46_notifications_reach_a_v3_consumer_over_https() {
    const A: &str = "1.2.392.200119.6.102.1100000001";
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let hub = TestHub::start_with(|s| {
        s.pix_subscribers = vec![hub::config::PixSubscriber {
            facility: "1.2.392.200119.6.102.3300000003".to_string(),
            mllp: String::new(),
            url: format!("https://localhost:{port}/pix-consumer"),
            domains: vec![A.to_string()],
            charset: String::new(),
        }];
    })
    .await
    .unwrap();
    let pki = hub.settings.pki_dir();
    let read = |f: &str| std::fs::read_to_string(pki.join(f)).unwrap();
    let received = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let receiver = MllpReceiver::start_soap(
        addr,
        &read("ca.pem"),
        &read("server.pem"),
        &read("server-key.pem"),
        Arc::clone(&received),
    )
    .await
    .unwrap();
    let a = admit(&hub, A, "hospital").await;
    let mut a = connect(&hub, &a).await;
    aa(&a
        .send(&adt("A04", "v1", &cx("V-1", A), "SUZUKI^ICHIRO"))
        .await
        .unwrap());
    let start = Instant::now();
    while received.lock().await.is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no ITI-46 arrived"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let request = received.lock().await[0].clone();
    assert!(
        request.contains("urn:hl7-org:v3:PRPA_IN201302UV02"),
        "{request}"
    );
    assert!(request.contains("<PRPA_IN201302UV02"), "{request}");
    assert!(
        request.contains(&format!("root=\"{A}\" extension=\"V-1\"")),
        "{request}"
    );
    assert!(request.contains("SUZUKI"), "{request}");
    // Delivered and audited as ITI-46 once the consumer acknowledged.
    let start = Instant::now();
    loop {
        // Records of committed actions reach the chain through the inbox on PostgreSQL.
        hub::audit::link_inbox(&hub.hub.store).await.unwrap();
        let rows = hub
            .hub
            .store
            .read(|conn| {
                store::search_audit(
                    conn,
                    &store::AuditFilter {
                        transaction_label: Some("ITI-46".into()),
                        ..Default::default()
                    },
                    10,
                )
            })
            .await
            .unwrap();
        if !rows.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "ITI-46 not audited"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    receiver.stop();
    hub.stop().await;
}
