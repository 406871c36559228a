//! Patient consent against the real hub: the three regional models,
//! restricted and secret documents, time limits, withdrawal, emergency
//! access and BPPC consent documents submitted by ITI-41. The demo clinic
//! authors the documents; other facilities read them with their own
//! certificates.

use crate::common::*;
use conformance::TestHub;
use conformance::client::HubClient;
use conformance::fixtures::{self, CONFIDENTIALITY, DocSpec, IHE_FORMAT, Submission, code};
use consent::{BppcAction, ConsentPolicy, Model, Scope};
use ebrim::ResponseStatus;
use ebrim::parse::{AdhocQueryResponse, RetrieveDocumentSetResponse};
use hub::consent_cli;
use hub::facility::{IssueOptions, Participants};
use std::time::{Duration, Instant};

const HOSPITAL: &str = "1.2.392.200119.6.102.7000000001";
const CLINIC2: &str = "1.2.392.200119.6.102.7000000002";
const PHARMACY: &str = "1.2.392.200119.6.102.7000000003";
const POLICY_VISIT: &str = "1.2.392.200119.4.9999.77.1";
const POLICY_DESIGNATE: &str = "1.2.392.200119.4.9999.77.2";
const POLICY_OPT_OUT: &str = "1.2.392.200119.4.9999.77.9";
const GET_DOCUMENTS: &str = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4";
const GET_ALL: &str = "urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3";
const GET_ASSOCIATIONS: &str = "urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155";
const GET_SUBMISSION_SETS: &str = "urn:uuid:51224314-5390-4169-9b91-b1980040715a";
const FIND_SUBMISSION_SETS: &str = "urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9";
const GET_SS_AND_CONTENTS: &str = "urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83";
const GET_FOLDERS_FOR_DOCUMENT: &str = "urn:uuid:10cae35a-c7f9-4cf5-b61e-fc3278ffb578";
const APPROVED: &str = "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')";

fn policy(model: Model) -> ConsentPolicy {
    let mut p = ConsentPolicy {
        model,
        ..ConsentPolicy::default()
    };
    p.emergency_facilities.insert(HOSPITAL.to_string());
    p.kind_classes.insert(
        "pharmacy".into(),
        ["57833-6^^2.16.840.1.113883.6.1".to_string()]
            .into_iter()
            .collect(),
    );
    p.bppc_policies.insert(
        POLICY_VISIT.into(),
        BppcAction::GrantAuthor {
            scope: Scope::Normal,
        },
    );
    p.bppc_policies.insert(
        POLICY_DESIGNATE.into(),
        BppcAction::GrantFacilities {
            facilities: vec![CLINIC2.into()],
            scope: Scope::Normal,
        },
    );
    p.bppc_policies
        .insert(POLICY_OPT_OUT.into(), BppcAction::Withdraw);
    p
}

async fn start(model: Model) -> TestHub {
    TestHub::start_with(|s| s.consent = policy(model))
        .await
        .unwrap()
}

fn ca_pem(hub: &TestHub) -> Vec<u8> {
    std::fs::read(hub.settings.pki_dir().join("ca.pem")).unwrap()
}

/// A participant admitted with a certificate: its SOAP client and a JSON client.
struct Participant {
    soap: HubClient,
    json: reqwest::Client,
}

async fn admit(hub: &TestHub, oid: &str, kind: &str) -> Participant {
    let registry = Participants::new(hub.hub.store.clone(), &hub.settings.pki_dir());
    registry
        .add_facility(oid, &format!("{kind} {oid}"), kind)
        .await
        .unwrap();
    let bundle = registry.issue(oid, &IssueOptions::default()).await.unwrap();
    let identity = format!(
        "{}\n{}",
        bundle.private_key_pem.as_deref().unwrap(),
        bundle.certificate_pem
    );
    let soap = HubClient::new(&hub.base_url, &ca_pem(hub), Some(identity.as_bytes())).unwrap();
    let json = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca_pem(hub)).unwrap()])
        .identity(reqwest::Identity::from_pem(identity.as_bytes()).unwrap())
        .https_only(true)
        .build()
        .unwrap();
    // The hub learns facility kinds from the database every 2 s.
    let start = Instant::now();
    loop {
        let text = soap
            .soap("/xds/registry", QUERY, "<x/>")
            .await
            .unwrap()
            .text();
        if !text.contains("not registered") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(6),
            "hub did not learn {oid}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Participant { soap, json }
}

async fn post(
    p: &Participant,
    hub: &TestHub,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let r = p
        .json
        .post(format!("{}{path}", hub.base_url))
        .header("Content-Type", "application/json")
        .body(serde_json::to_vec(&body).unwrap())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let bytes = r.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

fn doc(id: &str, author: &str, confidentiality: &str) -> DocSpec {
    let mut d = DocSpec::referral(id, author, format!("{id} {confidentiality}").as_bytes());
    d.confidentiality = vec![code(confidentiality, CONFIDENTIALITY, confidentiality)];
    d
}

async fn provide(client: &HubClient, sub: &Submission) -> ebrim::parse::RegistryResponse {
    let (body, _) = sub.provide_and_register_xml(false);
    registry_response(&client.soap("/xds/repository", PNR, &body).await.unwrap())
}

/// The demo clinic submits `docs` for `pid`; returns the SubmissionSet's uniqueId.
async fn submit(hub: &TestHub, pid: &str, docs: Vec<DocSpec>) -> String {
    let mut sub = Submission::new(pid, &hub.facility_oid);
    for d in docs {
        sub = sub.with(d);
    }
    let r = provide(&hub.client().unwrap(), &sub).await;
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);
    sub.ss_unique_id
}

async fn query(client: &HubClient, xml: &str) -> AdhocQueryResponse {
    query_response(&client.soap("/xds/registry", QUERY, xml).await.unwrap())
}

/// uniqueIds FindDocuments (LeafClass) returns to `client`.
async fn visible(client: &HubClient, pid: &str) -> Vec<String> {
    let q = query(client, &fixtures::find_documents(pid, "LeafClass")).await;
    assert_eq!(q.status, ResponseStatus::Success, "{:?}", q.errors);
    let mut uids: Vec<String> = q
        .objects
        .iter()
        .filter_map(|o| match o {
            ebrim::RegistryObject::ExtrinsicObject(e) => e
                .core
                .external_id(ebrim::vocab::DE_UNIQUE_ID)
                .map(str::to_string),
            _ => None,
        })
        .collect();
    uids.sort();
    uids
}

async fn retrieve(hub: &TestHub, client: &HubClient, uid: &str) -> RetrieveDocumentSetResponse {
    let reply = client
        .mtom(
            "/xds/repository",
            RETRIEVE,
            &fixtures::retrieve(&hub.settings.repository_unique_id, &[uid]),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    let (root, _) = reply.parts().unwrap();
    ebrim::parse::retrieve_document_set_response(&root).unwrap()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The error of a refused retrieval with the document id blanked, so a
/// denied and an unknown document can be compared.
fn refusal(r: &RetrieveDocumentSetResponse, uid: &str) -> (ResponseStatus, Vec<(String, String)>) {
    assert!(r.documents.is_empty());
    (
        r.status,
        r.errors
            .iter()
            .map(|e| (e.code.clone(), e.context.replace(uid, "UID")))
            .collect(),
    )
}

/// (transaction label, outcome) of the audit records about `patient`.
async fn audit_rows(hub: &TestHub, patient: &str) -> Vec<(String, i32)> {
    let rows = hub::audit::report::search(
        &hub.hub.store,
        &hub::audit::report::AuditQuery {
            patient: Some(patient.to_string()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    rows.into_iter()
        .map(|r| (r.transaction, r.outcome))
        .collect()
}

async fn audit_labels(hub: &TestHub, patient: &str) -> Vec<String> {
    audit_rows(hub, patient)
        .await
        .into_iter()
        .map(|r| r.0)
        .collect()
}

#[tokio::test]
async fn without_consent_nothing_is_found_and_retrieval_answers_as_for_an_unknown_document() {
    let hub = start(Model::AllParticipants).await;
    let hospital = admit(&hub, HOSPITAL, "hospital").await;
    let pid = hub.add_patient("C1").await.unwrap();
    let d = doc("Document01", &hub.facility_oid, "N");
    let uid = d.unique_id.clone();
    let ss_uid = submit(&hub, &pid, vec![d]).await;

    // The author always sees its own document.
    assert_eq!(
        visible(&hub.client().unwrap(), &pid).await,
        vec![uid.clone()]
    );
    // Another facility without consent: nothing, in every form of the query.
    assert!(visible(&hospital.soap, &pid).await.is_empty());
    let refs = query(&hospital.soap, &fixtures::find_documents(&pid, "ObjectRef")).await;
    assert!(refs.object_refs.is_empty() && refs.objects.is_empty());
    let q = fixtures::stored_query(
        GET_ALL,
        "ObjectRef",
        &[
            ("$patientId", &format!("'{pid}'")),
            ("$XDSDocumentEntryStatus", APPROVED),
            ("$XDSSubmissionSetStatus", APPROVED),
            ("$XDSFolderStatus", APPROVED),
        ],
    );
    let all = query(&hospital.soap, &q).await;
    assert!(
        all.object_refs.is_empty(),
        "GetAll leaks {:?}",
        all.object_refs
    );
    let by_uid = fixtures::stored_query(
        GET_DOCUMENTS,
        "LeafClass",
        &[("$XDSDocumentEntryUniqueId", &format!("('{uid}')"))],
    );
    assert!(query(&hospital.soap, &by_uid).await.objects.is_empty());
    let sets = fixtures::stored_query(
        FIND_SUBMISSION_SETS,
        "ObjectRef",
        &[
            ("$XDSSubmissionSetPatientId", &format!("'{pid}'")),
            ("$XDSSubmissionSetStatus", APPROVED),
        ],
    );
    assert!(query(&hospital.soap, &sets).await.object_refs.is_empty());
    let contents = fixtures::stored_query(
        GET_SS_AND_CONTENTS,
        "ObjectRef",
        &[("$XDSSubmissionSetUniqueId", &format!("'{ss_uid}'"))],
    );
    assert!(
        query(&hospital.soap, &contents)
            .await
            .object_refs
            .is_empty()
    );

    // Retrieval: refused exactly like a document that was never stored.
    let denied = retrieve(&hub, &hospital.soap, &uid).await;
    let unknown_uid = fixtures::new_oid();
    let unknown = retrieve(&hub, &hospital.soap, &unknown_uid).await;
    assert_eq!(refusal(&denied, &uid), refusal(&unknown, &unknown_uid));
    assert_eq!(denied.status, ResponseStatus::Failure);

    // The withholding is audited (not visible to the requester).
    assert!(
        audit_labels(&hub, &pid)
            .await
            .contains(&"access-denied".to_string())
    );
    hub.stop().await;
}

#[tokio::test]
async fn all_participants_consent_opens_every_facility_and_withdrawal_closes_it_at_once() {
    let hub = start(Model::AllParticipants).await;
    let hospital = admit(&hub, HOSPITAL, "hospital").await;
    let clinic2 = admit(&hub, CLINIC2, "clinic").await;
    let pid = hub.add_patient("C2").await.unwrap();
    let d = doc("Document01", &hub.facility_oid, "N");
    let uid = d.unique_id.clone();
    submit(&hub, &pid, vec![d]).await;

    consent_cli::grant(&hub.settings, pid.clone(), true, vec![], false, None)
        .await
        .unwrap();
    assert_eq!(visible(&hospital.soap, &pid).await, vec![uid.clone()]);
    assert_eq!(visible(&clinic2.soap, &pid).await, vec![uid.clone()]);
    let r = retrieve(&hub, &hospital.soap, &uid).await;
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);
    assert_eq!(r.documents.len(), 1);

    consent_cli::withdraw(&hub.settings, pid.clone(), None)
        .await
        .unwrap();
    assert!(
        visible(&hospital.soap, &pid).await.is_empty(),
        "withdrawal is immediate"
    );
    assert!(visible(&clinic2.soap, &pid).await.is_empty());
    assert!(
        retrieve(&hub, &hospital.soap, &uid)
            .await
            .documents
            .is_empty()
    );
    let labels = audit_labels(&hub, &pid).await;
    assert!(labels.contains(&"consent-grant".to_string()), "{labels:?}");
    assert!(
        labels.contains(&"consent-withdraw".to_string()),
        "{labels:?}"
    );
    let report = consent_cli::show(&hub.settings, pid.clone()).await.unwrap();
    assert!(
        report.contains("withdrawn") && report.contains("facility=*"),
        "{report}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn per_visited_facility_consent_grows_the_circle_one_visit_at_a_time() {
    let hub = start(Model::PerVisitedFacility).await;
    let hospital = admit(&hub, HOSPITAL, "hospital").await;
    let clinic2 = admit(&hub, CLINIC2, "clinic").await;
    let pid = hub.add_patient("C3").await.unwrap();
    let d = doc("Document01", &hub.facility_oid, "N");
    let uid = d.unique_id.clone();
    submit(&hub, &pid, vec![d]).await;

    // "All participants" does not exist in this model.
    let (status, body) = post(
        &hospital,
        &hub,
        "/consents",
        serde_json::json!({"patient": pid, "all": true}),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    // The patient visits the hospital and consents there.
    let (status, body) = post(
        &hospital,
        &hub,
        "/consents",
        serde_json::json!({"patient": pid}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body[0]["facility"], HOSPITAL);
    assert_eq!(visible(&hospital.soap, &pid).await, vec![uid.clone()]);
    assert!(
        visible(&clinic2.soap, &pid).await.is_empty(),
        "not visited yet"
    );

    // Then the second clinic: it joins the circle; the hospital stays.
    let (status, _) = post(
        &clinic2,
        &hub,
        "/consents",
        serde_json::json!({"patient": pid}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(visible(&clinic2.soap, &pid).await, vec![uid.clone()]);
    assert_eq!(visible(&hospital.soap, &pid).await, vec![uid.clone()]);

    // Withdrawal for one facility leaves the other.
    let (status, _) = post(
        &clinic2,
        &hub,
        "/consents/withdraw",
        serde_json::json!({"patient": pid, "facility": CLINIC2}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(visible(&clinic2.soap, &pid).await.is_empty());
    assert_eq!(visible(&hospital.soap, &pid).await, vec![uid]);
    hub.stop().await;
}

#[tokio::test]
async fn designated_list_excludes_an_undesignated_facility() {
    let hub = start(Model::DesignatedList).await;
    let hospital = admit(&hub, HOSPITAL, "hospital").await;
    let clinic2 = admit(&hub, CLINIC2, "clinic").await;
    let pid = hub.add_patient("C4").await.unwrap();
    let d = doc("Document01", &hub.facility_oid, "N");
    let uid = d.unique_id.clone();
    submit(&hub, &pid, vec![d]).await;

    assert!(
        consent_cli::grant(&hub.settings, pid.clone(), true, vec![], false, None)
            .await
            .is_err(),
        "no all-participants grant in the designated-list model"
    );
    let err = consent_cli::grant(
        &hub.settings,
        pid.clone(),
        false,
        vec!["1.2.3.4.5".into()],
        false,
        None,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("not a participant"), "{err}");
    consent_cli::grant(
        &hub.settings,
        pid.clone(),
        false,
        vec![HOSPITAL.into()],
        false,
        None,
    )
    .await
    .unwrap();
    assert_eq!(visible(&hospital.soap, &pid).await, vec![uid.clone()]);
    assert!(
        visible(&clinic2.soap, &pid).await.is_empty(),
        "not designated"
    );
    assert!(
        retrieve(&hub, &clinic2.soap, &uid)
            .await
            .documents
            .is_empty()
    );
    hub.stop().await;
}

#[tokio::test]
async fn restricted_documents_need_restricted_consent_and_secret_ones_stay_with_their_author() {
    let hub = start(Model::AllParticipants).await;
    let hospital = admit(&hub, HOSPITAL, "hospital").await;
    let pharmacy = admit(&hub, PHARMACY, "pharmacy").await;
    let pid = hub.add_patient("C5").await.unwrap();
    let normal = doc("Document01", &hub.facility_oid, "N");
    let restricted = doc("Document02", &hub.facility_oid, "R");
    let secret = doc("Document03", &hub.facility_oid, "V");
    let mut prescription = doc("Document04", &hub.facility_oid, "N");
    prescription.class_code = code("57833-6", fixtures::LOINC, "Prescription");
    let (n, r, v, rx) = (
        normal.unique_id.clone(),
        restricted.unique_id.clone(),
        secret.unique_id.clone(),
        prescription.unique_id.clone(),
    );
    submit(&hub, &pid, vec![normal, restricted, secret, prescription]).await;

    assert_eq!(
        visible(&hub.client().unwrap(), &pid).await,
        sorted(vec![n.clone(), r.clone(), v.clone(), rx.clone()]),
        "the author sees everything it wrote"
    );
    consent_cli::grant(
        &hub.settings,
        pid.clone(),
        false,
        vec![HOSPITAL.into()],
        false,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        visible(&hospital.soap, &pid).await,
        sorted(vec![n.clone(), rx.clone()])
    );
    consent_cli::grant(
        &hub.settings,
        pid.clone(),
        false,
        vec![HOSPITAL.into()],
        true,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        visible(&hospital.soap, &pid).await,
        sorted(vec![n.clone(), r.clone(), rx.clone()]),
        "restricted consent opens restricted documents, never secret ones"
    );
    assert!(
        retrieve(&hub, &hospital.soap, &v)
            .await
            .documents
            .is_empty()
    );

    // A pharmacy sees only the classes its kind is allowed.
    consent_cli::grant(&hub.settings, pid.clone(), true, vec![], true, None)
        .await
        .unwrap();
    assert_eq!(visible(&pharmacy.soap, &pid).await, vec![rx.clone()]);
    hub.stop().await;
}

/// A BPPC consent document acknowledging `policies`, valid `start`..`stop`.
fn bppc(author: &str, policies: &[&str], start: &str, stop: Option<&str>) -> DocSpec {
    let mut d = DocSpec::referral("Consent01", author, b"<ClinicalDocument/>");
    d.mime_type = "text/xml".into();
    d.title = "同意書".into();
    d.author_institution = format!("Consent Desk^^^^^^^^^{author}");
    d.class_code = code("57016-8", fixtures::LOINC, "Privacy policy acknowledgment");
    d.type_code = code("57016-8", fixtures::LOINC, "Privacy policy acknowledgment");
    d.format_code = code("urn:ihe:iti:bppc:2007", IHE_FORMAT, "BPPC");
    d.event_codes = policies
        .iter()
        .map(|p| code(p, "1.2.392.200119.4.9999.77", "policy"))
        .collect();
    d.service_start = Some(start.into());
    d.service_stop = stop.map(str::to_string);
    d
}

#[tokio::test]
async fn bppc_consent_submitted_by_iti41_changes_what_a_care_facility_sees() {
    let hub = start(Model::PerVisitedFacility).await;
    let hospital = admit(&hub, HOSPITAL, "hospital").await;
    let clinic2 = admit(&hub, CLINIC2, "clinic").await;
    let pid = hub.add_patient("C6").await.unwrap();
    let d = doc("Document01", &hub.facility_oid, "N");
    let uid = d.unique_id.clone();
    submit(&hub, &pid, vec![d]).await;
    assert!(visible(&hospital.soap, &pid).await.is_empty());

    // An unknown policy code: the whole submission fails, naming the code.
    let bad = Submission::new(&pid, HOSPITAL).with(bppc(HOSPITAL, &["9.9.9.9"], "20260101", None));
    let r = provide(&hospital.soap, &bad).await;
    assert_eq!(r.status, ResponseStatus::Failure);
    assert_eq!(codes(&r.errors), vec!["XDSRegistryMetadataError"]);
    assert!(r.errors[0].context.contains("9.9.9.9"), "{:?}", r.errors);
    assert!(
        visible(&hospital.soap, &pid).await.is_empty(),
        "nothing stored"
    );

    // The patient signs the visit consent at the hospital.
    let consent_doc = bppc(HOSPITAL, &[POLICY_VISIT], "20260101", None);
    let consent_uid = consent_doc.unique_id.clone();
    let r = provide(
        &hospital.soap,
        &Submission::new(&pid, HOSPITAL).with(consent_doc),
    )
    .await;
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);
    assert_eq!(
        visible(&hospital.soap, &pid).await,
        sorted(vec![uid.clone(), consent_uid.clone()])
    );
    assert!(
        !visible(&clinic2.soap, &pid).await.contains(&uid),
        "only the visited facility"
    );

    // A time-limited consent that already ended opens nothing.
    let expired = bppc(HOSPITAL, &[POLICY_DESIGNATE], "20250101", Some("20250201"));
    let r = provide(
        &hospital.soap,
        &Submission::new(&pid, HOSPITAL).with(expired),
    )
    .await;
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);
    assert!(
        !visible(&clinic2.soap, &pid).await.contains(&uid),
        "expired consent"
    );
    // One still running does.
    let running = bppc(HOSPITAL, &[POLICY_DESIGNATE], "20250101", Some("20991231"));
    let r = provide(
        &hospital.soap,
        &Submission::new(&pid, HOSPITAL).with(running),
    )
    .await;
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);
    assert!(visible(&clinic2.soap, &pid).await.contains(&uid));

    // Opting out by BPPC withdraws every consent at once.
    let opt_out = bppc(HOSPITAL, &[POLICY_OPT_OUT], "20260101", None);
    let r = provide(
        &hospital.soap,
        &Submission::new(&pid, HOSPITAL).with(opt_out),
    )
    .await;
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);
    assert!(!visible(&hospital.soap, &pid).await.contains(&uid));
    assert!(!visible(&clinic2.soap, &pid).await.contains(&uid));
    let report = consent_cli::show(&hub.settings, pid.clone()).await.unwrap();
    assert!(
        report.contains(&format!("document={consent_uid}")),
        "{report}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_region_without_bppc_policy_codes_registers_consent_documents_with_a_warning_and_no_effect()
 {
    let mut p = policy(Model::PerVisitedFacility);
    p.bppc_policies.clear();
    let hub = TestHub::start_with(|s| s.consent = p).await.unwrap();
    let hospital = admit(&hub, HOSPITAL, "hospital").await;
    let pid = hub.add_patient("C6W").await.unwrap();
    let d = doc("Document01", &hub.facility_oid, "N");
    let uid = d.unique_id.clone();
    submit(&hub, &pid, vec![d]).await;

    let consent_doc = bppc(HOSPITAL, &[POLICY_VISIT], "20260101", None);
    let consent_uid = consent_doc.unique_id.clone();
    let r = provide(
        &hospital.soap,
        &Submission::new(&pid, HOSPITAL).with(consent_doc),
    )
    .await;
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);
    assert_eq!(codes(&r.errors), vec!["XDSRegistryMetadataError"]);
    assert!(
        r.errors[0].severity == ebrim::Severity::Warning
            && r.errors[0].context.contains(&consent_uid),
        "{:?}",
        r.errors
    );
    // Registered (the author sees it), but it opened nothing.
    assert_eq!(visible(&hospital.soap, &pid).await, vec![consent_uid]);
    assert!(!visible(&hospital.soap, &pid).await.contains(&uid));
    hub.stop().await;
}

#[tokio::test]
async fn replacing_a_bppc_consent_document_withdraws_what_it_granted() {
    let hub = start(Model::PerVisitedFacility).await;
    let hospital = admit(&hub, HOSPITAL, "hospital").await;
    let pid = hub.add_patient("C7").await.unwrap();
    let d = doc("Document01", &hub.facility_oid, "N");
    let uid = d.unique_id.clone();
    submit(&hub, &pid, vec![d]).await;
    let original = bppc(HOSPITAL, &[POLICY_VISIT], "20260101", None);
    let r = provide(
        &hospital.soap,
        &Submission::new(&pid, HOSPITAL).with(original.clone()),
    )
    .await;
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);
    assert!(visible(&hospital.soap, &pid).await.contains(&uid));
    let q = query(&hospital.soap, &fixtures::find_documents(&pid, "LeafClass")).await;
    let original_id = q
        .objects
        .iter()
        .find_map(|o| match o {
            ebrim::RegistryObject::ExtrinsicObject(e)
                if e.core.external_id(ebrim::vocab::DE_UNIQUE_ID) == Some(&original.unique_id) =>
            {
                Some(e.core.id.clone())
            }
            _ => None,
        })
        .unwrap();

    // The replacement acknowledges a policy for another facility only.
    let replacement = bppc(HOSPITAL, &[POLICY_DESIGNATE], "20260101", None);
    let mut sub = Submission::new(&pid, HOSPITAL).with(replacement);
    sub.extra = format!(
        r#"<rim:Association id="rplc" associationType="urn:ihe:iti:2007:AssociationType:RPLC" sourceObject="Consent01" targetObject="{}"/>"#,
        original_id
    );
    let r = provide(&hospital.soap, &sub).await;
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);
    assert!(
        !visible(&hospital.soap, &pid).await.contains(&uid),
        "the replaced consent no longer counts"
    );
    hub.stop().await;
}

#[tokio::test]
async fn emergency_access_is_opened_with_a_reason_used_audited_and_ends() {
    let hub = start(Model::AllParticipants).await;
    let hospital = admit(&hub, HOSPITAL, "hospital").await;
    let clinic2 = admit(&hub, CLINIC2, "clinic").await;
    let pid = hub.add_patient("C8").await.unwrap();
    let normal = doc("Document01", &hub.facility_oid, "N");
    let restricted = doc("Document02", &hub.facility_oid, "R");
    let secret = doc("Document03", &hub.facility_oid, "V");
    let (n, r, v) = (
        normal.unique_id.clone(),
        restricted.unique_id.clone(),
        secret.unique_id.clone(),
    );
    submit(&hub, &pid, vec![normal, restricted, secret]).await;

    // Refused without the capability, and without a reason.
    let (status, body) = post(
        &clinic2,
        &hub,
        "/emergency-access",
        serde_json::json!({"patient": pid, "reason": "unconscious"}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = post(
        &hospital,
        &hub,
        "/emergency-access",
        serde_json::json!({"patient": pid}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = post(
        &hospital,
        &hub,
        "/emergency-access",
        serde_json::json!({"patient": pid, "reason": "  "}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(visible(&hospital.soap, &pid).await.is_empty());

    // Opened: everything but the secret document, for a bounded time.
    let (status, access) = post(
        &hospital,
        &hub,
        "/emergency-access",
        serde_json::json!({"patient": pid, "reason": "unconscious on arrival, ER", "hours": 2}),
    )
    .await;
    assert_eq!(status, 201, "{access}");
    assert_eq!(
        visible(&hospital.soap, &pid).await,
        sorted(vec![n.clone(), r.clone()])
    );
    assert!(
        retrieve(&hub, &hospital.soap, &v)
            .await
            .documents
            .is_empty()
    );
    assert_eq!(retrieve(&hub, &hospital.soap, &r).await.documents.len(), 1);
    assert!(
        visible(&clinic2.soap, &pid).await.is_empty(),
        "only the facility that opened it"
    );

    // Every use is audited and listed for the operator (and consenting facilities).
    let labels = audit_labels(&hub, &pid).await;
    assert!(
        labels.contains(&"emergency-access-open".to_string()),
        "{labels:?}"
    );
    assert!(
        labels.contains(&"emergency-access-use".to_string()),
        "{labels:?}"
    );
    let report = consent_cli::show(&hub.settings, pid.clone()).await.unwrap();
    assert!(
        report.contains("unconscious on arrival") && report.contains("used "),
        "{report}"
    );
    assert!(
        report.contains(&n),
        "the report lists the documents read: {report}"
    );
    consent_cli::grant(
        &hub.settings,
        pid.clone(),
        false,
        vec![CLINIC2.into()],
        false,
        None,
    )
    .await
    .unwrap();
    let r2 = clinic2
        .json
        .get(format!(
            "{}/consents?patient={}",
            hub.base_url,
            urlencode(&pid)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r2.status().as_u16(), 200);
    let report: serde_json::Value = serde_json::from_slice(&r2.bytes().await.unwrap()).unwrap();
    assert_eq!(report["emergency_accesses"][0]["facility"], HOSPITAL);
    assert!(
        !report["emergency_accesses"][0]["uses"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // When it ends, access ends.
    let id = access["id"].as_str().unwrap().to_string();
    hub.hub
        .store
        .write(move |conn| store::end_emergency_access(conn, &id, chrono::Utc::now().naive_utc()))
        .await
        .unwrap();
    assert!(
        visible(&hospital.soap, &pid).await.is_empty(),
        "expired emergency access"
    );
    hub.stop().await;
}

#[tokio::test]
async fn emergency_access_can_be_asked_for_in_a_soap_header_on_the_query() {
    let hub = start(Model::AllParticipants).await;
    let hospital = admit(&hub, HOSPITAL, "hospital").await;
    let clinic2 = admit(&hub, CLINIC2, "clinic").await;
    let pid = hub.add_patient("C9").await.unwrap();
    let d = doc("Document01", &hub.facility_oid, "N");
    let uid = d.unique_id.clone();
    submit(&hub, &pid, vec![d]).await;

    let with_header = |reason: &str| {
        let body = fixtures::find_documents(&pid, "LeafClass");
        conformance::client::envelope(QUERY, &body).replacen(
            "</soap:Header>",
            &format!(
                r#"<renkei:EmergencyAccess xmlns:renkei="urn:renkei:2026" reason="{reason}"/></soap:Header>"#
            ),
            1,
        )
    };
    let send = |client: &HubClient, xml: String| {
        let client = client.clone();
        async move {
            let reply = client
                .post(
                    "/xds/registry",
                    "application/soap+xml; charset=UTF-8".into(),
                    xml.into_bytes(),
                )
                .await
                .unwrap();
            query_response(&reply)
        }
    };
    let refused = send(&clinic2.soap, with_header("cardiac arrest")).await;
    assert_eq!(refused.status, ResponseStatus::Failure);
    assert!(
        refused.errors[0].context.contains("capability"),
        "{:?}",
        refused.errors
    );
    let no_reason = send(&hospital.soap, with_header("")).await;
    assert_eq!(no_reason.status, ResponseStatus::Failure);

    let opened = send(&hospital.soap, with_header("cardiac arrest")).await;
    assert_eq!(
        opened.status,
        ResponseStatus::Success,
        "{:?}",
        opened.errors
    );
    assert_eq!(opened.objects.len(), 1);
    // The access stays open for its window: plain queries see it too.
    assert_eq!(visible(&hospital.soap, &pid).await, vec![uid]);
    let rows = audit_rows(&hub, &pid).await;
    let opens: Vec<i32> = rows
        .iter()
        .filter(|r| r.0 == "emergency-access-open")
        .map(|r| r.1)
        .collect();
    assert_eq!(
        opens,
        vec![8, 8, 0],
        "two refusals audited, then one opening: {rows:?}"
    );

    // On ITI-43 too: the header opens access to the requested document's patient.
    let other = hub.add_patient("C9B").await.unwrap();
    let d = doc("Document01", &hub.facility_oid, "N");
    let other_uid = d.unique_id.clone();
    submit(&hub, &other, vec![d]).await;
    let retrieve_with_header = |client: &HubClient, reason: &str| {
        let xml = conformance::client::envelope(
            RETRIEVE,
            &fixtures::retrieve(&hub.settings.repository_unique_id, &[&other_uid]),
        )
        .replacen(
            "</soap:Header>",
            &format!(
                r#"<renkei:EmergencyAccess xmlns:renkei="urn:renkei:2026" reason="{reason}"/></soap:Header>"#
            ),
            1,
        );
        let client = client.clone();
        async move {
            let reply = client
                .post(
                    "/xds/repository",
                    "application/soap+xml; charset=UTF-8".into(),
                    xml.into_bytes(),
                )
                .await
                .unwrap();
            let (root, _) = reply.parts().unwrap();
            ebrim::parse::retrieve_document_set_response(&root).unwrap()
        }
    };
    let refused = retrieve_with_header(&clinic2.soap, "stroke").await;
    assert_eq!(refused.status, ResponseStatus::Failure);
    assert!(
        refused.errors[0].context.contains("capability"),
        "{:?}",
        refused.errors
    );
    assert!(
        retrieve(&hub, &hospital.soap, &other_uid)
            .await
            .documents
            .is_empty()
    );
    let got = retrieve_with_header(&hospital.soap, "stroke").await;
    assert_eq!(got.status, ResponseStatus::Success, "{:?}", got.errors);
    assert_eq!(got.documents.len(), 1);
    hub.stop().await;
}

#[tokio::test]
async fn no_stored_query_reveals_a_denied_document_through_refs_associations_or_sets() {
    let hub = start(Model::AllParticipants).await;
    let hospital = admit(&hub, HOSPITAL, "hospital").await;
    let pid = hub.add_patient("C10").await.unwrap();
    let open = doc("Document01", &hub.facility_oid, "N");
    let hidden = doc("Document02", &hub.facility_oid, "V");
    let (open_uid, hidden_uid) = (open.unique_id.clone(), hidden.unique_id.clone());
    submit(&hub, &pid, vec![open, hidden]).await;
    consent_cli::grant(&hub.settings, pid.clone(), true, vec![], true, None)
        .await
        .unwrap();

    // The author learns the entryUUIDs; the hospital then asks about them.
    let author = hub.client().unwrap();
    let q = query(&author, &fixtures::find_documents(&pid, "LeafClass")).await;
    let uuid_of = |uid: &str| {
        q.objects
            .iter()
            .find_map(|o| match o {
                ebrim::RegistryObject::ExtrinsicObject(e)
                    if e.core.external_id(ebrim::vocab::DE_UNIQUE_ID) == Some(uid) =>
                {
                    Some(e.core.id.clone())
                }
                _ => None,
            })
            .unwrap()
    };
    let (open_id, hidden_id) = (uuid_of(&open_uid), uuid_of(&hidden_uid));

    let ask = |id: &str, params: Vec<(&'static str, String)>| {
        let params: Vec<(&str, String)> = params;
        let xml = fixtures::stored_query(
            id,
            "ObjectRef",
            &params
                .iter()
                .map(|(n, v)| (*n, v.as_str()))
                .collect::<Vec<_>>(),
        );
        let client = hospital.soap.clone();
        async move { query(&client, &xml).await }
    };
    let list = |id: &str| format!("('{id}')");
    for (name, query_id, params) in [
        (
            "GetDocuments",
            GET_DOCUMENTS,
            vec![("$XDSDocumentEntryEntryUUID", list(&hidden_id))],
        ),
        (
            "GetAssociations",
            GET_ASSOCIATIONS,
            vec![("$uuid", list(&hidden_id))],
        ),
        (
            "GetSubmissionSets",
            GET_SUBMISSION_SETS,
            vec![("$uuid", list(&hidden_id))],
        ),
        (
            "GetFoldersForDocument",
            GET_FOLDERS_FOR_DOCUMENT,
            vec![("$XDSDocumentEntryEntryUUID", format!("'{hidden_id}'"))],
        ),
    ] {
        let r = ask(query_id, params).await;
        assert_eq!(r.status, ResponseStatus::Success, "{name}: {:?}", r.errors);
        assert!(
            r.object_refs.is_empty(),
            "{name} reveals {:?}",
            r.object_refs
        );
    }
    // GetAll shows the open document and its HasMember, nothing of the secret one.
    let all = ask(
        GET_ALL,
        vec![
            ("$patientId", format!("'{pid}'")),
            ("$XDSDocumentEntryStatus", APPROVED.into()),
            ("$XDSSubmissionSetStatus", APPROVED.into()),
            ("$XDSFolderStatus", APPROVED.into()),
        ],
    )
    .await;
    let refs: Vec<&str> = all.object_refs.iter().map(|r| r.id.as_str()).collect();
    assert!(refs.contains(&open_id.as_str()), "{refs:?}");
    assert!(!refs.contains(&hidden_id.as_str()), "{refs:?}");
    // SubmissionSet + open document + one HasMember: the secret one's HasMember is gone.
    assert_eq!(refs.len(), 3, "{refs:?}");

    // A submission holding only a secret document does not show at all
    // (an empty-looking SubmissionSet would tell that something was sent).
    let only_secret = submit(&hub, &pid, vec![doc("Document01", &hub.facility_oid, "V")]).await;
    let sets = ask(
        FIND_SUBMISSION_SETS,
        vec![
            ("$XDSSubmissionSetPatientId", format!("'{pid}'")),
            ("$XDSSubmissionSetStatus", APPROVED.into()),
        ],
    )
    .await;
    assert_eq!(sets.object_refs.len(), 1, "{:?}", sets.object_refs);
    let contents = ask(
        GET_SS_AND_CONTENTS,
        vec![("$XDSSubmissionSetUniqueId", format!("'{only_secret}'"))],
    )
    .await;
    assert!(
        contents.object_refs.is_empty(),
        "{:?}",
        contents.object_refs
    );
    let author_sets = query(
        &author,
        &fixtures::stored_query(
            FIND_SUBMISSION_SETS,
            "ObjectRef",
            &[
                ("$XDSSubmissionSetPatientId", &format!("'{pid}'")),
                ("$XDSSubmissionSetStatus", APPROVED),
            ],
        ),
    )
    .await;
    assert_eq!(author_sets.object_refs.len(), 2, "the author sees both");
    hub.stop().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn too_many_results_is_judged_on_what_the_requester_may_see() {
    let hub = TestHub::start_with(|s| {
        s.consent = policy(Model::AllParticipants);
        s.max_query_results = 2;
    })
    .await
    .unwrap();
    let hospital = admit(&hub, HOSPITAL, "hospital").await;
    let pid = hub.add_patient("C11").await.unwrap();
    let a = doc("Document01", &hub.facility_oid, "N");
    let b = doc("Document02", &hub.facility_oid, "N");
    let secret = doc("Document03", &hub.facility_oid, "V");
    let (a_uid, b_uid) = (a.unique_id.clone(), b.unique_id.clone());
    submit(&hub, &pid, vec![a, b, secret]).await;
    consent_cli::grant(&hub.settings, pid.clone(), true, vec![], false, None)
        .await
        .unwrap();

    // The author matches three: too many.
    let q = query(
        &hub.client().unwrap(),
        &fixtures::find_documents(&pid, "ObjectRef"),
    )
    .await;
    assert_eq!(codes(&q.errors), vec!["XDSTooManyResults"]);
    // The hospital may see two: a complete answer, no hint of the third.
    assert_eq!(
        visible(&hospital.soap, &pid).await,
        sorted(vec![a_uid, b_uid])
    );
    hub.stop().await;
}
