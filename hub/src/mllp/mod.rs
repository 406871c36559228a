//! The MLLP over TLS listener (ITI-8, ITI-9): the HTTPS listener's TLS
//! server configuration, client-certificate rules, revocation / suspension
//! checks (at the handshake and again for every message on an open
//! connection) and handshake-failure metrics.
//!
//! Each connection is its own task reading one frame at a time and answering
//! it before reading the next (original-mode request/reply). Frames are
//! bounded; broken framing closes that connection only. Timeouts: 10 s to
//! complete the TLS handshake, 60 s idle between messages.

mod dispatch;

pub use dispatch::{cx_of, demographics};

use crate::https::{HANDSHAKE_TIMEOUT, handshake_failed_on};
use crate::node_auth::NodeAuthAudit;
use crate::pki_watch::{HandshakeFailure, PkiRuntime};
use crate::policy::Access;
use audit::{AuditEvent, Requestor, Transaction};
use certs::PeerIdentity;
use futures_util::{SinkExt, StreamExt};
use hl7::mllp::MllpCodec;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::codec::Framed;

/// A connection with no message for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest MLLP frame (one HL7 message) accepted.
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;

/// What every MLLP connection shares.
pub struct MllpContext {
    pub pix: pix::Pix,
    pub trust: certs::TrustState,
    pub access: Access,
    pub pki: Arc<PkiRuntime>,
    /// Refused handshakes and requests: audited off the connection's path.
    pub node_auth: NodeAuthAudit,
}

/// Serves `listener` until the task is aborted.
pub async fn serve(listener: TcpListener, tls: rustls::ServerConfig, ctx: Arc<MllpContext>) {
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    loop {
        match listener.accept().await {
            Ok((tcp, addr)) => {
                let (acceptor, ctx) = (acceptor.clone(), Arc::clone(&ctx));
                tokio::spawn(async move { connection(tcp, addr, acceptor, ctx).await });
            }
            Err(e) => {
                // Out of file descriptors and the like: wait, keep serving.
                tracing::warn!(error = %e, "MLLP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connection(
    tcp: TcpStream,
    addr: SocketAddr,
    acceptor: TlsAcceptor,
    ctx: Arc<MllpContext>,
) {
    let _ = tcp.set_nodelay(true);
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(io)) => {
            let reason = HandshakeFailure::classify_io(&io);
            let detail = io.to_string();
            handshake_failed_on(
                "mllp",
                &ctx.pki,
                &ctx.node_auth,
                reason,
                &detail,
                Some(addr.ip()),
            );
            return;
        }
        Err(_) => {
            let reason = HandshakeFailure::Timeout;
            handshake_failed_on(
                "mllp",
                &ctx.pki,
                &ctx.node_auth,
                reason,
                "timed out",
                Some(addr.ip()),
            );
            return;
        }
    };
    ctx.pki.handshakes_completed.fetch_add(1, Ordering::Relaxed);
    let address = Some(addr.ip().to_string());
    let peer = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|cert| PeerIdentity::from_der(cert.as_ref()));
    let peer = match peer {
        Some(Ok(peer)) => peer,
        _ => {
            refused(
                &ctx,
                address,
                None,
                Transaction::NodeAuthFailure,
                "no usable client certificate",
            );
            return;
        }
    };
    crate::metrics::TLS_CONNECTIONS.fetch_add(1, Ordering::Relaxed);
    let mut framed = Framed::new(tls, MllpCodec::with_max_frame_len(MAX_FRAME_BYTES));
    loop {
        let frame = match tokio::time::timeout(IDLE_TIMEOUT, framed.next()).await {
            Err(_) | Ok(None) => break,
            Ok(Some(Err(e))) => {
                tracing::info!(peer = %peer.facility_oid, error = %e, "MLLP connection closed: broken framing");
                break;
            }
            Ok(Some(Ok(frame))) => frame,
        };
        // A revocation or suspension also ends connections already open.
        if let Err(e) = ctx.trust.check_peer(&peer) {
            refused(
                &ctx,
                address.clone(),
                Some(&peer.facility_oid),
                Transaction::NodeAuthFailure,
                &e.to_string(),
            );
            break;
        }
        let reply = dispatch::handle(&ctx, &peer, address.clone(), &frame).await;
        if let Err(e) = framed.send(reply).await {
            tracing::debug!(error = %e, "MLLP reply could not be sent");
            break;
        }
    }
}

/// Audits a refusal without holding up the connection task.
pub(crate) fn refused(
    ctx: &MllpContext,
    address: Option<String>,
    facility: Option<&str>,
    transaction: Transaction,
    reason: &str,
) {
    let requestor = Requestor {
        facility_oid: facility.map(str::to_string),
        user: None,
        address,
    };
    let event =
        AuditEvent::new(transaction, requestor).failed(audit::Outcome::MinorFailure, reason);
    ctx.node_auth.refused(event);
}
