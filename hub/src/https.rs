//! The HTTPS listener. actix-web's own `listen_rustls` hides failed
//! handshakes; here the same pieces (actix-server, our rustls acceptor,
//! actix-http) are assembled by hand so every refused or broken handshake is
//! counted by reason and logged, which ATNA asks for (node authentication
//! failures must be visible to the operator).
//!
//! Timeouts: 10 s to complete the TLS handshake, 60 s to send a request's
//! headers, 30 s idle keep-alive; then the connection is closed.

use crate::pki_watch::{HandshakeFailure, PkiRuntime};
use crate::state::AppState;
use actix_http::{HttpService, KeepAlive, TlsAcceptorConfig};
use actix_service::{IntoServiceFactory, ServiceFactoryExt, map_config};
use actix_tls::accept::TlsError;
use actix_tls::accept::rustls_0_23::TlsStream;
use actix_web::dev::{AppConfig, Server};
use actix_web::rt::net::TcpStream;
use actix_web::{App, web};
use std::any::Any;
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
            let app = App::new()
                .app_data(state)
                .configure(crate::http::configure)
                .configure(crate::admin::configure);
            let app = app
                .into_factory()
                .map_err(|e: actix_web::Error| e.error_response());
            HttpService::build()
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
                )
                .map_err(move |e| match e {
                    TlsError::Timeout => {
                        record_handshake_failure(&pki, HandshakeFailure::Timeout, "timed out")
                    }
                    TlsError::Tls(io) => record_handshake_failure(
                        &pki,
                        HandshakeFailure::classify_io(&io),
                        &io.to_string(),
                    ),
                    // After the handshake: the HTTP exchange itself failed
                    // (client went away, malformed request); not a TLS matter.
                    TlsError::Service(e) => tracing::debug!(error = ?e, "HTTPS connection ended"),
                })
        })?
        .run())
}

pub(crate) fn record_handshake_failure(pki: &PkiRuntime, reason: HandshakeFailure, detail: &str) {
    pki.handshake_failures.record(reason);
    match reason {
        // Port scanners and health probes that close early are noise.
        HandshakeFailure::ConnectionClosed | HandshakeFailure::Timeout => {
            tracing::debug!(reason = reason.as_str(), detail, "TLS handshake failed")
        }
        _ => tracing::warn!(reason = reason.as_str(), detail, "TLS handshake refused"),
    }
}
