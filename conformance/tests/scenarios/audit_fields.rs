//! Each XDS transaction's ATNA message, field by field, as IHE ITI TF-2
//! describes it for the hub's role (IHE-REFERENCE.md §9.2; structure as in
//! the IPF/MESA samples in ../shared/conformance/atna/audit-samples): event
//! codes, participants with their roles, and every participant object with
//! its type, role, id type and details. Successes, minor (4) and serious (8)
//! failures. Every message validates against the DICOM audit schema.

use crate::audit::validate_audit_xml;
use crate::common::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use conformance::TestHub;
use conformance::fixtures::{self, DocSpec, Submission};
use ebrim::ResponseStatus;
use hub::audit::report::{AuditQuery, AuditRecord};

const SUBMISSION_SET_NODE: &str = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";

/// The parts of an audit message IHE specifies, decoded.
#[derive(Debug, PartialEq, Eq)]
struct Message {
    /// EventActionCode, EventOutcomeIndicator, EventID csd-code.
    event: (String, String, String),
    type_codes: Vec<String>,
    participants: Vec<Participant>,
    objects: Vec<Object>,
}

#[derive(Debug, PartialEq, Eq)]
struct Participant {
    user_id: String,
    is_requestor: bool,
    role: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
struct Object {
    id: String,
    type_code: String,
    role: String,
    id_type: String,
    /// ParticipantObjectDetail type and base64-decoded value.
    details: Vec<(String, String)>,
    /// ParticipantObjectQuery, base64-decoded.
    query: Option<String>,
}

fn decode(b64: &str) -> String {
    String::from_utf8(BASE64.decode(b64.trim()).unwrap()).unwrap()
}

fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    n.children().filter(|c| c.has_tag_name(name)).collect()
}

fn parse(xml: &str) -> Message {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "AuditMessage");
    let ev = child(root, "EventIdentification")[0];
    let attr = |n: roxmltree::Node<'_, '_>, a: &str| n.attribute(a).unwrap_or_default().to_string();
    let code = |n: roxmltree::Node<'_, '_>| attr(n, "csd-code");
    Message {
        event: (
            attr(ev, "EventActionCode"),
            attr(ev, "EventOutcomeIndicator"),
            code(child(ev, "EventID")[0]),
        ),
        type_codes: child(ev, "EventTypeCode").into_iter().map(code).collect(),
        participants: child(root, "ActiveParticipant")
            .into_iter()
            .map(|p| Participant {
                user_id: attr(p, "UserID"),
                is_requestor: attr(p, "UserIsRequestor") == "true",
                role: child(p, "RoleIDCode").first().map(|r| code(*r)),
            })
            .collect(),
        objects: child(root, "ParticipantObjectIdentification")
            .into_iter()
            .map(|o| Object {
                id: attr(o, "ParticipantObjectID"),
                type_code: attr(o, "ParticipantObjectTypeCode"),
                role: attr(o, "ParticipantObjectTypeCodeRole"),
                id_type: code(child(o, "ParticipantObjectIDTypeCode")[0]),
                details: child(o, "ParticipantObjectDetail")
                    .into_iter()
                    .map(|d| (attr(d, "type"), decode(&attr(d, "value"))))
                    .collect(),
                query: child(o, "ParticipantObjectQuery")
                    .first()
                    .and_then(|q| q.text())
                    .map(decode),
            })
            .collect(),
    }
}

fn description(xml: &str) -> String {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .find(|n| n.has_tag_name("EventOutcomeDescription"))
        .and_then(|n| n.text())
        .unwrap_or_default()
        .to_string()
}

fn patient_object(pid: &str) -> Object {
    Object {
        id: pid.to_string(),
        type_code: "1".into(),
        role: "1".into(),
        id_type: "2".into(),
        details: vec![],
        query: None,
    }
}

fn document_object(uid: &str, repository: &str) -> Object {
    Object {
        id: uid.to_string(),
        type_code: "2".into(),
        role: "3".into(),
        id_type: "9".into(),
        details: vec![("Repository Unique Id".into(), repository.to_string())],
        query: None,
    }
}

fn participant(user_id: &str, is_requestor: bool, role: &str) -> Participant {
    Participant {
        user_id: user_id.to_string(),
        is_requestor,
        role: Some(role.to_string()),
    }
}

const SOURCE: &str = "110153";
const DESTINATION: &str = "110152";

async fn xds_records(hub: &TestHub) -> Vec<AuditRecord> {
    hub::audit::report::search(&hub.hub.store, &AuditQuery::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.transaction.starts_with("ITI-"))
        .collect()
}

/// The hub's participant UserID for an endpoint.
fn hub_endpoint(hub: &TestHub, path: &str) -> String {
    format!(
        "{}{path}",
        hub::auditing::audit_source(&hub.settings).base_url
    )
}

#[tokio::test]
async fn provide_and_register_query_and_retrieve_messages_field_by_field() {
    let hub = TestHub::start().await.unwrap();
    let fac = hub.facility_oid.clone();
    let repo = hub.settings.repository_unique_id.clone();
    let pid = hub.add_patient("FIELDS1").await.unwrap();
    let client = hub.client().unwrap();

    // ITI-41 with two documents.
    let a = DocSpec::referral("Document01", &fac, b"first letter");
    let b = DocSpec::referral("Document02", &fac, b"second letter");
    let submission = Submission::new(&pid, &fac).with(a.clone()).with(b.clone());
    let (body, attachments) = submission.provide_and_register_xml(true);
    let body = body.replace("1.2.392.200119.6.102.1234567890", &fac);
    let r = registry_response(
        &client
            .mtom("/xds/repository", PNR, &body, &attachments)
            .await
            .unwrap(),
    );
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);
    // ITI-18 FindDocuments.
    let query_xml = fixtures::find_documents(&pid, "ObjectRef");
    let q = query_response(
        &client
            .soap("/xds/registry", QUERY, &query_xml)
            .await
            .unwrap(),
    );
    assert_eq!(q.status, ResponseStatus::Success);
    // ITI-43 of one document.
    let reply = client
        .mtom(
            "/xds/repository",
            RETRIEVE,
            &fixtures::retrieve(&repo, &[&a.unique_id]),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 200);

    let records = xds_records(&hub).await;
    assert_eq!(
        records
            .iter()
            .map(|r| r.transaction.as_str())
            .collect::<Vec<_>>(),
        ["ITI-41", "ITI-18", "ITI-43"]
    );
    for r in &records {
        validate_audit_xml(&r.message);
    }

    // ITI-41, Repository as Document Recipient: Import, the Source (the
    // facility) sends to the Destination (the hub); patient, SubmissionSet,
    // then each document.
    assert_eq!(
        parse(&records[0].message),
        Message {
            event: ("C".into(), "0".into(), "110107".into()),
            type_codes: vec!["ITI-41".into()],
            participants: vec![
                participant(&fac, true, SOURCE),
                participant(&hub_endpoint(&hub, "/xds/repository"), false, DESTINATION),
            ],
            objects: vec![
                patient_object(&pid),
                Object {
                    id: submission.ss_unique_id.clone(),
                    type_code: "2".into(),
                    role: "20".into(),
                    id_type: SUBMISSION_SET_NODE.into(),
                    details: vec![],
                    query: None,
                },
                document_object(&a.unique_id, &repo),
                document_object(&b.unique_id, &repo),
            ],
        }
    );

    // ITI-18, Registry: Query; the query object carries the stored query id,
    // the AdhocQueryRequest in base64 and its encoding.
    let m = parse(&records[1].message);
    assert_eq!(m.event, ("E".into(), "0".into(), "110112".into()));
    assert_eq!(m.type_codes, ["ITI-18"]);
    assert_eq!(
        m.participants,
        vec![
            participant(&fac, true, SOURCE),
            participant(&hub_endpoint(&hub, "/xds/registry"), false, DESTINATION),
        ]
    );
    let query = m.objects.iter().find(|o| o.role == "24").unwrap();
    assert_eq!(
        (
            query.id.as_str(),
            query.type_code.as_str(),
            query.id_type.as_str()
        ),
        (ebrim::vocab::SQ_FIND_DOCUMENTS, "2", "ITI-18")
    );
    assert_eq!(
        query.details,
        [("QueryEncoding".to_string(), "UTF-8".to_string())]
    );
    let request = query.query.clone().unwrap();
    let parsed =
        ebrim::parse::adhoc_query_request(request.as_bytes(), &ebrim::parse::Limits::default())
            .unwrap_or_else(|e| {
                panic!("the audited query is an AdhocQueryRequest: {e}\n{request}")
            });
    assert_eq!(parsed.query_id, ebrim::vocab::SQ_FIND_DOCUMENTS);
    assert!(request.contains("$XDSDocumentEntryPatientId"), "{request}");
    assert!(request.contains(&pid.replace('&', "&amp;")), "{request}");
    assert_eq!(m.objects[0], patient_object(&pid));

    // ITI-43, Repository: Export; the hub is the Source and comes first,
    // the consumer is the Destination; the document carries the
    // Repository Unique Id.
    assert_eq!(
        parse(&records[2].message),
        Message {
            event: ("R".into(), "0".into(), "110106".into()),
            type_codes: vec!["ITI-43".into()],
            participants: vec![
                participant(&hub_endpoint(&hub, "/xds/repository"), false, SOURCE),
                participant(&fac, true, DESTINATION),
            ],
            objects: vec![patient_object(&pid), document_object(&a.unique_id, &repo)],
        }
    );
    hub.stop().await;
}

#[tokio::test]
async fn failures_carry_outcome_4_or_8_and_say_why() {
    let hub = TestHub::start().await.unwrap();
    let fac = hub.facility_oid.clone();
    let repo = hub.settings.repository_unique_id.clone();
    let pid = hub.add_patient("FIELDS2").await.unwrap();
    let client = hub.client().unwrap();
    let doc = DocSpec::referral("Document01", &fac, b"kept");
    let (body, attachments) = Submission::new(&pid, &fac)
        .with(doc.clone())
        .provide_and_register_xml(true);
    let body = body.replace("1.2.392.200119.6.102.1234567890", &fac);
    client
        .mtom("/xds/repository", PNR, &body, &attachments)
        .await
        .unwrap();

    // ITI-43 of one existing and one unknown document: PartialSuccess.
    let missing = "1.2.3.4.5.404";
    let reply = client
        .mtom(
            "/xds/repository",
            RETRIEVE,
            &fixtures::retrieve(&repo, &[&doc.unique_id, missing]),
            &[],
        )
        .await
        .unwrap();
    let r = ebrim::parse::retrieve_document_set_response(&reply.envelope().unwrap()).unwrap();
    assert_eq!(r.status, ResponseStatus::PartialSuccess);
    // ITI-18 of a stored query that does not exist: Failure.
    let unknown_query = fixtures::find_documents(&pid, "ObjectRef").replace(
        ebrim::vocab::SQ_FIND_DOCUMENTS,
        "urn:uuid:00000000-0000-0000-0000-000000000000",
    );
    let q = query_response(
        &client
            .soap("/xds/registry", QUERY, &unknown_query)
            .await
            .unwrap(),
    );
    assert_eq!(q.status, ResponseStatus::Failure);

    let records = xds_records(&hub).await;
    assert_eq!(
        records
            .iter()
            .map(|r| (r.transaction.as_str(), r.outcome))
            .collect::<Vec<_>>(),
        [("ITI-41", 0), ("ITI-43", 0), ("ITI-43", 4), ("ITI-18", 8)]
    );
    for r in &records {
        validate_audit_xml(&r.message);
    }
    // The delivered document: its own success record.
    assert_eq!(
        parse(&records[1].message).objects,
        vec![patient_object(&pid), document_object(&doc.unique_id, &repo)]
    );
    // The missing one: minor failure, no patient (none is known for it).
    let m = parse(&records[2].message);
    assert_eq!(m.event, ("R".into(), "4".into(), "110106".into()));
    assert_eq!(m.objects, vec![document_object(missing, &repo)]);
    assert!(
        description(&records[2].message).contains("XDSDocumentUniqueIdError"),
        "{}",
        records[2].message
    );
    // The unknown stored query: serious failure, the query still recorded.
    let m = parse(&records[3].message);
    assert_eq!(m.event, ("E".into(), "8".into(), "110112".into()));
    let query = m.objects.iter().find(|o| o.role == "24").unwrap();
    assert_eq!(query.id, "urn:uuid:00000000-0000-0000-0000-000000000000");
    assert!(
        description(&records[3].message).contains("XDSUnknownStoredQuery"),
        "{}",
        records[3].message
    );
    hub.stop().await;
}
