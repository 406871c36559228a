//! The HTTPS listener. actix-web's own `listen_rustls` hides failed
//! handshakes; here the same pieces (actix-server, our rustls acceptor,
//! actix-http) are assembled by hand so every refused or broken handshake is
//! counted by reason, logged and audited as ITI-19 node authentication
//! failures ([`crate::node_auth`], coalesced and off the accept path).
//!
//! Timeouts: 10 s to complete the TLS handshake, 60 s to send a request's
//! headers, 30 s idle keep-alive; then the connection is closed.

use crate::node_auth::{FailedHandshake, NodeAuthAudit};
use crate::pki_watch::{HandshakeFailure, PkiRuntime};
use crate::state::AppState;
use actix_http::{HttpService, KeepAlive, TlsAcceptorConfig};
use actix_service::{IntoServiceFactory, Service, ServiceFactoryExt, apply_fn_factory, map_config};
use actix_tls::accept::TlsError;
use actix_tls::accept::rustls_0_23::TlsStream;
use actix_web::dev::{AppConfig, Server};
use actix_web::rt::net::TcpStream;
use actix_web::{App, web};
use std::any::Any;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
pub const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(60);
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts serving `listener` with `tls` (see [`certs::server_config`]).
pub fn serve(
    listener: std::net::TcpListener,
    tls: rustls::ServerConfig,
    state: web::Data<AppState>,
    pki: Arc<PkiRuntime>,
) -> std::io::Result<Server> {
    let addr = listener.local_addr()?;
    Ok(Server::build()
        .disable_signals()
        .shutdown_timeout(10)
        .listen(format!("renkei-https-{addr}"), listener, move || {
            let state = state.clone();
            let pki = Arc::clone(&pki);
            let accepted = Arc::clone(&pki);
            let node_auth = state.node_auth.clone();
            let app = App::new()
                .app_data(state)
                .configure(crate::http::configure)
                .configure(crate::admin::configure);
            let app = app
                .into_factory()
                .map_err(|e: actix_web::Error| e.error_response());
            let service = HttpService::build()
                // Without it the last TLS record of a reply waits for the
                // client's delayed ACK (~40 ms per ITI-43, BENCHMARKS.md).
                .tcp_nodelay(true)
                .keep_alive(KeepAlive::Timeout(IDLE_TIMEOUT))
                .client_request_timeout(REQUEST_HEAD_TIMEOUT)
                .client_disconnect_timeout(Duration::from_secs(5))
                .on_connect_ext(move |io: &TlsStream<TcpStream>, ext| {
                    accepted
                        .handshakes_completed
                        .fetch_add(1, Ordering::Relaxed);
                    crate::tls::on_connect(io as &dyn Any, ext)
                })
                .finish(map_config(app, |_| AppConfig::default()))
                .rustls_0_23_with_config(
                    tls.clone(),
                    TlsAcceptorConfig::default().handshake_timeout(HANDSHAKE_TIMEOUT),
                );
            // The failure alone does not say who failed: note the peer first.
            apply_fn_factory(service, move |io: TcpStream, service| {
                let peer = io.peer_addr().ok().map(|a| a.ip());
                let served = service.call(io);
                let (pki, node_auth) = (Arc::clone(&pki), node_auth.clone());
                async move {
                    let result = served.await;
                    match &result {
                        Err(TlsError::Timeout) => handshake_failed(
                            &pki,
                            &node_auth,
                            HandshakeFailure::Timeout,
                            "timed out",
                            peer,
                        ),
                        Err(TlsError::Tls(io)) => handshake_failed(
                            &pki,
                            &node_auth,
                            HandshakeFailure::classify_io(io),
                            &io.to_string(),
                            peer,
                        ),
                        // After the handshake: the HTTP exchange itself failed
                        // (client went away, malformed request); not a TLS matter.
                        Err(TlsError::Service(e)) => {
                            tracing::debug!(error = ?e, "HTTPS connection ended")
                        }
                        Ok(()) => {}
                    }
                    result
                }
            })
            .map_err(|_| ())
        })?
        .run())
}

/// A refused or broken handshake: counted by reason, logged, and audited as
/// an ITI-19 node authentication failure. The MLLP/TLS listener calls this
/// too, with its own `listener` name through [`handshake_failed_on`].
pub fn handshake_failed(
    pki: &PkiRuntime,
    node_auth: &NodeAuthAudit,
    reason: HandshakeFailure,
    detail: &str,
    peer: Option<IpAddr>,
) {
    handshake_failed_on("https", pki, node_auth, reason, detail, peer);
}

/// [`handshake_failed`] for the listener named `listener` (`https`, `mllp`).
pub fn handshake_failed_on(
    listener: &'static str,
    pki: &PkiRuntime,
    node_auth: &NodeAuthAudit,
    reason: HandshakeFailure,
    detail: &str,
    peer: Option<IpAddr>,
) {
    pki.handshake_failures.record(reason);
    match reason {
        // Port scanners and health probes that close early are noise.
        HandshakeFailure::ConnectionClosed | HandshakeFailure::Timeout => {
            tracing::debug!(
                listener,
                reason = reason.as_str(),
                detail,
                "TLS handshake failed"
            )
        }
        _ => tracing::warn!(
            listener,
            reason = reason.as_str(),
            detail,
            ?peer,
            "TLS handshake refused"
        ),
    }
    node_auth.handshake_failed(FailedHandshake {
        reason,
        peer,
        listener,
        detail: detail.to_string(),
    });
}
