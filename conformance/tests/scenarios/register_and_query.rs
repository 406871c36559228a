//! ITI-42 registration rules and ITI-18 stored queries.

use crate::common::*;
use conformance::TestHub;
use conformance::fixtures::{self, DocSpec, Submission};
use ebrim::ResponseStatus;
use ebrim::vocab::*;

fn registered(hub: &TestHub, id: &str, content: &[u8]) -> DocSpec {
    let mut d = DocSpec::referral(id, &hub.facility_oid, content);
    d.registry_fields = Some(hub.settings.repository_unique_id.clone());
    d
}

async fn register(hub: &TestHub, sub: &Submission) -> ebrim::parse::RegistryResponse {
    let client = hub.client().unwrap();
    registry_response(
        &client
            .soap("/xds/registry", REGISTER, &sub.submit_objects_xml())
            .await
            .unwrap(),
    )
}

async fn query(hub: &TestHub, body: &str) -> ebrim::parse::AdhocQueryResponse {
    let client = hub.client().unwrap();
    query_response(&client.soap("/xds/registry", QUERY, body).await.unwrap())
}

fn entry_uuid_of(q: &ebrim::parse::AdhocQueryResponse, unique_id: &str) -> String {
    q.objects
        .iter()
        .find_map(|o| match o {
            ebrim::RegistryObject::ExtrinsicObject(e)
                if e.core.external_id(DE_UNIQUE_ID) == Some(unique_id) =>
            {
                Some(e.core.id.clone())
            }
            _ => None,
        })
        .expect("document in result")
}

#[tokio::test]
async fn register_then_find_by_class_code_and_time_range() {
    let hub = TestHub::start().await.unwrap();
    let pid = hub.add_patient("Q1").await.unwrap();
    let a = registered(&hub, "Document01", b"a");
    let mut b = registered(&hub, "Document02", b"b");
    b.class_code = fixtures::code("18842-5", fixtures::LOINC, "Discharge summary");
    b.creation_time = "20250101".into();
    let sub = Submission::new(&pid, &hub.facility_oid)
        .with(a.clone())
        .with(b.clone());
    let r = register(&hub, &sub).await;
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);

    assert_eq!(stored_entry_count(&hub, &pid).await, 2);

    let by_class = fixtures::stored_query(
        SQ_FIND_DOCUMENTS,
        "LeafClass",
        &[
            ("$XDSDocumentEntryPatientId", &format!("'{pid}'")),
            (
                "$XDSDocumentEntryStatus",
                "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')",
            ),
            (
                "$XDSDocumentEntryClassCode",
                &format!("('18842-5^^{}')", fixtures::LOINC),
            ),
        ],
    );
    let q = query(&hub, &by_class).await;
    assert_eq!(q.objects.len(), 1);
    entry_uuid_of(&q, &b.unique_id);

    let by_time = fixtures::stored_query(
        SQ_FIND_DOCUMENTS,
        "ObjectRef",
        &[
            ("$XDSDocumentEntryPatientId", &format!("'{pid}'")),
            (
                "$XDSDocumentEntryStatus",
                "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')",
            ),
            ("$XDSDocumentEntryCreationTimeFrom", "20260101"),
            ("$XDSDocumentEntryCreationTimeTo", "20270101"),
        ],
    );
    assert_eq!(query(&hub, &by_time).await.object_refs.len(), 1);
    hub.stop().await;
}

#[tokio::test]
async fn replacement_deprecates_the_original() {
    let hub = TestHub::start().await.unwrap();
    let pid = hub.add_patient("Q2").await.unwrap();
    let original = registered(&hub, "Document01", b"v1");
    assert_eq!(
        register(
            &hub,
            &Submission::new(&pid, &hub.facility_oid).with(original.clone())
        )
        .await
        .status,
        ResponseStatus::Success
    );
    let q = query(&hub, &fixtures::find_documents(&pid, "LeafClass")).await;
    let original_uuid = entry_uuid_of(&q, &original.unique_id);

    let replacement = registered(&hub, "Document02", b"v2");
    let mut sub = Submission::new(&pid, &hub.facility_oid).with(replacement.clone());
    sub.extra = format!(
        r#"<rim:Association id="rplc" associationType="{ASSOC_RPLC}" sourceObject="Document02" targetObject="{original_uuid}"/>"#
    );
    let r = register(&hub, &sub).await;
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);

    // Approved: only the replacement. Deprecated: the original.
    let q = query(&hub, &fixtures::find_documents(&pid, "LeafClass")).await;
    assert_eq!(q.objects.len(), 1);
    entry_uuid_of(&q, &replacement.unique_id);
    let deprecated = fixtures::stored_query(
        SQ_FIND_DOCUMENTS,
        "LeafClass",
        &[
            ("$XDSDocumentEntryPatientId", &format!("'{pid}'")),
            (
                "$XDSDocumentEntryStatus",
                "('urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated')",
            ),
        ],
    );
    let q = query(&hub, &deprecated).await;
    assert_eq!(entry_uuid_of(&q, &original.unique_id), original_uuid);

    // An addendum to the deprecated original is refused.
    let addendum = registered(&hub, "Document03", b"apnd");
    let mut sub = Submission::new(&pid, &hub.facility_oid).with(addendum);
    sub.extra = format!(
        r#"<rim:Association id="apnd" associationType="{ASSOC_APND}" sourceObject="Document03" targetObject="{original_uuid}"/>"#
    );
    let r = register(&hub, &sub).await;
    assert_eq!(codes(&r.errors), vec!["XDSRegistryDeprecatedDocumentError"]);

    // GetRelatedDocuments finds the replacement from the original.
    let related = fixtures::stored_query(
        SQ_GET_RELATED_DOCUMENTS,
        "ObjectRef",
        &[
            ("$XDSDocumentEntryEntryUUID", &format!("'{original_uuid}'")),
            ("$AssociationTypes", &format!("('{ASSOC_RPLC}')")),
        ],
    );
    let q = query(&hub, &related).await;
    assert_eq!(
        q.object_refs.len(),
        3,
        "original, replacement and the RPLC association"
    );
    hub.stop().await;
}

#[tokio::test]
async fn one_bad_document_rejects_the_whole_submission() {
    let hub = TestHub::start().await.unwrap();
    let pid = hub.add_patient("Q3").await.unwrap();
    let good = registered(&hub, "Document01", b"good");
    let mut bad = registered(&hub, "Document02", b"bad");
    bad.registry_fields = None; // ITI-42 needs hash, size, repositoryUniqueId
    let r = register(
        &hub,
        &Submission::new(&pid, &hub.facility_oid)
            .with(good)
            .with(bad),
    )
    .await;
    assert_eq!(r.status, ResponseStatus::Failure);
    assert!(
        codes(&r.errors)
            .iter()
            .all(|c| c == "XDSRegistryMetadataError"),
        "{:?}",
        r.errors
    );
    assert_eq!(stored_entry_count(&hub, &pid).await, 0);
    hub.stop().await;
}

#[tokio::test]
async fn reused_document_unique_id_with_other_bytes_is_refused() {
    let hub = TestHub::start().await.unwrap();
    let pid = hub.add_patient("Q4").await.unwrap();
    let first = registered(&hub, "Document01", b"first");
    assert_eq!(
        register(
            &hub,
            &Submission::new(&pid, &hub.facility_oid).with(first.clone())
        )
        .await
        .status,
        ResponseStatus::Success
    );
    let mut again = registered(&hub, "Document01", b"different");
    again.unique_id = first.unique_id.clone();
    let r = register(&hub, &Submission::new(&pid, &hub.facility_oid).with(again)).await;
    assert_eq!(codes(&r.errors), vec!["XDSNonIdenticalHash"]);
    hub.stop().await;
}

/// An association id (a `urn:uuid:` the submitter chose) that is already
/// registered refuses the whole submission, and nothing of it is stored:
/// the registry finds the reuse only as it writes the rows, so this proves
/// they are rolled back.
#[tokio::test]
async fn reused_association_id_refuses_the_submission_and_stores_nothing() {
    let hub = TestHub::start().await.unwrap();
    let pid = hub.add_patient("Q5").await.unwrap();
    let client = hub.client().unwrap();
    let fixed = "urn:uuid:6f1d8a52-3c1e-4b8e-9a57-0d5c2f7e4b11";
    let with_fixed_association = |doc: DocSpec| {
        Submission::new(&pid, &hub.facility_oid)
            .with(doc)
            .submit_objects_xml()
            .replacen(
                r#"<rim:Association id="hm0""#,
                &format!(r#"<rim:Association id="{fixed}""#),
                1,
            )
    };
    let first = with_fixed_association(registered(&hub, "Document01", b"first"));
    assert!(first.contains(fixed));
    let r = registry_response(
        &client
            .soap("/xds/registry", REGISTER, &first)
            .await
            .unwrap(),
    );
    assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);

    let second = with_fixed_association(registered(&hub, "Document01", b"second"));
    let r = registry_response(
        &client
            .soap("/xds/registry", REGISTER, &second)
            .await
            .unwrap(),
    );
    assert_eq!(r.status, ResponseStatus::Failure);
    assert_eq!(codes(&r.errors), vec!["XDSRegistryMetadataError"]);
    assert!(
        r.errors[0].context.contains(fixed) && r.errors[0].context.contains("already registered"),
        "{:?}",
        r.errors
    );
    // Only the first submission's DocumentEntry and SubmissionSet exist.
    let found = query(&hub, &fixtures::find_documents(&pid, "ObjectRef")).await;
    assert_eq!(found.object_refs.len(), 1, "{:?}", found.object_refs);
    let sets = query(
        &hub,
        &fixtures::stored_query(
            SQ_FIND_SUBMISSION_SETS,
            "ObjectRef",
            &[
                ("$XDSSubmissionSetPatientId", &format!("'{pid}'")),
                (
                    "$XDSSubmissionSetStatus",
                    "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')",
                ),
            ],
        ),
    )
    .await;
    assert_eq!(sets.object_refs.len(), 1, "{:?}", sets.object_refs);
    hub.stop().await;
}

#[tokio::test]
async fn query_errors_use_the_stored_query_codes() {
    let hub = TestHub::start().await.unwrap();
    let pid = hub.add_patient("Q5").await.unwrap();
    let q = query(
        &hub,
        &fixtures::stored_query(
            "urn:uuid:00000000-0000-0000-0000-000000000000",
            "ObjectRef",
            &[],
        ),
    )
    .await;
    assert_eq!(codes(&q.errors), vec!["XDSUnknownStoredQuery"]);
    let q = query(
        &hub,
        &fixtures::stored_query(
            SQ_FIND_DOCUMENTS,
            "ObjectRef",
            &[("$XDSDocumentEntryPatientId", &format!("'{pid}'"))],
        ),
    )
    .await;
    assert_eq!(codes(&q.errors), vec!["XDSStoredQueryMissingParam"]);
    let q = query(
        &hub,
        &fixtures::stored_query(
            SQ_GET_DOCUMENTS,
            "ObjectRef",
            &[
                ("$XDSDocumentEntryEntryUUID", "('urn:uuid:a')"),
                ("$XDSDocumentEntryUniqueId", "('1.2')"),
            ],
        ),
    )
    .await;
    assert_eq!(codes(&q.errors), vec!["XDSStoredQueryParamNumber"]);
    hub.stop().await;
}

#[tokio::test]
async fn too_many_results_returns_nothing() {
    let hub = TestHub::start_with(|s| s.max_query_results = 2)
        .await
        .unwrap();
    let pid = hub.add_patient("Q6").await.unwrap();
    let sub = Submission::new(&pid, &hub.facility_oid)
        .with(registered(&hub, "Document01", b"1"))
        .with(registered(&hub, "Document02", b"2"))
        .with(registered(&hub, "Document03", b"3"));
    assert_eq!(register(&hub, &sub).await.status, ResponseStatus::Success);
    let q = query(&hub, &fixtures::find_documents(&pid, "ObjectRef")).await;
    assert_eq!(q.status, ResponseStatus::Failure);
    assert_eq!(codes(&q.errors), vec!["XDSTooManyResults"]);
    assert!(q.object_refs.is_empty());
    hub.stop().await;
}

#[tokio::test]
async fn leaf_class_across_patients_is_refused() {
    let hub = TestHub::start().await.unwrap();
    let p1 = hub.add_patient("Q7a").await.unwrap();
    let p2 = hub.add_patient("Q7b").await.unwrap();
    let d1 = registered(&hub, "Document01", b"1");
    let d2 = registered(&hub, "Document01", b"2");
    register(
        &hub,
        &Submission::new(&p1, &hub.facility_oid).with(d1.clone()),
    )
    .await;
    register(
        &hub,
        &Submission::new(&p2, &hub.facility_oid).with(d2.clone()),
    )
    .await;
    let both = format!("('{}','{}')", d1.unique_id, d2.unique_id);
    let q = query(
        &hub,
        &fixtures::stored_query(
            SQ_GET_DOCUMENTS,
            "LeafClass",
            &[("$XDSDocumentEntryUniqueId", &both)],
        ),
    )
    .await;
    assert_eq!(codes(&q.errors), vec!["XDSResultNotSinglePatient"]);
    let q = query(
        &hub,
        &fixtures::stored_query(
            SQ_GET_DOCUMENTS,
            "ObjectRef",
            &[("$XDSDocumentEntryUniqueId", &both)],
        ),
    )
    .await;
    assert_eq!(q.object_refs.len(), 2, "ObjectRef may span patients");
    hub.stop().await;
}

/// Registrations that arrive together share one database transaction on
/// SQLite (group commit); each must still be answered, stored and audited
/// on its own: a rejected one leaves nothing, the others are unaffected,
/// and of two racing submissions of one document uniqueId exactly one wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_are_each_answered_stored_and_audited_alone() {
    let hub = std::sync::Arc::new(TestHub::start().await.unwrap());
    let patients = [
        hub.add_patient("GC1").await.unwrap(),
        hub.add_patient("GC2").await.unwrap(),
    ];
    let mut submissions = Vec::new();
    for i in 0..24 {
        // Every fourth names a patient the registry does not know.
        let pid = if i % 4 == 3 {
            hub.patient(&format!("GCX{i}"))
        } else {
            patients[i % 2].clone()
        };
        let doc = registered(&hub, "Document01", format!("document {i}").as_bytes());
        submissions.push((pid, doc));
    }
    // Two submissions of one uniqueId with different bytes.
    let twin = registered(&hub, "Document01", b"twin a");
    let mut other = registered(&hub, "Document01", b"twin b");
    other.unique_id = twin.unique_id.clone();
    submissions.push((patients[0].clone(), twin));
    submissions.push((patients[0].clone(), other));

    let mut answers = Vec::new();
    for (pid, doc) in submissions.clone() {
        let hub = std::sync::Arc::clone(&hub);
        answers.push(tokio::spawn(async move {
            let sub = Submission::new(&pid, &hub.facility_oid).with(doc);
            register(&hub, &sub).await
        }));
    }
    let mut stored: Vec<Vec<String>> = vec![Vec::new(), Vec::new()];
    let (mut successes, mut failures) = (0, 0);
    for (i, answer) in answers.into_iter().enumerate() {
        let r = answer.await.unwrap();
        let (pid, doc) = &submissions[i];
        if i < 24 && i % 4 == 3 {
            assert_eq!(r.status, ResponseStatus::Failure, "{i}");
            assert_eq!(codes(&r.errors), vec!["XDSUnknownPatientId"], "{i}");
        } else if i < 24 {
            assert_eq!(r.status, ResponseStatus::Success, "{i}: {:?}", r.errors);
        }
        if r.status == ResponseStatus::Success {
            successes += 1;
            stored[usize::from(pid != &patients[0])].push(doc.unique_id.clone());
        } else {
            failures += 1;
        }
    }
    assert_eq!(failures, 6 + 1, "six unknown patients and one of the twins");
    assert_eq!(successes, 18 + 1);

    for (pid, expected) in patients.iter().zip(stored.iter_mut()) {
        let q = query(&hub, &fixtures::find_documents(pid, "LeafClass")).await;
        let mut found: Vec<String> = q
            .objects
            .iter()
            .filter_map(|o| match o {
                ebrim::RegistryObject::ExtrinsicObject(e) => {
                    e.core.external_id(DE_UNIQUE_ID).map(str::to_string)
                }
                _ => None,
            })
            .collect();
        found.sort();
        expected.sort();
        assert_eq!(&found, expected, "{pid}");
    }

    let records =
        hub::audit::report::search(&hub.hub.store, &hub::audit::report::AuditQuery::default())
            .await
            .unwrap();
    let iti42: Vec<_> = records
        .iter()
        .filter(|r| r.transaction == "ITI-42")
        .collect();
    assert_eq!(iti42.iter().filter(|r| r.outcome == 0).count(), successes);
    assert_eq!(iti42.iter().filter(|r| r.outcome != 0).count(), failures);
    for i in (3..24).step_by(4) {
        let nobody = hub.patient(&format!("GCX{i}"));
        assert_eq!(
            iti42
                .iter()
                .filter(|r| r.patient.as_deref() == Some(nobody.as_str()))
                .map(|r| r.outcome)
                .collect::<Vec<_>>(),
            vec![8],
            "{nobody}"
        );
    }
    assert!(
        hub::audit::verify(&hub.hub.store)
            .await
            .unwrap()
            .is_intact()
    );
    match std::sync::Arc::try_unwrap(hub) {
        Ok(hub) => hub.stop().await,
        Err(_) => panic!("the hub is still shared"),
    }
}
