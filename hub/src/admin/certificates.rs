//! `/admin/certificates`, `/admin/facilities/{oid}/certificates|revoke`,
//! `/admin/crl`: issue, sign a CSR, list, report expiry, revoke, publish the CRL.

use super::{AdminError, json_body, operator, participants_for, respond};
use crate::facility::{DEFAULT_VALIDITY_DAYS, IssueOptions};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

/// Days until the next CRL is due, as written into published CRLs.
const CRL_NEXT_UPDATE_DAYS: u32 = 7;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueRequest {
    /// PEM CSR: sign it (the participant keeps its key). Absent: the hub
    /// generates a key and returns it once in the response.
    #[serde(default)]
    csr_pem: Option<String>,
    #[serde(default)]
    common_name: Option<String>,
    #[serde(default)]
    validity_days: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RevokeRequest {
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    facility: Option<String>,
    #[serde(default)]
    expiring_within_days: Option<u32>,
}

pub async fn issue(
    req: HttpRequest,
    oid: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let result = async {
        let peer = operator(&req, &state)?;
        let participants = participants_for(&req, &state, &peer);
        let request: IssueRequest = json_body(&body)?;
        let options = IssueOptions {
            common_name: request.common_name,
            validity_days: request.validity_days.unwrap_or(DEFAULT_VALIDITY_DAYS),
        };
        let bundle = match &request.csr_pem {
            Some(csr) => participants.sign_csr(&oid, csr, &options).await?,
            None => participants.issue(&oid, &options).await?,
        };
        tracing::info!(facility = %oid, serial = %bundle.certificate.serial, "certificate issued");
        Ok::<_, AdminError>(bundle)
    };
    respond(StatusCode::CREATED, result.await)
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let result = async {
        operator(&req, &state)?;
        let query = web::Query::<ListQuery>::from_query(req.query_string()).map_err(|e| {
            AdminError::new(
                StatusCode::BAD_REQUEST,
                format!("query parameters: {e}; use ?facility=OID and/or ?expiring_within_days=N"),
            )
        })?;
        let certs = match query.expiring_within_days {
            Some(days) => {
                let mut certs = state.participants.expiring(days).await?;
                if let Some(oid) = &query.facility {
                    certs.retain(|c| &c.facility_oid == oid);
                }
                certs
            }
            None => {
                state
                    .participants
                    .certificates(query.facility.as_deref())
                    .await?
            }
        };
        Ok::<_, AdminError>(certs)
    };
    respond(StatusCode::OK, result.await)
}

pub async fn revoke_serial(
    req: HttpRequest,
    serial: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let result = async {
        let peer = operator(&req, &state)?;
        let request: RevokeRequest = json_body(&body)?;
        let reason = reason(request.reason.as_deref())?;
        if certs::normalize_serial_hex(&serial).is_ok_and(|s| s == peer.serial_hex) {
            return Err(AdminError::new(
                StatusCode::CONFLICT,
                "refusing to revoke the certificate this request is made with; use `renkei certs revoke` on the hub if you mean it",
            ));
        }
        let revoked = participants_for(&req, &state, &peer)
            .revoke_serial(&serial, reason)
            .await?;
        apply_revocations(&state, std::slice::from_ref(&revoked.serial));
        Ok(revoked)
    };
    respond(StatusCode::OK, result.await)
}

pub async fn revoke_facility(
    req: HttpRequest,
    oid: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let result = async {
        let peer = operator(&req, &state)?;
        let request: RevokeRequest = json_body(&body)?;
        let reason = reason(request.reason.as_deref())?;
        if peer.facility_oid == *oid {
            return Err(AdminError::new(
                StatusCode::CONFLICT,
                "refusing to revoke every certificate of the facility this request comes from; use `renkei certs revoke --facility` on the hub if you mean it",
            ));
        }
        let revoked = participants_for(&req, &state, &peer)
            .revoke_facility(&oid, reason)
            .await?;
        let serials: Vec<String> = revoked.iter().map(|c| c.serial.clone()).collect();
        apply_revocations(&state, &serials);
        Ok(revoked)
    };
    respond(StatusCode::OK, result.await)
}

pub async fn crl(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let result = async {
        operator(&req, &state)?;
        Ok::<_, AdminError>(state.participants.crl(CRL_NEXT_UPDATE_DAYS).await?)
    };
    match result.await {
        Ok(pem) => HttpResponse::Ok()
            .content_type("application/x-pem-file")
            .body(pem),
        Err(e) => e.response(),
    }
}

fn reason(text: Option<&str>) -> Result<certs::RevocationReason, AdminError> {
    match text {
        None => Ok(certs::RevocationReason::Unspecified),
        Some(t) => t.parse().map_err(|e: certs::UnknownRevocationReason| {
            AdminError::new(StatusCode::BAD_REQUEST, e.to_string())
        }),
    }
}

/// In-process revocations take effect at once, not at the next refresh.
fn apply_revocations(state: &AppState, serials: &[String]) {
    for serial in serials {
        if let Err(e) = state.trust.revocation().revoke(serial) {
            tracing::warn!(%serial, error = %e, "revocation recorded but not applied in memory; it applies at the next refresh");
        }
        tracing::warn!(%serial, "certificate revoked");
    }
}
