//! `/admin/`: the operator's JSON API over HTTPS, for the same operations as
//! the `renkei facility` / `renkei certs` commands ([`crate::facility`]).
//! Only a certificate of an `operator` facility gets in; the document is at
//! `/admin/openapi.json`.
//!
//! Changes made here (revocation, suspension) reach the TLS layer at once;
//! changes made with the CLI arrive with the next database refresh (2 s).

mod audit;
mod certificates;
mod consents;
mod facilities;
mod patients;

use crate::facility::{ErrorClass, OpsError};
use crate::policy::Permission;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use certs::PeerIdentity;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The OpenAPI 3.1 description of this API.
pub const OPENAPI: &str = include_str!("openapi.json");

/// Largest accepted request body (a CSR is about 1 KiB).
const MAX_BODY: usize = 64 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .app_data(web::PayloadConfig::new(MAX_BODY))
            .route("/openapi.json", web::get().to(openapi))
            .route("/tls", web::get().to(tls_status))
            .route("/facilities", web::get().to(facilities::list))
            .route("/facilities", web::post().to(facilities::add))
            .route("/facilities/{oid}", web::get().to(facilities::show))
            .route(
                "/facilities/{oid}/suspend",
                web::post().to(facilities::suspend),
            )
            .route(
                "/facilities/{oid}/reinstate",
                web::post().to(facilities::reinstate),
            )
            .route(
                "/facilities/{oid}/certificates",
                web::post().to(certificates::issue),
            )
            .route(
                "/facilities/{oid}/revoke",
                web::post().to(certificates::revoke_facility),
            )
            .route("/certificates", web::get().to(certificates::list))
            .route(
                "/certificates/{serial}/revoke",
                web::post().to(certificates::revoke_serial),
            )
            .route("/crl", web::get().to(certificates::crl))
            .route("/consents", web::get().to(consents::report))
            .route("/consents", web::post().to(consents::grant))
            .route("/consents/withdraw", web::post().to(consents::withdraw))
            .route(
                "/emergency-access",
                web::post().to(consents::open_emergency),
            )
            .route("/audit/patient", web::get().to(audit::patient))
            .route("/audit/search", web::get().to(audit::search))
            .route("/audit/verify", web::get().to(audit::verify))
            .route("/patients", web::post().to(patients::add))
            .route("/patients/link", web::post().to(patients::link))
            .route("/patients/unlink", web::post().to(patients::unlink))
            .route("/patients/duplicates", web::get().to(patients::duplicates))
            .route("/patients/{cx}", web::get().to(patients::show)),
    );
}

/// An admin API failure, answered as `{"error": "..."}`.
#[derive(Debug)]
pub struct AdminError {
    status: StatusCode,
    message: String,
}

impl AdminError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        AdminError {
            status,
            message: message.into(),
        }
    }

    fn response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(ErrorBody {
            error: &self.message,
        })
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

impl From<OpsError> for AdminError {
    fn from(e: OpsError) -> Self {
        let status = match e.class() {
            ErrorClass::NotFound => StatusCode::NOT_FOUND,
            ErrorClass::Conflict => StatusCode::CONFLICT,
            ErrorClass::Invalid => StatusCode::BAD_REQUEST,
            ErrorClass::Internal => {
                tracing::error!(error = %e, "admin API operation failed");
                return AdminError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the operation failed on the hub; nothing was changed, see the hub's log",
                );
            }
        };
        AdminError::new(status, e.to_string())
    }
}

/// The operator behind this request, or the refusal. Checked here for every
/// handler, not only by the path pre-check in `checked_peer`.
fn operator(req: &HttpRequest, state: &AppState) -> Result<PeerIdentity, AdminError> {
    let forbidden = |m: String| AdminError::new(StatusCode::FORBIDDEN, m);
    let peer = crate::http::checked_peer(req, state).map_err(forbidden)?;
    state
        .access
        .check(&peer.facility_oid, Permission::Admin)
        .map_err(|e| forbidden(e.to_string()))?;
    Ok(peer)
}

/// The participant registry acting for this operator: its changes are
/// audited with the operator facility from the request's certificate.
fn participants_for(
    req: &HttpRequest,
    state: &AppState,
    peer: &PeerIdentity,
) -> crate::facility::Participants {
    let requestor = ::audit::Requestor {
        facility_oid: Some(peer.facility_oid.clone()),
        user: peer.common_name.clone(),
        address: req.peer_addr().map(|a| a.ip().to_string()),
    };
    state.participants.acting_as(requestor)
}

/// Parses a JSON body (after the caller is known to be the operator).
fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        AdminError::new(
            StatusCode::BAD_REQUEST,
            format!("the request body is not the JSON this endpoint expects: {e}; see /admin/openapi.json"),
        )
    })
}

fn respond<T: Serialize>(status: StatusCode, result: Result<T, AdminError>) -> HttpResponse {
    match result {
        Ok(body) => HttpResponse::build(status).json(body),
        Err(e) => e.response(),
    }
}

async fn openapi(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match operator(&req, &state) {
        Ok(_) => HttpResponse::Ok()
            .content_type("application/json")
            .body(OPENAPI),
        Err(e) => e.response(),
    }
}

async fn tls_status(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    respond(
        StatusCode::OK,
        operator(&req, &state).map(|_| state.pki.status()),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn openapi_document_describes_every_route() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let paths = doc["paths"].as_object().unwrap();
        for (path, method) in [
            ("/admin/openapi.json", "get"),
            ("/admin/tls", "get"),
            ("/admin/facilities", "get"),
            ("/admin/facilities", "post"),
            ("/admin/facilities/{oid}", "get"),
            ("/admin/facilities/{oid}/suspend", "post"),
            ("/admin/facilities/{oid}/reinstate", "post"),
            ("/admin/facilities/{oid}/certificates", "post"),
            ("/admin/facilities/{oid}/revoke", "post"),
            ("/admin/certificates", "get"),
            ("/admin/certificates/{serial}/revoke", "post"),
            ("/admin/crl", "get"),
            ("/admin/consents", "get"),
            ("/admin/consents", "post"),
            ("/admin/consents/withdraw", "post"),
            ("/admin/emergency-access", "post"),
            ("/admin/audit/patient", "get"),
            ("/admin/audit/search", "get"),
            ("/admin/audit/verify", "get"),
            ("/admin/patients", "post"),
            ("/admin/patients/link", "post"),
            ("/admin/patients/unlink", "post"),
            ("/admin/patients/duplicates", "get"),
            ("/admin/patients/{cx}", "get"),
        ] {
            assert!(
                paths.get(path).and_then(|p| p.get(method)).is_some(),
                "{method} {path} is not documented"
            );
        }
        assert_eq!(paths.len(), 22, "documented paths without a route?");
        // Every $ref resolves.
        let text = super::OPENAPI;
        for piece in text.split("\"$ref\": \"#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "missing schema {name}"
            );
        }
    }
}
