//! Thin HTTP handlers: read the request, authorise the peer, parse, call the
//! actor crate, write the response. No XDS logic lives here.

pub mod error;
pub mod ops;
mod registry;
mod repository;
mod respond;
pub mod soap_io;

use crate::state::AppState;
use actix_web::{HttpRequest, web};
use certs::PeerIdentity;
use error::HttpFailure;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/xds/registry", web::post().to(registry::endpoint))
        .route("/xds/repository", web::post().to(repository::endpoint));
}

/// The facility behind this request, from the client certificate the TLS
/// handshake verified. Re-checked on every request so a revocation or a
/// suspension also stops connections that are already open.
pub fn authorize(req: &HttpRequest, state: &AppState) -> Result<PeerIdentity, HttpFailure> {
    let peer = req
        .conn_data::<PeerIdentity>()
        .cloned()
        .ok_or_else(|| HttpFailure::Forbidden("no client certificate was presented".into()))?;
    state
        .trust
        .check_peer(&peer)
        .map_err(|e| HttpFailure::Forbidden(e.to_string()))?;
    Ok(peer)
}

/// Maps an ebRIM parse error: malformed XML is a SOAP Fault, well-formed but
/// invalid ebRIM becomes XDSRegistryMetadataError in a RegistryResponse.
pub enum BodyError {
    Fault(HttpFailure),
    Metadata(ebrim::RegistryError),
}

pub fn body_error(e: ebrim::parse::ParseError, metadata_code: ebrim::XdsErrorCode) -> BodyError {
    match e {
        ebrim::parse::ParseError::Malformed(m) => {
            BodyError::Fault(HttpFailure::sender(format!("malformed request body: {m}")))
        }
        other => BodyError::Metadata(ebrim::RegistryError::error(
            metadata_code,
            other.to_string(),
        )),
    }
}
