//! `/xds/registry`: ITI-42 Register Document Set-b and ITI-18 Registry Stored Query.

use super::respond::soap_response;
use super::{BodyError, body_error, error::HttpFailure};
use crate::actions::*;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use ebrim::{ResponseStatus, XdsErrorCode};

pub async fn endpoint(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let super::CheckedSoap {
        incoming,
        envelope,
        submitter,
    } = match super::checked_soap(&req, payload, &state).await {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    let relates = envelope.message_id.as_deref();
    match envelope.action.as_str() {
        ITI42 => {
            let bytes = incoming.envelope.clone();
            let limits = state.ebrim_limits;
            let parsed =
                web::block(move || ebrim::parse::submit_objects_request(&bytes, &limits)).await;
            let outcome = match parsed {
                Ok(Ok(request)) => {
                    state
                        .registry
                        .register_document_set(request, submitter)
                        .await
                }
                Ok(Err(e)) => match body_error(e, XdsErrorCode::RegistryMetadataError) {
                    BodyError::Fault(f) => return f.into_response(relates),
                    BodyError::Metadata(err) => registry::Outcome::failure(vec![err]),
                },
                Err(_) => {
                    return HttpFailure::receiver("the hub is shutting down")
                        .into_response(relates);
                }
            };
            let body = ebrim::write::registry_response(outcome.status, &outcome.errors);
            soap_response(ITI42_RESPONSE, relates, &body, incoming.mtom)
        }
        ITI18 => {
            let bytes = incoming.envelope.clone();
            let limits = state.ebrim_limits;
            let parsed =
                web::block(move || ebrim::parse::adhoc_query_request(&bytes, &limits)).await;
            let body = match parsed {
                Ok(Ok(mut request)) => {
                    super::translate::local_patient_ids(&state.pix, &mut request).await;
                    let reader = super::reader(&state, submitter, &envelope);
                    let answer = state.registry.stored_query(request, reader).await;
                    ebrim::write::adhoc_query_response(
                        answer.status,
                        &answer.errors,
                        &answer.result.as_query_result(),
                    )
                }
                Ok(Err(e)) => match body_error(e, XdsErrorCode::RegistryError) {
                    BodyError::Fault(f) => return f.into_response(relates),
                    BodyError::Metadata(err) => ebrim::write::adhoc_query_response(
                        ResponseStatus::Failure,
                        &[err],
                        &ebrim::write::QueryResult::ObjectRefs(&[]),
                    ),
                },
                Err(_) => {
                    return HttpFailure::receiver("the hub is shutting down")
                        .into_response(relates);
                }
            };
            soap_response(ITI18_RESPONSE, relates, &body, incoming.mtom)
        }
        other => {
            HttpFailure::Fault(soap::SoapFault::action_not_supported(other)).into_response(relates)
        }
    }
}
