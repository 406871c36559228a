//! HL7 v2 over MLLP/TLS as a participant speaks it: a client with a
//! facility certificate, and a small receiver (a PIX consumer for ITI-10)
//! with a certificate from the operator CA.

use anyhow::{Context, Result, anyhow};
use futures_util::{SinkExt, StreamExt};
use hl7::mllp::MllpCodec;
use hub::certs;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;

const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// A PIX source / consumer connected to the hub's MLLP listener.
pub struct MllpClient {
    framed: Framed<tokio_rustls::client::TlsStream<TcpStream>, MllpCodec>,
}

impl MllpClient {
    /// Connects with the certificate in `dir` (key.pem, cert.pem, ca.pem).
    pub async fn connect_dir(addr: SocketAddr, dir: &Path) -> Result<Self> {
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).with_context(|| f.to_string());
        Self::connect(
            addr,
            &read("ca.pem")?,
            &read("cert.pem")?,
            &read("key.pem")?,
        )
        .await
    }

    pub async fn connect(
        addr: SocketAddr,
        ca_pem: &str,
        cert_pem: &str,
        key_pem: &str,
    ) -> Result<Self> {
        let config = certs::client_config(ca_pem, cert_pem, key_pem)?;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = TcpStream::connect(addr).await?;
        let name = rustls_pki_types::ServerName::try_from("localhost")?;
        let tls = connector.connect(name, tcp).await?;
        Ok(Self {
            framed: Framed::new(tls, MllpCodec::with_max_frame_len(16 * 1024 * 1024)),
        })
    }

    /// Sends one message (ER7 bytes, CR segment ends) and waits for the reply.
    pub async fn send(&mut self, message: &[u8]) -> Result<Vec<u8>> {
        self.framed.send(message.to_vec()).await?;
        self.reply().await
    }

    /// Writes bytes as they are, without MLLP framing (broken input).
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<()> {
        let stream = self.framed.get_mut();
        stream.write_all(bytes).await?;
        stream.flush().await?;
        Ok(())
    }

    /// The next reply frame; an error when the hub closed the connection.
    pub async fn reply(&mut self) -> Result<Vec<u8>> {
        let frame = tokio::time::timeout(REPLY_TIMEOUT, self.framed.next())
            .await
            .map_err(|_| anyhow!("no reply within {REPLY_TIMEOUT:?}"))?
            .ok_or_else(|| anyhow!("connection closed"))??;
        Ok(frame.to_vec())
    }
}

/// Fields of the first segment named `name` in an ER7 reply (index = HL7
/// field number; for MSH, index 1 is the field separator like HL7 counts).
pub fn segment(reply: &[u8], name: &str) -> Option<Vec<String>> {
    let message = hl7::v2::Message::parse(reply).ok()?;
    let text = message.text().to_string();
    text.split('\r')
        .find(|s| s.starts_with(name) && s.as_bytes().get(name.len()) == Some(&b'|'))
        .map(|s| {
            let mut fields: Vec<String> = s.split('|').map(str::to_string).collect();
            if name == "MSH" {
                fields.insert(1, "|".to_string());
            }
            fields
        })
}

/// All segments named `name`.
pub fn segments(reply: &[u8], name: &str) -> Vec<Vec<String>> {
    let Ok(message) = hl7::v2::Message::parse(reply) else {
        return Vec::new();
    };
    message
        .text()
        .split('\r')
        .filter(|s| s.starts_with(name) && s.as_bytes().get(name.len()) == Some(&b'|'))
        .map(|s| s.split('|').map(str::to_string).collect())
        .collect()
}

/// A PIX consumer's notification receiver with a server certificate from
/// the operator CA, requiring the hub's client certificate: MLLP/TLS for
/// ITI-10 ([`MllpReceiver::start`]) or SOAP over HTTPS for ITI-46
/// ([`MllpReceiver::start_soap`]). Records every message it acknowledged
/// (decoded HL7 v2 text, or the SOAP request body) in order.
pub struct MllpReceiver {
    pub addr: SocketAddr,
    pub received: Arc<tokio::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
    connections: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

type Log = Arc<tokio::sync::Mutex<Vec<String>>>;

impl MllpReceiver {
    /// Listens on `addr` (port 0 for any) with the certificate and key PEMs.
    pub async fn start(
        addr: SocketAddr,
        ca_pem: &str,
        cert_pem: &str,
        key_pem: &str,
        received: Log,
    ) -> Result<Self> {
        Self::listen(
            addr,
            consumer_tls(ca_pem, cert_pem, key_pem)?,
            received,
            false,
        )
        .await
    }

    /// An HTTPS endpoint answering every POST with an MCCI_IN000002UV01 AA.
    pub async fn start_soap(
        addr: SocketAddr,
        ca_pem: &str,
        cert_pem: &str,
        key_pem: &str,
        received: Log,
    ) -> Result<Self> {
        Self::listen(
            addr,
            consumer_tls(ca_pem, cert_pem, key_pem)?,
            received,
            true,
        )
        .await
    }

    async fn listen(
        addr: SocketAddr,
        config: rustls::ServerConfig,
        received: Log,
        http: bool,
    ) -> Result<Self> {
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let log = Arc::clone(&received);
        let connections = Arc::new(std::sync::Mutex::new(Vec::new()));
        let open = Arc::clone(&connections);
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, log) = (acceptor.clone(), Arc::clone(&log));
                let connection = tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    if http {
                        soap_connection(tls, log).await;
                    } else {
                        mllp_connection(tls, log).await;
                    }
                });
                if let Ok(mut open) = open.lock() {
                    open.push(connection);
                }
            }
        });
        Ok(Self {
            addr,
            received,
            task,
            connections,
        })
    }

    /// Stops listening and drops every open connection (the consumer is down).
    pub fn stop(self) {
        self.task.abort();
        if let Ok(open) = self.connections.lock() {
            for c in open.iter() {
                c.abort();
            }
        }
    }
}

/// A consumer trusts the operator CA for the hub's node certificate (which
/// names no facility, so the hub's own verifier is not used).
fn consumer_tls(ca_pem: &str, cert_pem: &str, key_pem: &str) -> Result<rustls::ServerConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for c in certs::certs_from_pem(ca_pem)? {
        roots.add(c)?;
    }
    let provider = certs::crypto_provider();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::clone(&provider),
    )
    .build()?;
    Ok(rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(certs::PROTOCOL_VERSIONS)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            certs::certs_from_pem(cert_pem)?,
            certs::private_key_from_pem(key_pem)?,
        )?)
}

async fn mllp_connection(tls: tokio_rustls::server::TlsStream<TcpStream>, log: Log) {
    let mut framed = Framed::new(tls, MllpCodec::new());
    while let Some(Ok(frame)) = framed.next().await {
        let Ok(message) = hl7::v2::Message::parse(&frame) else {
            return;
        };
        let meta = hl7::pix_v2::ReplyMeta {
            control_id: "RCV".into(),
            timestamp: "20260101000000".into(),
        };
        let Ok(ack) = hl7::pix_v2::ack(&message, hl7::pix_v2::AckCode::AA, None, &meta) else {
            return;
        };
        let Ok(bytes) = ack.encode() else { return };
        log.lock().await.push(message.text().to_string());
        if framed.send(bytes).await.is_err() {
            return;
        }
    }
}

/// HTTP/1.1 with Content-Length bodies, enough for the hub's ITI-46 client.
async fn soap_connection(mut tls: tokio_rustls::server::TlsStream<TcpStream>, log: Log) {
    use tokio::io::AsyncReadExt;
    let mut buffer: Vec<u8> = Vec::new();
    loop {
        let Some(head_end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            let mut chunk = [0u8; 8192];
            match tls.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buffer.len() < head_end + 4 + length {
            let mut chunk = [0u8; 8192];
            match tls.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let body =
            String::from_utf8_lossy(&buffer[head_end + 4..head_end + 4 + length]).to_string();
        buffer.drain(..head_end + 4 + length);
        log.lock().await.push(body);
        let reply = r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><MCCI_IN000002UV01 xmlns="urn:hl7-org:v3" ITSVersion="XML_1.0"><acknowledgement><typeCode code="CA"/></acknowledgement></MCCI_IN000002UV01></soap:Body></soap:Envelope>"#;
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: {}\r\n\r\n{reply}",
            reply.len()
        );
        if tls.write_all(response.as_bytes()).await.is_err() || tls.flush().await.is_err() {
            return;
        }
    }
}
