//! Idle mutual-TLS connections: how much memory the hub needs to hold many
//! participants connected at once (issue 7: 10,000 idle connections in
//! < 1 GB RSS).
//!
//! Opens `connections` TLS connections with a client certificate, a bounded
//! number of handshakes at a time, keeps every one open without sending a
//! request, samples the hub's RSS while they are held, then closes them. The
//! hub closes a connection that sends no request head within 60 s, so the
//! whole set must open, and the hold must end, within that window: the plan
//! is refused if `hold` alone exceeds it.

use super::server::rss_kb;
use anyhow::{Context, Result, bail};
use rustls::pki_types::ServerName;
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// The hub's request-head timeout (`hub::https::REQUEST_HEAD_TIMEOUT`).
const SERVER_IDLE_LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct IdlePlan {
    pub addr: SocketAddr,
    /// The name the hub's certificate is checked against.
    pub server_name: String,
    pub connections: usize,
    /// Handshakes in flight at once.
    pub parallel_handshakes: usize,
    /// How long every connection is held open after the last one opened.
    pub hold: Duration,
    /// The hub's process id, for RSS.
    pub server_pid: Option<u32>,
    /// Give up opening after this long.
    pub open_timeout: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct IdleReport {
    pub requested: usize,
    pub opened: usize,
    pub failed: usize,
    pub first_error: Option<String>,
    pub open_seconds: f64,
    pub handshakes_per_second: f64,
    pub rss_before_mb: Option<f64>,
    /// Highest RSS sampled while the connections were open.
    pub rss_held_max_mb: Option<f64>,
    pub rss_after_close_mb: Option<f64>,
    /// (held max - before) / opened.
    pub kb_per_connection: Option<f64>,
    /// Connections still open (a non-blocking probe reads no EOF) at the end of the hold.
    pub still_open_after_hold: usize,
}

impl IdleReport {
    pub fn render(&self) -> String {
        let mb = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1} MB"));
        format!(
            "idle mutual-TLS connections: {} requested, {} opened, {} failed{}\n\
             opened in {:.1} s ({:.0} handshakes/s), {} still open after the hold\n\
             hub RSS: before {}, held max {}, after close {}; {} per connection\n",
            self.requested,
            self.opened,
            self.failed,
            self.first_error
                .as_ref()
                .map(|e| format!(" (first error: {e})"))
                .unwrap_or_default(),
            self.open_seconds,
            self.handshakes_per_second,
            self.still_open_after_hold,
            mb(self.rss_before_mb),
            mb(self.rss_held_max_mb),
            mb(self.rss_after_close_mb),
            self.kb_per_connection
                .map_or("-".to_string(), |v| format!("{v:.1} kB")),
        )
    }
}

fn rss_mb(pid: Option<u32>) -> Option<f64> {
    pid.and_then(rss_kb).map(|kb| kb as f64 / 1024.0)
}

async fn open_one(
    addr: SocketAddr,
    name: ServerName<'static>,
    connector: TlsConnector,
) -> Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await.context("connect")?;
    tcp.set_nodelay(true)?;
    let tls = connector
        .connect(name, tcp)
        .await
        .context("TLS handshake")?;
    Ok(tls)
}

/// Whether the peer has not closed the connection: a read that would block
/// means open; EOF or an error means closed. Idle connections carry no data,
/// so nothing is consumed.
fn looks_open(stream: &TlsStream<TcpStream>) -> bool {
    let (tcp, _) = stream.get_ref();
    let mut buf = [0u8; 1];
    match tcp.try_read(&mut buf) {
        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
        // Data (e.g. a TLS alert) or EOF: the hub is closing it.
        Ok(_) => false,
    }
}

pub async fn hold_idle(plan: &IdlePlan, tls: rustls::ClientConfig) -> Result<IdleReport> {
    if plan.hold >= SERVER_IDLE_LIMIT {
        bail!(
            "hold must be shorter than the hub's {} s request-head timeout",
            SERVER_IDLE_LIMIT.as_secs()
        );
    }
    let name = ServerName::try_from(plan.server_name.clone())
        .context("server name for the certificate check")?;
    let connector = TlsConnector::from(Arc::new(tls));
    let rss_before_mb = rss_mb(plan.server_pid);
    let gate = Arc::new(Semaphore::new(plan.parallel_handshakes.max(1)));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..plan.connections {
        let permit = gate.clone().acquire_owned().await?;
        let (addr, name, connector) = (plan.addr, name.clone(), connector.clone());
        tasks.spawn(async move {
            let r = open_one(addr, name, connector).await;
            drop(permit);
            r
        });
        if started.elapsed() > plan.open_timeout {
            break;
        }
    }
    let mut open = Vec::with_capacity(plan.connections);
    let mut failed = 0;
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(stream)) => open.push(stream),
            Ok(Err(e)) => {
                failed += 1;
                first_error.get_or_insert_with(|| format!("{e:#}"));
            }
            Err(e) => {
                failed += 1;
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let open_seconds = started.elapsed().as_secs_f64();
    let held_until = Instant::now() + plan.hold;
    let mut rss_held_max_mb = rss_mb(plan.server_pid);
    while Instant::now() < held_until {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if let Some(now) = rss_mb(plan.server_pid) {
            rss_held_max_mb = Some(rss_held_max_mb.map_or(now, |m: f64| m.max(now)));
        }
    }
    let still_open_after_hold = open.iter().filter(|s| looks_open(s)).count();
    let opened = open.len();
    drop(open);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after_close_mb = rss_mb(plan.server_pid);
    let kb_per_connection = match (rss_before_mb, rss_held_max_mb) {
        (Some(b), Some(h)) if opened > 0 => Some((h - b) * 1024.0 / opened as f64),
        _ => None,
    };
    Ok(IdleReport {
        requested: plan.connections,
        opened,
        failed,
        first_error,
        open_seconds,
        handshakes_per_second: if open_seconds > 0.0 {
            opened as f64 / open_seconds
        } else {
            0.0
        },
        rss_before_mb,
        rss_held_max_mb,
        rss_after_close_mb,
        kb_per_connection,
        still_open_after_hold,
    })
}
