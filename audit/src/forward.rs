//! ITI-20 Record Audit Event: sends every audit row, in chain order, to each
//! configured audit record repository, from a cursor per destination kept in
//! the database. Rows are read from the durable table, never from memory, so
//! nothing is lost while a collector is down and a restarted hub resumes at
//! the cursor.
//!
//! RFC 5425 has no application acknowledgement. A TLS batch counts as
//! delivered when the collector, after our last frame and TLS close_notify,
//! closes the session itself: it has then read every frame. A collector that
//! goes away mid-batch gets the whole batch again (at-least-once: it may see
//! a record twice, never miss one). UDP (RFC 5426) is best effort: the
//! cursor moves once the datagrams are sent.

use crate::error::AuditError;
use crate::syslog::{Header, MAX_UDP_MESSAGE, octet_counted};
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;
use tokio_rustls::TlsConnector;

/// How records travel to one destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// RFC 5425, mutual TLS, octet counting.
    Tls,
    /// RFC 5426, one datagram per record.
    Udp,
}

/// An audit record repository: `tls://host:port` or `udp://host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The configured URL; also the cursor's key.
    pub url: String,
    pub transport: Transport,
    pub host: String,
    pub port: u16,
}

impl Destination {
    pub fn parse(url: &str) -> Result<Self, AuditError> {
        let bad = |why: &str| AuditError::Destination(url.to_string(), why.to_string());
        let url = url.trim();
        let (transport, rest) = if let Some(r) = url.strip_prefix("tls://") {
            (Transport::Tls, r)
        } else if let Some(r) = url.strip_prefix("udp://") {
            (Transport::Udp, r)
        } else {
            return Err(bad("use tls://host:port or udp://host:port"));
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| bad("the port is missing (6514 is the syslog-over-TLS port)"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad("the host is missing"));
        }
        let port: u16 = port
            .parse()
            .map_err(|_| bad("the port is not a number from 1 to 65535"))?;
        if port == 0 {
            return Err(bad("the port is not a number from 1 to 65535"));
        }
        Ok(Destination {
            url: url.to_string(),
            transport,
            host: host.to_string(),
            port,
        })
    }
}

/// How the forwarders behave.
#[derive(Clone)]
pub struct ForwarderConfig {
    /// Client configuration for TLS destinations (the hub's node certificate).
    pub tls: Option<Arc<ClientConfig>>,
    pub header: Header,
    /// Most records per batch (one TLS session per batch).
    pub batch_size: i64,
    /// Pause when everything has been sent.
    pub poll_interval: Duration,
    /// Limit for connecting, each write and the collector's acknowledgement.
    pub io_timeout: Duration,
    /// Longest pause between attempts while a destination fails.
    pub max_backoff: Duration,
}

impl ForwarderConfig {
    pub fn new(tls: Option<Arc<ClientConfig>>, header: Header) -> Self {
        Self {
            tls,
            header,
            batch_size: 500,
            poll_interval: Duration::from_secs(1),
            io_timeout: Duration::from_secs(15),
            max_backoff: Duration::from_secs(60),
        }
    }
}

impl std::fmt::Debug for ForwarderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForwarderConfig")
            .field("tls", &self.tls.is_some())
            .field("header", &self.header)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

/// Sends the records after `destination`'s cursor (one batch) and moves the
/// cursor on acknowledgement. Returns how many were sent.
pub async fn forward_batch(
    store: &Store,
    destination: &Destination,
    config: &ForwarderConfig,
) -> Result<usize, AuditError> {
    let key = destination.url.clone();
    let batch = config.batch_size.max(1);
    crate::link_inbox(store).await?;
    let rows = store
        .read(move |conn| {
            let head = store::audit_head(conn)?;
            let cursor = store::audit_cursor(conn, &key)?
                .unwrap_or(head.pruned_seq)
                .max(head.pruned_seq);
            store::audit_rows_after(conn, cursor, batch)
        })
        .await?;
    let Some(last) = rows.last().map(|r| r.seq) else {
        return Ok(0);
    };
    let messages: Vec<Vec<u8>> = rows
        .iter()
        .map(|r| config.header.message(r.recorded_at.and_utc(), &r.message))
        .collect();
    match destination.transport {
        Transport::Tls => send_tls(destination, config, &messages).await?,
        Transport::Udp => send_udp(destination, &messages).await?,
    }
    let key = destination.url.clone();
    store
        .write(move |conn| store::set_audit_cursor(conn, &key, last))
        .await?;
    Ok(messages.len())
}

/// Forwards to `destination` for as long as the task runs, retrying with
/// exponential backoff while it fails.
pub async fn run_forwarder(store: Store, destination: Destination, config: ForwarderConfig) {
    let mut backoff = Duration::from_millis(500);
    loop {
        match forward_batch(&store, &destination, &config).await {
            Ok(0) => {
                backoff = Duration::from_millis(500);
                tokio::time::sleep(config.poll_interval).await;
            }
            Ok(n) => {
                backoff = Duration::from_millis(500);
                tracing::debug!(destination = %destination.url, records = n, "audit records forwarded");
            }
            Err(e) => {
                tracing::warn!(destination = %destination.url, error = %e, retry_in = ?backoff, "audit forwarding failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(config.max_backoff);
            }
        }
    }
}

async fn send_tls(
    d: &Destination,
    config: &ForwarderConfig,
    messages: &[Vec<u8>],
) -> Result<(), AuditError> {
    let fail = |reason: String| AuditError::Send {
        destination: d.url.clone(),
        reason,
    };
    let tls = config
        .tls
        .clone()
        .ok_or_else(|| fail("no TLS client configuration (node certificate)".into()))?;
    let name = ServerName::try_from(d.host.clone())
        .map_err(|e| fail(format!("{} is not a valid server name: {e}", d.host)))?;
    let io = config.io_timeout;
    let tcp = timeout(io, TcpStream::connect((d.host.as_str(), d.port)))
        .await
        .map_err(|_| fail("connect timed out".into()))?
        .map_err(|e| fail(format!("connect: {e}")))?;
    let _ = tcp.set_nodelay(true);
    let mut stream = timeout(io, TlsConnector::from(tls).connect(name, tcp))
        .await
        .map_err(|_| fail("TLS handshake timed out".into()))?
        .map_err(|e| fail(format!("TLS handshake: {e}")))?;
    for m in messages {
        timeout(io, stream.write_all(&octet_counted(m)))
            .await
            .map_err(|_| fail("write timed out".into()))?
            .map_err(|e| fail(format!("write: {e}")))?;
    }
    timeout(io, stream.shutdown())
        .await
        .map_err(|_| fail("close timed out".into()))?
        .map_err(|e| fail(format!("close: {e}")))?;
    // The collector closing its side after our close_notify is the acknowledgement.
    let mut buf = [0u8; 1024];
    loop {
        match timeout(io, stream.read(&mut buf)).await {
            Err(_) => {
                return Err(fail(
                    "no acknowledgement (session not closed by the collector)".into(),
                ));
            }
            Ok(Ok(0)) => return Ok(()),
            Ok(Ok(_)) => continue,
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Ok(Err(e)) => return Err(fail(format!("session ended abnormally: {e}"))),
        }
    }
}

async fn send_udp(d: &Destination, messages: &[Vec<u8>]) -> Result<(), AuditError> {
    let fail = |reason: String| AuditError::Send {
        destination: d.url.clone(),
        reason,
    };
    let addr = tokio::net::lookup_host((d.host.as_str(), d.port))
        .await
        .map_err(|e| fail(format!("resolve: {e}")))?
        .next()
        .ok_or_else(|| fail("the host has no address".into()))?;
    let local = if addr.is_ipv6() {
        "[::]:0"
    } else {
        "0.0.0.0:0"
    };
    let socket = UdpSocket::bind(local)
        .await
        .map_err(|e| fail(format!("bind: {e}")))?;
    socket
        .connect(addr)
        .await
        .map_err(|e| fail(format!("connect: {e}")))?;
    for m in messages {
        let datagram = m.get(..MAX_UDP_MESSAGE).unwrap_or(m);
        socket
            .send(datagram)
            .await
            .map_err(|e| fail(format!("send: {e}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn destinations_parse() {
        let d = Destination::parse("tls://arr.example.jp:6514").unwrap();
        assert_eq!(
            (d.transport, d.host.as_str(), d.port),
            (Transport::Tls, "arr.example.jp", 6514)
        );
        let d = Destination::parse("udp://[::1]:514").unwrap();
        assert_eq!(
            (d.transport, d.host.as_str(), d.port),
            (Transport::Udp, "::1", 514)
        );
        for bad in ["tcp://h:1", "tls://h", "tls://:1", "udp://h:0", "udp://h:x"] {
            assert!(Destination::parse(bad).is_err(), "{bad}");
        }
    }
}
