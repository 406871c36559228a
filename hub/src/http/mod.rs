//! Thin HTTP handlers: read the request, authorise the peer, parse, call the
//! actor crate, write the response. No XDS logic lives here.

pub mod consent;
pub mod error;
pub mod ops;
mod pix;
mod registry;
mod repository;
mod respond;
pub mod soap_io;
mod translate;

use crate::state::AppState;
use actix_web::{HttpRequest, web};
use certs::PeerIdentity;
use error::HttpFailure;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/xds/registry", web::post().to(registry::endpoint))
        .route("/xds/repository", web::post().to(repository::endpoint))
        .configure(consent::configure)
        .route("/pix", web::post().to(pix::endpoint));
}

/// A simple SOAP request (no attachments staged) that passed every check made
/// before its body is parsed: the peer's certificate, the size limits, the
/// envelope, and the policy for its WS-Addressing action.
pub(crate) struct CheckedSoap {
    pub incoming: soap_io::Incoming,
    pub envelope: soap::EnvelopeInfo,
    pub submitter: ::registry::Submitter,
}

/// Runs those checks; a refusal comes back as the response to send.
pub(crate) async fn checked_soap(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<CheckedSoap, actix_web::HttpResponse> {
    let peer = authorize(req, state).map_err(|f| f.into_response(None))?;
    let incoming = soap_io::read_request(req, payload, &state.limits, None)
        .await
        .map_err(|f| f.into_response(None))?;
    let envelope = soap::read_envelope(&incoming.envelope, &state.xml_limits)
        .map_err(|f| HttpFailure::Fault(f).into_response(None))?;
    let submitter = permit(&peer, state, &envelope.action)
        .map_err(|f| f.into_response(envelope.message_id.as_deref()))?;
    Ok(CheckedSoap {
        incoming,
        envelope,
        submitter,
    })
}

/// The facility behind this request, from the client certificate the TLS
/// handshake verified. Re-checked on every request so a revocation or a
/// suspension also stops connections that are already open; a facility whose
/// kind may use nothing under this path is refused before its body is read.
pub fn authorize(req: &HttpRequest, state: &AppState) -> Result<PeerIdentity, HttpFailure> {
    checked_peer(req, state).map_err(HttpFailure::Forbidden)
}

/// [`authorize`] with the refusal as plain text (the admin API answers JSON).
pub fn checked_peer(req: &HttpRequest, state: &AppState) -> Result<PeerIdentity, String> {
    // Every refusal is audited (ATNA: node authentication failures, denials).
    let refused = |facility: Option<&str>, transaction, reason: String| {
        let address = req.peer_addr().map(|a| a.ip().to_string());
        crate::auditing::refused(state, address, facility, transaction, &reason);
        reason
    };
    let peer = req.conn_data::<PeerIdentity>().cloned().ok_or_else(|| {
        refused(
            None,
            audit::Transaction::NodeAuthFailure,
            "no client certificate was presented".to_string(),
        )
    })?;
    state.trust.check_peer(&peer).map_err(|e| {
        refused(
            Some(&peer.facility_oid),
            audit::Transaction::NodeAuthFailure,
            e.to_string(),
        )
    })?;
    // The decoded path the router matched (`/%61dmin` is `/admin` to it).
    let path = req.match_info().as_str();
    let needed = crate::policy::Permission::for_path(path);
    state
        .access
        .check_any(&peer.facility_oid, needed, &format!("use {path}"))
        .map_err(|e| {
            refused(
                Some(&peer.facility_oid),
                audit::Transaction::AccessDenied,
                e.to_string(),
            )
        })?;
    Ok(peer)
}

/// Once the SOAP action is known: may this facility use it? Returns the
/// registry's view of the sender (with whom it may submit for).
pub fn permit(
    peer: &PeerIdentity,
    state: &AppState,
    action: &str,
) -> Result<::registry::Submitter, HttpFailure> {
    if let Some(permission) = crate::policy::Permission::for_action(action) {
        state
            .access
            .check(&peer.facility_oid, permission)
            .map_err(|e| {
                crate::auditing::refused(
                    state,
                    None,
                    Some(&peer.facility_oid),
                    audit::Transaction::AccessDenied,
                    &format!("{action}: {e}"),
                );
                HttpFailure::Forbidden(e.to_string())
            })?;
    }
    Ok(state.access.submitter(&peer.facility_oid))
}

/// The registry's view of a reader (ITI-18, ITI-43): the sender, its
/// facility kind for the consent policy, and an emergency access asked for
/// in the `renkei:EmergencyAccess` SOAP header.
pub fn reader(
    state: &AppState,
    submitter: ::registry::Submitter,
    envelope: &soap::EnvelopeInfo,
) -> ::registry::Reader {
    let kind = state
        .access
        .kind_of(&submitter.facility_oid)
        .map(|k| k.as_str().to_string());
    let mut reader = ::registry::Reader::new(submitter, kind);
    reader.emergency_reason = envelope.emergency_access_reason.clone();
    reader
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
