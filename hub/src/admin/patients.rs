//! `/admin/patients`: the PIX Manager's operator tools (the same as
//! `renkei patient add|link|unlink|show|duplicates`).

use super::{AdminError, json_body, operator, respond};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use pix::{OperatorError, PatientIdentifier};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPatient {
    /// Regional id, `ID^^^&AFFINITY-OID&ISO`.
    cx: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pair {
    a: String,
    b: String,
}

#[derive(Serialize)]
struct Added {
    cx: String,
    created: bool,
}

impl From<OperatorError> for AdminError {
    fn from(e: OperatorError) -> Self {
        let status = if e.is_not_found() {
            StatusCode::NOT_FOUND
        } else if e.is_internal() {
            tracing::error!(error = %e, "admin patient operation failed");
            return AdminError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the operation failed on the hub; nothing was changed, see the hub's log",
            );
        } else {
            StatusCode::BAD_REQUEST
        };
        AdminError::new(status, e.to_string())
    }
}

fn cx(value: &str) -> Result<PatientIdentifier, AdminError> {
    PatientIdentifier::parse_cx(value)
        .map_err(|e| AdminError::new(StatusCode::BAD_REQUEST, e.to_string()))
}

/// The operator as audit requestor.
fn requestor(req: &HttpRequest, oid: &str) -> audit::Requestor {
    audit::Requestor::facility(oid.to_string()).at(req.peer_addr().map(|a| a.ip().to_string()))
}

pub async fn show(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let result = async {
        operator(&req, &state)?;
        Ok::<_, AdminError>(state.pix.show(cx(&path)?).await?)
    };
    respond(StatusCode::OK, result.await)
}

pub async fn add(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> HttpResponse {
    let result = async {
        let peer = operator(&req, &state)?;
        let new: NewPatient = json_body(&body)?;
        let id = cx(&new.cx)?;
        let created = state
            .pix
            .add_regional_id(requestor(&req, &peer.facility_oid), id.clone())
            .await?;
        Ok::<_, AdminError>(Added {
            cx: id.to_cx(),
            created,
        })
    };
    respond(StatusCode::CREATED, result.await)
}

pub async fn link(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> HttpResponse {
    let result = async {
        let peer = operator(&req, &state)?;
        let pair: Pair = json_body(&body)?;
        let who = requestor(&req, &peer.facility_oid);
        Ok::<_, AdminError>(state.pix.link(who, cx(&pair.a)?, cx(&pair.b)?).await?)
    };
    respond(StatusCode::OK, result.await)
}

pub async fn unlink(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let result = async {
        let peer = operator(&req, &state)?;
        let pair: Pair = json_body(&body)?;
        let who = requestor(&req, &peer.facility_oid);
        Ok::<_, AdminError>(state.pix.unlink(who, cx(&pair.a)?, cx(&pair.b)?).await?)
    };
    respond(StatusCode::OK, result.await)
}

pub async fn duplicates(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let result = async {
        operator(&req, &state)?;
        state.pix.possible_duplicates().await.map_err(|e| {
            tracing::error!(error = %e, "duplicates report failed");
            AdminError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the report failed on the hub; see its log",
            )
        })
    };
    respond(StatusCode::OK, result.await)
}
