//! `/consents` and `/emergency-access`: the JSON API a participant uses with
//! its own certificate to record a consent given at its facility, withdraw
//! one, read a patient's consent report (consenting facilities only) and
//! open emergency access. The operator's equivalents are under `/admin/`.

use crate::policy::Permission;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use registry::consents::{ConsentError, GrantRequest};
use serde::Deserialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/consents", web::post().to(grant))
        .route("/consents", web::get().to(report))
        .route("/consents/withdraw", web::post().to(withdraw))
        .route("/emergency-access", web::post().to(open_emergency));
}

/// A consent recorded at a facility: for the facility itself unless the
/// patient designated others (designated-list) or all participants.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    pub patient: String,
    #[serde(default)]
    pub facilities: Vec<String>,
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub days: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    pub patient: String,
    #[serde(default)]
    pub facility: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyBody {
    pub patient: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub hours: Option<u32>,
    /// Operator API only: the facility the access is for.
    #[serde(default)]
    pub facility: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PatientParam {
    pub patient: String,
}

/// A failure answered as `{"error": "..."}`.
pub struct ApiError(pub StatusCode, pub String);

impl ApiError {
    pub fn response(&self) -> HttpResponse {
        HttpResponse::build(self.0).json(serde_json::json!({ "error": self.1 }))
    }
}

impl From<ConsentError> for ApiError {
    fn from(e: ConsentError) -> Self {
        let status = match &e {
            ConsentError::UnknownPatient(_) | ConsentError::UnknownFacility(_) => {
                StatusCode::NOT_FOUND
            }
            ConsentError::Invalid(_) | ConsentError::MissingReason => StatusCode::BAD_REQUEST,
            ConsentError::NoEmergencyCapability(_) => StatusCode::FORBIDDEN,
            ConsentError::Store(err) => {
                tracing::error!(error = %err, "consent operation failed");
                return ApiError(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the hub could not record this; nothing was changed, try again later".into(),
                );
            }
        };
        ApiError(status, e.to_string())
    }
}

pub fn respond<T: serde::Serialize>(
    status: StatusCode,
    result: Result<T, ApiError>,
) -> HttpResponse {
    match result {
        Ok(body) => HttpResponse::build(status).json(body),
        Err(e) => e.response(),
    }
}

pub fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("the request body is not the JSON this endpoint expects: {e}"),
        )
    })
}

/// The care-providing facility behind the request (the operator uses `/admin/`).
fn participant(req: &HttpRequest, state: &AppState) -> Result<String, ApiError> {
    let peer = super::checked_peer(req, state).map_err(|m| ApiError(StatusCode::FORBIDDEN, m))?;
    state
        .access
        .check(&peer.facility_oid, Permission::Query)
        .map_err(|e| ApiError(StatusCode::FORBIDDEN, e.to_string()))?;
    Ok(peer.facility_oid)
}

fn requestor(req: &HttpRequest, facility: &str) -> audit::Requestor {
    audit::Requestor::facility(facility).at(req.peer_addr().map(|a| a.ip().to_string()))
}

/// The grant a body asks for; `own` is used when it names no facility.
pub fn grant_request(
    body: GrantBody,
    own: Option<&str>,
    source: &'static str,
) -> Result<GrantRequest, ApiError> {
    let bad = |m: String| ApiError(StatusCode::BAD_REQUEST, m);
    let scope = match body.scope.as_deref() {
        None => consent::Scope::Normal,
        Some(s) => consent::Scope::parse(s)
            .ok_or_else(|| bad(format!("scope {s:?}: use \"normal\" or \"restricted\"")))?,
    };
    let facilities = match (body.all, body.facilities.is_empty(), own) {
        (true, true, _) => vec![consent::ALL_FACILITIES.to_string()],
        (true, false, _) => {
            return Err(bad(
                "give either \"all\": true or \"facilities\", not both".into()
            ));
        }
        (false, false, _) => body.facilities,
        (false, true, Some(own)) => vec![own.to_string()],
        (false, true, None) => {
            return Err(bad(
                "name the facilities (\"facilities\": [OID, ...]) or \"all\": true".into(),
            ));
        }
    };
    Ok(GrantRequest {
        patient: body.patient.trim().to_string(),
        facilities,
        scope,
        days: body.days,
        source,
    })
}

async fn grant(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> HttpResponse {
    let result = async {
        let me = participant(&req, &state)?;
        let request = grant_request(parse(&body)?, Some(&me), store::CONSENT_SOURCE_API)?;
        Ok::<_, ApiError>(
            state
                .registry
                .grant_consent(request, me.clone(), requestor(&req, &me))
                .await?,
        )
    };
    respond(StatusCode::CREATED, result.await)
}

async fn withdraw(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> HttpResponse {
    let result = async {
        let me = participant(&req, &state)?;
        let body: WithdrawBody = parse(&body)?;
        Ok::<_, ApiError>(
            state
                .registry
                .withdraw_consent(body.patient, body.facility, requestor(&req, &me))
                .await?,
        )
    };
    respond(StatusCode::OK, result.await)
}

/// The consent report, for facilities the patient consents to (they are
/// told who else read under emergency access); others get 404 as for an
/// unknown patient.
async fn report(
    req: HttpRequest,
    query: web::Query<PatientParam>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let result = async {
        let me = participant(&req, &state)?;
        let patient = query.into_inner().patient;
        if !state
            .registry
            .is_consenting_facility(patient.clone(), me)
            .await?
        {
            return Err(ConsentError::UnknownPatient(patient).into());
        }
        Ok::<_, ApiError>(state.registry.consent_report(patient).await?)
    };
    respond(StatusCode::OK, result.await)
}

async fn open_emergency(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let result = async {
        let me = participant(&req, &state)?;
        let body: EmergencyBody = parse(&body)?;
        if body.facility.as_deref().is_some_and(|f| f != me) {
            return Err(ApiError(
                StatusCode::FORBIDDEN,
                "a facility opens emergency access for itself only".into(),
            ));
        }
        Ok::<_, ApiError>(
            state
                .registry
                .open_emergency_access(
                    body.patient.trim().to_string(),
                    me.clone(),
                    body.reason.unwrap_or_default(),
                    body.hours,
                    me.clone(),
                    requestor(&req, &me),
                )
                .await?,
        )
    };
    respond(StatusCode::CREATED, result.await)
}
