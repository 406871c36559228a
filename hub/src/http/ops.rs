//! The operations listener: plain HTTP on loopback, `/health` and `/metrics`.
//! It never carries patient data.

use actix_web::{HttpResponse, web};
use store::Store;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/metrics", web::get().to(metrics));
}

async fn health(store: web::Data<Store>) -> HttpResponse {
    match store.ping().await {
        Ok(()) => HttpResponse::Ok()
            .content_type("application/json")
            .body(r#"{"status":"ok","database":"ok"}"#),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            HttpResponse::ServiceUnavailable()
                .content_type("application/json")
                .body(r#"{"status":"unavailable","database":"unreachable"}"#)
        }
    }
}

async fn metrics(
    store: web::Data<Store>,
    pki: web::Data<crate::pki_watch::PkiRuntime>,
    node_auth: web::Data<crate::node_auth::NodeAuthAudit>,
) -> HttpResponse {
    let mut body = crate::metrics::render();
    body.push_str(&node_auth.render_metrics());
    body.push_str(&pki.render_metrics(&store).await);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}
