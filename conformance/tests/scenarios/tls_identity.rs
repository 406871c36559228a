//! Mutual TLS: no certificate, no service.

use conformance::{HubClient, TestHub};

#[tokio::test]
async fn connection_without_client_certificate_is_refused() {
    let hub = TestHub::start().await.unwrap();
    let ca = std::fs::read(hub.client_dir.join("ca.pem")).unwrap();
    let anonymous = HubClient::new(&hub.base_url, &ca, None).unwrap();
    let result = anonymous
        .soap("/xds/registry", crate::common::QUERY, "<x/>")
        .await;
    assert!(
        result.is_err(),
        "the TLS handshake must fail without a client certificate"
    );
    hub.stop().await;
}

#[tokio::test]
async fn ops_health_answers_on_plain_http() {
    let hub = TestHub::start().await.unwrap();
    let url = format!("http://{}/health", hub.hub.ops_addr);
    let body = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(body.contains("\"ok\""), "{body}");
    hub.stop().await;
}
