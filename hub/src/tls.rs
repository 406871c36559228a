//! Binding each TLS connection to the facility its client certificate names.

use actix_tls::accept::rustls_0_23::TlsStream;
use actix_web::dev::Extensions;
use actix_web::rt::net::TcpStream;
use certs::PeerIdentity;
use std::any::Any;
use std::sync::atomic::Ordering;

/// Called once per accepted connection: parse the end-entity certificate
/// (index 0 of the chain) and keep the identity for the handlers.
pub fn on_connect(conn: &dyn Any, ext: &mut Extensions) {
    let Some(tls) = conn.downcast_ref::<TlsStream<TcpStream>>() else {
        return;
    };
    let (_, session) = tls.get_ref();
    let Some(cert) = session.peer_certificates().and_then(|chain| chain.first()) else {
        return;
    };
    match PeerIdentity::from_der(cert.as_ref()) {
        Ok(identity) => {
            crate::metrics::TLS_CONNECTIONS.fetch_add(1, Ordering::Relaxed);
            ext.insert(identity);
        }
        Err(e) => {
            tracing::warn!(error = %e, "client certificate without a usable facility identity")
        }
    }
}
