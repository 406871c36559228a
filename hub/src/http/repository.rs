//! `/xds/repository`: ITI-41 Provide and Register Document Set-b and ITI-43
//! Retrieve Document Set.

use super::respond::soap_response;
use super::soap_io::{Incoming, read_request};
use super::{BodyError, authorize, body_error, error::HttpFailure};
use crate::actions::*;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use ebrim::XdsErrorCode;
use futures_util::{StreamExt, TryStreamExt, stream};
use registry::Submitter;
use repository::Retrieval;
use soap::MtomWriter;

pub async fn endpoint(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let peer = match authorize(&req, &state) {
        Ok(p) => p,
        Err(f) => return f.into_response(None),
    };
    let incoming = match read_request(&req, payload, &state.limits, Some(&state.repository)).await {
        Ok(i) => i,
        Err(f) => return f.into_response(None),
    };
    let envelope = match soap::read_envelope(&incoming.envelope, &state.xml_limits) {
        Ok(e) => e,
        Err(f) => {
            discard(&state, &incoming).await;
            return HttpFailure::Fault(f).into_response(None);
        }
    };
    let relates = envelope.message_id.clone();
    let relates = relates.as_deref();
    let submitter = match super::permit(&peer, &state, &envelope.action) {
        Ok(s) => s,
        Err(f) => {
            discard(&state, &incoming).await;
            return f.into_response(relates);
        }
    };
    match envelope.action.as_str() {
        ITI41 => provide(&state, incoming, submitter, relates).await,
        ITI43 => {
            discard(&state, &incoming).await;
            let reader = super::reader(&state, submitter, &envelope);
            retrieve(&state, incoming, reader, relates).await
        }
        other => {
            discard(&state, &incoming).await;
            HttpFailure::Fault(soap::SoapFault::action_not_supported(other)).into_response(relates)
        }
    }
}

async fn discard(state: &AppState, incoming: &Incoming) {
    state
        .repository
        .discard(incoming.attachments.values())
        .await;
}

async fn provide(
    state: &AppState,
    incoming: Incoming,
    submitter: Submitter,
    relates: Option<&str>,
) -> HttpResponse {
    let bytes = incoming.envelope.clone();
    let limits = state.ebrim_limits;
    let parsed =
        web::block(move || ebrim::parse::provide_and_register_request(&bytes, &limits)).await;
    let outcome = match parsed {
        Ok(Ok(request)) => {
            state
                .repository
                .provide_and_register(request, incoming.attachments, submitter)
                .await
        }
        Ok(Err(e)) => {
            state
                .repository
                .discard(incoming.attachments.values())
                .await;
            match body_error(e, XdsErrorCode::RepositoryMetadataError) {
                BodyError::Fault(f) => return f.into_response(relates),
                BodyError::Metadata(err) => registry::Outcome::failure(vec![err]),
            }
        }
        Err(_) => {
            state
                .repository
                .discard(incoming.attachments.values())
                .await;
            return HttpFailure::receiver("the hub is shutting down").into_response(relates);
        }
    };
    let body = ebrim::write::registry_response(outcome.status, &outcome.errors);
    soap_response(ITI41_RESPONSE, relates, &body, incoming.mtom)
}

async fn retrieve(
    state: &AppState,
    incoming: Incoming,
    reader: registry::Reader,
    relates: Option<&str>,
) -> HttpResponse {
    let request = match ebrim::parse::retrieve_document_set_request(
        &incoming.envelope,
        &state.ebrim_limits,
    ) {
        Ok(r) => r,
        Err(e) => {
            return match body_error(e, XdsErrorCode::RepositoryError) {
                BodyError::Fault(f) => f.into_response(relates),
                BodyError::Metadata(err) => {
                    let body = ebrim::write::retrieve_document_set_response(
                        ebrim::ResponseStatus::Failure,
                        &[err],
                        &[],
                    );
                    soap_response(ITI43_RESPONSE, relates, &body, true)
                }
            };
        }
    };
    let retrieval = state.repository.retrieve(request, reader).await;
    stream_retrieval(state, retrieval, relates)
}

/// The ITI-43 MTOM response: the envelope part, then each document streamed
/// from the blob store as its own MIME part. Nothing is buffered whole.
fn stream_retrieval(state: &AppState, retrieval: Retrieval, relates: Option<&str>) -> HttpResponse {
    let writer = MtomWriter::new();
    let mut headers = Vec::new();
    let mut parts = Vec::new();
    for d in &retrieval.documents {
        let cid = soap::new_content_id();
        headers.push(ebrim::write::DocumentResponseHeader {
            home_community_id: d.home_community_id.clone(),
            repository_unique_id: d.repository_unique_id.clone(),
            document_unique_id: d.document_unique_id.clone(),
            mime_type: d.mime_type.clone(),
            content_id: cid.clone(),
        });
        parts.push((cid, d.mime_type.clone(), d.blob_key.clone()));
    }
    let body =
        ebrim::write::retrieve_document_set_response(retrieval.status, &retrieval.errors, &headers);
    let envelope = soap::envelope(ITI43_RESPONSE, relates, &body);
    let content_type = writer.content_type(ITI43_RESPONSE);
    let root = writer.root_part(&envelope);
    let closing = writer.closing();
    let blobs = state.repository.blobs().clone();

    let documents = stream::iter(parts).then(move |(cid, mime, key)| {
        let blobs = blobs.clone();
        let header = writer.attachment_header(&cid, &mime);
        async move {
            let body = blobs.get(&key).await.map_err(|e| {
                tracing::error!(error = %e, key = %key, "stored document unreadable");
                std::io::Error::other("stored document unreadable")
            })?;
            let head = stream::once(async move { Ok::<Bytes, std::io::Error>(header) });
            let body = body.map_err(|e| std::io::Error::other(e.to_string()));
            Ok::<_, std::io::Error>(head.chain(body))
        }
    });
    let documents = documents.try_flatten();
    let full = stream::once(async move { Ok::<Bytes, std::io::Error>(root) })
        .chain(documents)
        .chain(stream::once(
            async move { Ok::<Bytes, std::io::Error>(closing) },
        ));
    HttpResponse::Ok()
        .content_type(content_type)
        .streaming(full)
}
