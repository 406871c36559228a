//! Bad input gets a standard error, never a crash, and the hub keeps serving.

use crate::common::*;
use conformance::TestHub;
use conformance::client::envelope;

async fn post(
    hub: &TestHub,
    path: &str,
    ct: &str,
    body: Vec<u8>,
) -> conformance::client::SoapReply {
    hub.client()
        .unwrap()
        .post(path, ct.to_string(), body)
        .await
        .unwrap()
}

#[tokio::test]
async fn unsupported_action_is_a_soap_fault() {
    let hub = TestHub::start().await.unwrap();
    let reply = hub
        .client()
        .unwrap()
        .soap("/xds/registry", "urn:example:NotAnAction", "<x/>")
        .await
        .unwrap();
    assert_eq!(reply.status, 400);
    let text = reply.text();
    assert!(text.contains("ActionNotSupported"), "{text}");
    conformance::xsd::validate(&text, conformance::xsd::Schema::SoapEnvelope).unwrap();
    // A registry action at the repository endpoint is not supported either.
    let reply = hub
        .client()
        .unwrap()
        .soap("/xds/repository", REGISTER, "<x/>")
        .await
        .unwrap();
    assert!(reply.text().contains("ActionNotSupported"));
    hub.stop().await;
}

#[tokio::test]
async fn dtd_and_entities_are_refused() {
    let hub = TestHub::start().await.unwrap();
    let body = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>&lol2;</soap:Body></soap:Envelope>"#;
    let reply = post(
        &hub,
        "/xds/registry",
        "application/soap+xml",
        body.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(reply.text().contains("Fault"));
    hub.stop().await;
}

#[tokio::test]
async fn malformed_and_truncated_requests_get_faults_and_the_hub_keeps_serving() {
    let hub = TestHub::start().await.unwrap();
    let full = envelope(
        QUERY,
        "<query:AdhocQueryRequest xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\">",
    );
    for cut in [0, 10, 100, full.len() / 2, full.len()] {
        let reply = post(
            &hub,
            "/xds/registry",
            "application/soap+xml",
            full.as_bytes()[..cut].to_vec(),
        )
        .await;
        assert_eq!(reply.status, 400, "cut at {cut}: {}", reply.text());
    }
    // Missing Action header.
    let no_action = r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body/></soap:Envelope>"#;
    let reply = post(
        &hub,
        "/xds/registry",
        "application/soap+xml",
        no_action.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(reply.status, 400);
    // Deep nesting.
    let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let reply = post(
        &hub,
        "/xds/registry",
        "application/soap+xml",
        envelope(QUERY, &deep).into_bytes(),
    )
    .await;
    assert_eq!(reply.status, 400);
    // Broken MTOM.
    let reply = post(
        &hub,
        "/xds/repository",
        "multipart/related; boundary=xyz; type=\"application/xop+xml\"",
        b"--xyz\r\nContent-Type: text/plain\r\n\r\nno end".to_vec(),
    )
    .await;
    assert_eq!(reply.status, 400);
    // Still serving.
    let pid = hub.add_patient("W1").await.unwrap();
    let q = hub
        .client()
        .unwrap()
        .soap(
            "/xds/registry",
            QUERY,
            &conformance::fixtures::find_documents(&pid, "ObjectRef"),
        )
        .await
        .unwrap();
    assert_eq!(query_response(&q).status, ebrim::ResponseStatus::Success);
    hub.stop().await;
}

#[tokio::test]
async fn unknown_must_understand_header_is_a_fault() {
    let hub = TestHub::start().await.unwrap();
    let env = envelope(QUERY, "<x/>").replace(
        "</soap:Header>",
        "<sec:Secret xmlns:sec=\"urn:example\" soap:mustUnderstand=\"1\">x</sec:Secret></soap:Header>",
    );
    let reply = post(
        &hub,
        "/xds/registry",
        "application/soap+xml",
        env.into_bytes(),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(reply.text().contains("MustUnderstand"), "{}", reply.text());
    hub.stop().await;
}

#[tokio::test]
async fn oversize_request_gets_413() {
    let hub = TestHub::start_with(|s| {
        s.max_request_bytes = 64 * 1024;
        s.max_envelope_bytes = 16 * 1024;
    })
    .await
    .unwrap();
    let big = envelope(QUERY, &"<x/>".repeat(10_000));
    let reply = post(
        &hub,
        "/xds/registry",
        "application/soap+xml",
        big.into_bytes(),
    )
    .await;
    assert_eq!(reply.status, 413);
    hub.stop().await;
}
