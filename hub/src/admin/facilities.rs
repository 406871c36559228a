//! `/admin/facilities`: admit, list, show, suspend, reinstate.

use super::{AdminError, json_body, operator, participants_for, respond};
use crate::facility::{CertificateRecord, FacilityRecord};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFacility {
    oid: String,
    name: String,
    kind: String,
}

#[derive(Serialize)]
struct FacilityDetail {
    facility: FacilityRecord,
    certificates: Vec<CertificateRecord>,
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let result = async {
        operator(&req, &state)?;
        Ok::<_, AdminError>(state.participants.list_facilities().await?)
    };
    respond(StatusCode::OK, result.await)
}

pub async fn add(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> HttpResponse {
    let result = async {
        let peer = operator(&req, &state)?;
        let new: NewFacility = json_body(&body)?;
        let facility = participants_for(&req, &state, &peer)
            .add_facility(&new.oid, &new.name, &new.kind)
            .await?;
        // Its kind must be known before its first connection.
        if let Err(e) = state.access.refresh(state.participants.store()).await {
            tracing::warn!(error = %e, "could not refresh facility kinds");
        }
        tracing::info!(facility = %facility.oid, kind = %facility.kind, "facility admitted");
        Ok::<_, AdminError>(facility)
    };
    respond(StatusCode::CREATED, result.await)
}

pub async fn show(
    req: HttpRequest,
    oid: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let result = async {
        operator(&req, &state)?;
        let facility = state.participants.facility(&oid).await?;
        let certificates = state.participants.certificates(Some(&oid)).await?;
        Ok::<_, AdminError>(FacilityDetail {
            facility,
            certificates,
        })
    };
    respond(StatusCode::OK, result.await)
}

pub async fn suspend(
    req: HttpRequest,
    oid: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let result = async {
        let peer = operator(&req, &state)?;
        if peer.facility_oid == *oid {
            return Err(AdminError::new(
                StatusCode::CONFLICT,
                "refusing to suspend the facility this request comes from: it would lock the operator out; use `renkei facility suspend` on the hub if you mean it",
            ));
        }
        let facility = participants_for(&req, &state, &peer)
            .set_suspended(&oid, true)
            .await?;
        state.trust.revocation().suspend_facility(&facility.oid);
        tracing::warn!(facility = %facility.oid, "facility suspended");
        Ok(facility)
    };
    respond(StatusCode::OK, result.await)
}

pub async fn reinstate(
    req: HttpRequest,
    oid: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let result = async {
        let peer = operator(&req, &state)?;
        let facility = participants_for(&req, &state, &peer)
            .set_suspended(&oid, false)
            .await?;
        state.trust.revocation().reinstate_facility(&facility.oid);
        tracing::info!(facility = %facility.oid, "facility reinstated");
        Ok::<_, AdminError>(facility)
    };
    respond(StatusCode::OK, result.await)
}
