//! `/admin/consents`, `/admin/emergency-access`: the operator records paper
//! consent forms, withdraws consent, reads a patient's consent and
//! emergency-access report, and opens emergency access for a facility.

use super::operator;
use crate::http::consent::{
    ApiError, EmergencyBody, GrantBody, PatientParam, WithdrawBody, grant_request, parse, respond,
};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

fn as_operator(req: &HttpRequest, state: &AppState) -> Result<audit::Requestor, ApiError> {
    let peer = operator(req, state).map_err(|e| ApiError(StatusCode::FORBIDDEN, e.message))?;
    Ok(audit::Requestor::facility(peer.facility_oid)
        .at(req.peer_addr().map(|a| a.ip().to_string())))
}

pub async fn report(
    req: HttpRequest,
    query: web::Query<PatientParam>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let result = async {
        as_operator(&req, &state)?;
        Ok::<_, ApiError>(
            state
                .registry
                .consent_report(query.into_inner().patient)
                .await?,
        )
    };
    respond(StatusCode::OK, result.await)
}

pub async fn grant(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> HttpResponse {
    let result = async {
        let who = as_operator(&req, &state)?;
        let body: GrantBody = parse(&body)?;
        let request = grant_request(body, None, store::CONSENT_SOURCE_API)?;
        let by = who.facility_oid.clone().unwrap_or_default();
        Ok::<_, ApiError>(state.registry.grant_consent(request, by, who).await?)
    };
    respond(StatusCode::CREATED, result.await)
}

pub async fn withdraw(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let result = async {
        let who = as_operator(&req, &state)?;
        let body: WithdrawBody = parse(&body)?;
        Ok::<_, ApiError>(
            state
                .registry
                .withdraw_consent(body.patient, body.facility, who)
                .await?,
        )
    };
    respond(StatusCode::OK, result.await)
}

pub async fn open_emergency(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let result = async {
        let who = as_operator(&req, &state)?;
        let body: EmergencyBody = parse(&body)?;
        let Some(facility) = body.facility else {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                "name the facility the emergency access is for (\"facility\": OID)".into(),
            ));
        };
        let by = who.facility_oid.clone().unwrap_or_default();
        Ok::<_, ApiError>(
            state
                .registry
                .open_emergency_access(
                    body.patient.trim().to_string(),
                    facility,
                    body.reason.unwrap_or_default(),
                    body.hours,
                    by,
                    who,
                )
                .await?,
        )
    };
    respond(StatusCode::CREATED, result.await)
}
