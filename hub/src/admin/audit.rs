//! `/admin/audit/patient|search|verify`: the `renkei audit` reports over the
//! admin API, in the same output (DESIGN.md "Audit search output": JSON
//! lines or CSV). Results come a page at a time (`limit`, default 1000, at
//! most 10000); a full page names the `after_seq` of the next one in the
//! `X-Audit-Next-After-Seq` header. Reading the trail changes nothing, so it
//! is not itself audited.

use super::{AdminError, operator};
use crate::audit_cli::{self, ReportFormat};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use audit::report::AuditQuery;
use serde::{Deserialize, Serialize};

/// Records per page unless `limit` says otherwise.
const DEFAULT_PAGE: usize = 1000;
/// Largest page (bounds the memory one request may take).
const MAX_PAGE: usize = 10_000;
/// Names the `after_seq` of the next page when this one is full.
pub const NEXT_PAGE_HEADER: &str = "X-Audit-Next-After-Seq";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SearchParams {
    #[serde(default)]
    patient: Option<String>,
    #[serde(default)]
    facility: Option<String>,
    #[serde(default)]
    since: Option<String>,
    #[serde(default)]
    until: Option<String>,
    /// A transaction label (`ITI-43`, `cert-revoke`) or a DICOM EventID (`110106`).
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    after_seq: Option<i64>,
}

pub async fn patient(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    respond_page(&req, &state, true).await
}

pub async fn search(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    respond_page(&req, &state, false).await
}

async fn respond_page(req: &HttpRequest, state: &AppState, patient_required: bool) -> HttpResponse {
    match page(req, state, patient_required).await {
        Ok(r) => r,
        Err(e) => e.response(),
    }
}

fn bad(message: impl Into<String>) -> AdminError {
    AdminError::new(StatusCode::BAD_REQUEST, message)
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    patient_required: bool,
) -> Result<HttpResponse, AdminError> {
    operator(req, state)?;
    let params = web::Query::<SearchParams>::from_query(req.query_string())
        .map_err(|e| {
            bad(format!(
                "query parameters: {e}; use patient, facility, since, until, event, format, limit, after_seq"
            ))
        })?
        .into_inner();
    if patient_required && params.patient.is_none() {
        return Err(bad(
            "give the patient: ?patient=ID^^^&AFFINITY-DOMAIN-OID&ISO",
        ));
    }
    let format: ReportFormat = params
        .format
        .as_deref()
        .unwrap_or("json")
        .parse()
        .map_err(|e: anyhow::Error| bad(e.to_string().replace("--format", "format=")))?;
    let limit = params.limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(bad(format!(
            "limit={limit}: give 1 to {MAX_PAGE} and page on with after_seq"
        )));
    }
    let affinity_domain = &state.registry.audit_source().enterprise_site_id;
    let time = |t: &Option<String>, name: &str| {
        t.as_deref()
            .map(audit_cli::parse_time)
            .transpose()
            .map_err(|e| bad(format!("{name}: {e}")))
    };
    let (transaction, event_id) = match params.event {
        Some(e) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (None, Some(e)),
        other => (other, None),
    };
    let query = AuditQuery {
        patient: params
            .patient
            .as_deref()
            .map(|p| audit_cli::regional_patient_in(affinity_domain, p))
            .transpose()
            .map_err(|e| bad(e.to_string()))?,
        facility: params.facility,
        since: time(&params.since, "since")?,
        until: time(&params.until, "until")?,
        transaction,
        event_id,
        limit: None,
    };
    let store = state.registry.store();
    let records = audit::report::search_page(store, &query, params.after_seq, limit)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "audit search failed");
            AdminError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the audit trail could not be searched; see the hub's log",
            )
        })?;
    let mut response = HttpResponse::Ok();
    response.content_type(match format {
        ReportFormat::Json => "application/x-ndjson",
        ReportFormat::Csv => "text/csv; charset=utf-8",
    });
    if records.len() == limit
        && let Some(last) = records.last()
    {
        response.insert_header((NEXT_PAGE_HEADER, last.seq.to_string()));
    }
    Ok(response.body(audit_cli::render(&records, format)))
}

/// The chain check, as JSON.
#[derive(Serialize)]
struct VerifyBody {
    intact: bool,
    /// Records checked and found intact.
    checked: u64,
    /// Records up to here were archived and pruned (the chain's anchor).
    pruned_seq: i64,
    head_seq: i64,
    /// The first altered, removed or reordered record.
    broken_seq: Option<i64>,
    /// The same sentence `renkei audit verify` prints.
    report: String,
}

pub async fn verify(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let result = async {
        operator(&req, &state)?;
        let report = audit::verify(state.registry.store()).await.map_err(|e| {
            tracing::error!(error = %e, "audit verification failed to run");
            AdminError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the audit trail could not be read; see the hub's log",
            )
        })?;
        Ok::<_, AdminError>(VerifyBody {
            intact: report.is_intact(),
            checked: report.checked,
            pruned_seq: report.pruned_seq,
            head_seq: report.head_seq,
            broken_seq: report.broken.as_ref().map(|b| b.seq()),
            report: report.to_string(),
        })
    };
    super::respond(StatusCode::OK, result.await)
}
