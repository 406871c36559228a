//! ITI-41 then ITI-18 then ITI-43, as a clinic and a care facility would use them.

use crate::common::*;
use conformance::TestHub;
use conformance::fixtures::{self, DocSpec, Submission};
use conformance::xsd::{self, Schema};
use ebrim::ResponseStatus;

#[tokio::test]
async fn mtom_document_round_trips_byte_for_byte_with_hash_and_size_set() {
    let hub = TestHub::start().await.unwrap();
    let client = hub.client().unwrap();
    let pid = hub.add_patient("P1").await.unwrap();
    let content = "紹介状: 山田花子様 高血圧フォロー\n"
        .repeat(2000)
        .into_bytes();
    let doc = DocSpec::referral("Document01", &hub.facility_oid, &content);
    let sub = Submission::new(&pid, &hub.facility_oid).with(doc.clone());
    let (body, attachments) = sub.provide_and_register_xml(true);

    let reply = client
        .mtom("/xds/repository", PNR, &body, &attachments)
        .await
        .unwrap();
    assert!(
        reply.content_type.starts_with("multipart/related"),
        "ITI-41 answers MTOM"
    );
    let r = registry_response(&reply);
    assert_eq!(r.status, ResponseStatus::Success, "errors: {:?}", r.errors);

    // Find it: the registry set hash, size and repositoryUniqueId.
    let reply = client
        .soap(
            "/xds/registry",
            QUERY,
            &fixtures::find_documents(&pid, "LeafClass"),
        )
        .await
        .unwrap();
    let q = query_response(&reply);
    assert_eq!(q.status, ResponseStatus::Success);
    let entries: Vec<_> = q
        .objects
        .iter()
        .filter_map(|o| match o {
            ebrim::RegistryObject::ExtrinsicObject(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(entries.len(), 1);
    let e = entries[0];
    assert_eq!(e.core.slot_value("hash"), Some(doc.sha1_hex().as_str()));
    assert_eq!(
        e.core.slot_value("size"),
        Some(content.len().to_string().as_str())
    );
    assert_eq!(
        e.core.slot_value("repositoryUniqueId"),
        Some(hub.settings.repository_unique_id.as_str())
    );
    assert_eq!(
        e.core.status.as_deref(),
        Some(ebrim::vocab::STATUS_APPROVED)
    );
    assert_eq!(
        e.core.external_id(ebrim::vocab::DE_UNIQUE_ID),
        Some(doc.unique_id.as_str())
    );

    // Retrieve it.
    let reply = client
        .mtom(
            "/xds/repository",
            RETRIEVE,
            &fixtures::retrieve(&hub.settings.repository_unique_id, &[&doc.unique_id]),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    let (root, parts) = reply.parts().unwrap();
    let env = String::from_utf8(root.to_vec()).unwrap();
    let infoset = xsd::inline_xop(&xsd::body_element(&env).unwrap(), &parts).unwrap();
    xsd::validate(&infoset, Schema::RetrieveDocumentSetResponse).unwrap();
    let r = ebrim::parse::retrieve_document_set_response(env.as_bytes()).unwrap();
    assert_eq!(r.status, ResponseStatus::Success);
    assert_eq!(r.documents.len(), 1);
    assert_eq!(r.documents[0].mime_type, "text/plain");
    assert_eq!(parts.len(), 1);
    assert_eq!(
        parts[0].1.as_ref(),
        content.as_slice(),
        "retrieved bytes equal submitted bytes"
    );
    hub.stop().await;
}

#[tokio::test]
async fn inline_base64_documents_are_accepted() {
    let hub = TestHub::start().await.unwrap();
    let client = hub.client().unwrap();
    let pid = hub.add_patient("P2").await.unwrap();
    let doc = DocSpec::referral("Document01", &hub.facility_oid, b"inline document");
    let sub = Submission::new(&pid, &hub.facility_oid).with(doc.clone());
    let (body, _) = sub.provide_and_register_xml(false);
    let reply = client.soap("/xds/repository", PNR, &body).await.unwrap();
    let r = registry_response(&reply);
    assert_eq!(r.status, ResponseStatus::Success, "errors: {:?}", r.errors);
    hub.stop().await;
}

#[tokio::test]
async fn wrong_hash_fails_and_stores_nothing() {
    let hub = TestHub::start().await.unwrap();
    let client = hub.client().unwrap();
    let pid = hub.add_patient("P3").await.unwrap();
    let mut bad = DocSpec::referral("Document01", &hub.facility_oid, b"the real bytes");
    bad.hash_override = Some("0000000000000000000000000000000000000000".into());
    let good = DocSpec::referral("Document02", &hub.facility_oid, b"another document");
    let sub = Submission::new(&pid, &hub.facility_oid)
        .with(good)
        .with(bad);
    let (body, attachments) = sub.provide_and_register_xml(true);
    let reply = client
        .mtom("/xds/repository", PNR, &body, &attachments)
        .await
        .unwrap();
    let r = registry_response(&reply);
    assert_eq!(r.status, ResponseStatus::Failure);
    assert_eq!(codes(&r.errors), vec!["XDSRepositoryMetadataError"]);

    // Nothing registered, no bytes left behind.
    assert_eq!(stored_entry_count(&hub, &pid).await, 0);
    assert_eq!(blob_files(&hub), 0, "no orphan blobs");
    hub.stop().await;
}

#[tokio::test]
async fn wrong_size_fails_with_repository_metadata_error() {
    let hub = TestHub::start().await.unwrap();
    let client = hub.client().unwrap();
    let pid = hub.add_patient("P3b").await.unwrap();
    let mut bad = DocSpec::referral("Document01", &hub.facility_oid, b"twelve bytes");
    bad.size_override = Some("13".into());
    let (body, attachments) = Submission::new(&pid, &hub.facility_oid)
        .with(bad)
        .provide_and_register_xml(true);
    let r = registry_response(
        &client
            .mtom("/xds/repository", PNR, &body, &attachments)
            .await
            .unwrap(),
    );
    assert_eq!(codes(&r.errors), vec!["XDSRepositoryMetadataError"]);
    assert_eq!(blob_files(&hub), 0);
    hub.stop().await;
}

#[tokio::test]
async fn unknown_patient_is_refused_and_nothing_is_kept() {
    let hub = TestHub::start().await.unwrap();
    let client = hub.client().unwrap();
    let pid = hub.patient("NOBODY");
    let doc = DocSpec::referral("Document01", &hub.facility_oid, b"x");
    let (body, attachments) = Submission::new(&pid, &hub.facility_oid)
        .with(doc)
        .provide_and_register_xml(true);
    let r = registry_response(
        &client
            .mtom("/xds/repository", PNR, &body, &attachments)
            .await
            .unwrap(),
    );
    assert_eq!(r.status, ResponseStatus::Failure);
    assert_eq!(codes(&r.errors), vec!["XDSUnknownPatientId"]);
    assert_eq!(blob_files(&hub), 0);
    hub.stop().await;
}

#[tokio::test]
async fn document_without_metadata_and_metadata_without_document_are_refused() {
    let hub = TestHub::start().await.unwrap();
    let client = hub.client().unwrap();
    let pid = hub.add_patient("P4").await.unwrap();
    let doc = DocSpec::referral("Document01", &hub.facility_oid, b"x");
    let sub = Submission::new(&pid, &hub.facility_oid).with(doc);
    // Metadata without its document.
    let (body, _) = sub.provide_and_register_xml(true);
    let r = registry_response(
        &client
            .mtom("/xds/repository", PNR, &body, &[])
            .await
            .unwrap(),
    );
    assert_eq!(codes(&r.errors), vec!["XDSMissingDocument"]);
    // A document nobody describes.
    let (body, attachments) = sub.provide_and_register_xml(true);
    let body = body.replace(
        "</xds:ProvideAndRegisterDocumentSetRequest>",
        "<xds:Document id=\"Orphan\">b3JwaGFu</xds:Document></xds:ProvideAndRegisterDocumentSetRequest>",
    );
    let r = registry_response(
        &client
            .mtom("/xds/repository", PNR, &body, &attachments)
            .await
            .unwrap(),
    );
    assert_eq!(codes(&r.errors), vec!["XDSMissingDocumentMetadata"]);
    assert_eq!(blob_files(&hub), 0);
    hub.stop().await;
}

#[tokio::test]
async fn retrieve_reports_unknown_documents_and_repositories() {
    let hub = TestHub::start().await.unwrap();
    let client = hub.client().unwrap();
    let pid = hub.add_patient("P5").await.unwrap();
    let doc = DocSpec::referral("Document01", &hub.facility_oid, b"known");
    let (body, attachments) = Submission::new(&pid, &hub.facility_oid)
        .with(doc.clone())
        .provide_and_register_xml(true);
    registry_response(
        &client
            .mtom("/xds/repository", PNR, &body, &attachments)
            .await
            .unwrap(),
    );
    let repo = hub.settings.repository_unique_id.clone();

    let retrieve = |ids: Vec<String>, repo: String| {
        let client = client.clone();
        async move {
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            let reply = client
                .mtom(
                    "/xds/repository",
                    RETRIEVE,
                    &fixtures::retrieve(&repo, &refs),
                    &[],
                )
                .await
                .unwrap();
            let env = reply.envelope().unwrap();
            ebrim::parse::retrieve_document_set_response(&env).unwrap()
        }
    };
    let r = retrieve(
        vec![doc.unique_id.clone(), "1.2.3.4.404".into()],
        repo.clone(),
    )
    .await;
    assert_eq!(r.status, ResponseStatus::PartialSuccess);
    assert_eq!(r.documents.len(), 1);
    assert_eq!(codes(&r.errors), vec!["XDSDocumentUniqueIdError"]);

    let r = retrieve(vec!["1.2.3.4.404".into()], repo.clone()).await;
    assert_eq!(r.status, ResponseStatus::Failure);
    assert_eq!(codes(&r.errors), vec!["XDSDocumentUniqueIdError"]);

    let r = retrieve(vec![doc.unique_id.clone()], "1.2.3.999".into()).await;
    assert_eq!(r.status, ResponseStatus::Failure);
    assert_eq!(codes(&r.errors), vec!["XDSUnknownRepositoryId"]);
    hub.stop().await;
}

/// Files under the blob store (documents written and not deleted).
pub fn blob_files(hub: &TestHub) -> usize {
    fn count(p: &std::path::Path) -> usize {
        std::fs::read_dir(p)
            .map(|rd| {
                rd.flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            count(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    count(&hub.settings.blob_dir())
}
