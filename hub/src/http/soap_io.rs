//! Reading SOAP requests off the wire: simple `application/soap+xml` bodies
//! and MTOM `multipart/related` packages. MTOM attachments are streamed
//! straight into the blob store (hashing as they pass); only the SOAP
//! envelope part is held in memory, bounded by `max_envelope_bytes`.

use super::error::HttpFailure;
use actix_web::{HttpRequest, web};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use repository::{Repository, StagedDocument, Stager};
use soap::{ContentType, MultipartEvent, MultipartLimits, MultipartReader};
use std::collections::HashMap;

pub struct Limits {
    pub max_request_bytes: u64,
    pub max_envelope_bytes: usize,
}

/// A request read off the wire.
pub struct Incoming {
    /// The SOAP envelope bytes (the root part of an MTOM package).
    pub envelope: Bytes,
    /// MTOM attachments already in the blob store, by Content-ID.
    pub attachments: HashMap<String, StagedDocument>,
    /// Whether the request came as MTOM (the response mirrors it).
    pub mtom: bool,
}

/// Where the bytes of the part being read go.
enum Sink {
    Root(BytesMut),
    Attachment(Option<String>, Box<Stager>),
    Discard,
}

/// Reads the whole request. With `stage_into = None` attachments are read and
/// dropped (registry endpoints tolerate MTOM-wrapped requests).
pub async fn read_request(
    req: &HttpRequest,
    mut payload: web::Payload,
    limits: &Limits,
    stage_into: Option<&Repository>,
) -> Result<Incoming, HttpFailure> {
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| HttpFailure::sender("the request has no Content-Type; send application/soap+xml or an MTOM multipart/related package"))?;
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limits.max_request_bytes) {
        return Err(HttpFailure::TooLarge(limits.max_request_bytes));
    }
    let ct = soap::parse_content_type(content_type).map_err(HttpFailure::Fault)?;
    match ct {
        ContentType::Soap(_) => {
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|e| HttpFailure::sender(format!("reading the request failed: {e}")))?;
                if body.len() + chunk.len() > limits.max_envelope_bytes {
                    return Err(HttpFailure::TooLarge(limits.max_envelope_bytes as u64));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Incoming {
                envelope: body.freeze(),
                attachments: HashMap::new(),
                mtom: false,
            })
        }
        ContentType::Mtom(soap::MtomContentType {
            boundary, start, ..
        }) => {
            let mut staged = HashMap::new();
            let mut current: Option<Sink> = None;
            let result = read_mtom(
                &mut payload,
                &boundary,
                start.as_deref(),
                limits,
                stage_into,
                &mut staged,
                &mut current,
            )
            .await;
            match result {
                Ok(envelope) => Ok(Incoming {
                    envelope,
                    attachments: staged,
                    mtom: true,
                }),
                Err(e) => {
                    // Nothing of a failed request may stay in the blob store.
                    if let Some(Sink::Attachment(_, s)) = current.take() {
                        s.abort().await;
                    }
                    if let Some(repo) = stage_into {
                        repo.discard(staged.values()).await;
                    }
                    Err(e)
                }
            }
        }
    }
}

async fn read_mtom(
    payload: &mut web::Payload,
    boundary: &str,
    start: Option<&str>,
    limits: &Limits,
    stage_into: Option<&Repository>,
    staged: &mut HashMap<String, StagedDocument>,
    current: &mut Option<Sink>,
) -> Result<Bytes, HttpFailure> {
    let mut reader =
        MultipartReader::new(boundary, MultipartLimits::default()).map_err(mtom_error)?;
    let mut root: Option<Bytes> = None;
    let mut total: u64 = 0;
    let mut input_done = false;
    loop {
        while let Some(event) = reader.next_event().map_err(mtom_error)? {
            match event {
                MultipartEvent::PartStart(headers) => {
                    let cid = headers.content_id.clone();
                    let is_root = match start {
                        Some(s) => cid.as_deref() == Some(s),
                        None => root.is_none() && current.is_none() && staged.is_empty(),
                    };
                    *current = Some(if is_root {
                        Sink::Root(BytesMut::new())
                    } else if let Some(repo) = stage_into {
                        let stager = repo.stage().await.map_err(|e| {
                            tracing::error!(error = %e, "blob store unavailable");
                            HttpFailure::receiver("the repository cannot store documents right now")
                        })?;
                        Sink::Attachment(cid, Box::new(stager))
                    } else {
                        Sink::Discard
                    });
                }
                MultipartEvent::Data(chunk) => match current.as_mut() {
                    Some(Sink::Root(buf)) => {
                        if buf.len() + chunk.len() > limits.max_envelope_bytes {
                            return Err(HttpFailure::TooLarge(limits.max_envelope_bytes as u64));
                        }
                        buf.extend_from_slice(&chunk);
                    }
                    Some(Sink::Attachment(_, stager)) => {
                        stager.write(chunk).await.map_err(|e| {
                            tracing::error!(error = %e, "blob store write failed");
                            HttpFailure::receiver("the repository could not store a document")
                        })?
                    }
                    Some(Sink::Discard) | None => {}
                },
                MultipartEvent::PartEnd => match current.take() {
                    Some(Sink::Root(buf)) => root = Some(buf.freeze()),
                    Some(Sink::Attachment(Some(cid), stager)) => {
                        let doc = stager.finish().await.map_err(|e| {
                            tracing::error!(error = %e, "blob store write failed");
                            HttpFailure::receiver("the repository could not store a document")
                        })?;
                        if let Some(dup) = staged.insert(cid.clone(), doc) {
                            if let Some(repo) = stage_into {
                                repo.discard([&dup]).await;
                            }
                            return Err(HttpFailure::sender(format!(
                                "two MIME parts carry Content-ID {cid}"
                            )));
                        }
                    }
                    // A part nobody can reference (no Content-ID) is not kept.
                    Some(Sink::Attachment(None, stager)) => stager.abort().await,
                    Some(Sink::Discard) | None => {}
                },
                MultipartEvent::End => {
                    return root.ok_or_else(|| {
                        HttpFailure::sender(
                            "the MTOM package has no root part with the SOAP envelope",
                        )
                    });
                }
            }
        }
        if input_done {
            return Err(HttpFailure::sender(
                "the MTOM package ended before its closing boundary",
            ));
        }
        match payload.next().await {
            Some(chunk) => {
                let chunk = chunk
                    .map_err(|e| HttpFailure::sender(format!("reading the request failed: {e}")))?;
                total += chunk.len() as u64;
                if total > limits.max_request_bytes {
                    return Err(HttpFailure::TooLarge(limits.max_request_bytes));
                }
                reader.push(chunk);
            }
            None => {
                reader.finish_input();
                input_done = true;
            }
        }
    }
}

fn mtom_error(e: soap::MtomError) -> HttpFailure {
    HttpFailure::sender(format!("malformed MTOM package: {e}"))
}
