//! ITI-10 PIX Update Notification sender: one task per subscriber delivers
//! the outbox (written in the feed's transaction) in order, as ADT^A31 over
//! MLLP/TLS with the hub's node certificate, retrying with backoff until the
//! consumer answers MSA-1 AA (or CA). The position is the database row, so it
//! survives restarts; a consumer that is down loses nothing.

use crate::config::PixSubscriber;
use futures_util::{SinkExt, StreamExt};
use hl7::cx::{Demographics, Hd, Xad, Xpn};
use hl7::mllp::MllpCodec;
use hl7::pix_v2::{self, AckCode, ReplyMeta, UpdateNotification};
use hl7::v2::{Charset, Message};
use pix::{PendingNotification, Pix};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_util::codec::Framed;

const POLL: Duration = Duration::from_millis(250);
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const ACK_TIMEOUT: Duration = Duration::from_secs(30);
const BATCH: i64 = 50;

type Connection = Framed<TlsStream<TcpStream>, MllpCodec>;

/// Starts one sender per subscriber.
pub fn start(
    pix: &Pix,
    subscribers: &[PixSubscriber],
    tls: Arc<rustls::ClientConfig>,
) -> Vec<tokio::task::JoinHandle<()>> {
    subscribers
        .iter()
        .map(|s| {
            let (pix, s, tls) = (pix.clone(), s.clone(), Arc::clone(&tls));
            tokio::spawn(async move { run(pix, s, tls).await })
        })
        .collect()
}

async fn run(pix: Pix, subscriber: PixSubscriber, tls: Arc<rustls::ClientConfig>) {
    let connector = TlsConnector::from(tls);
    let mut connection: Option<Connection> = None;
    let mut backoff = FIRST_BACKOFF;
    loop {
        let pending = match pix.pending_notifications(&subscriber.facility, BATCH).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the PIX outbox");
                tokio::time::sleep(backoff).await;
                continue;
            }
        };
        if pending.is_empty() {
            tokio::time::sleep(POLL).await;
            continue;
        }
        for n in pending {
            match deliver(&mut connection, &connector, &pix, &subscriber, &n).await {
                Ok(()) => {
                    backoff = FIRST_BACKOFF;
                    let patient = n.notification.identifiers.first().map(|i| i.to_cx());
                    if let Err(e) = pix
                        .notification_delivered(
                            &subscriber.facility,
                            n.seq,
                            audit::Transaction::Iti10,
                            patient,
                        )
                        .await
                    {
                        // Sent again later: consumers treat A31 as idempotent.
                        tracing::warn!(error = %e, "could not mark an ITI-10 notification delivered");
                        break;
                    }
                }
                Err(reason) => {
                    connection = None;
                    tracing::info!(subscriber = %subscriber.facility, seq = n.seq, %reason, "ITI-10 delivery failed; will retry");
                    if let Err(e) = pix.notification_failed(n.seq).await {
                        tracing::warn!(error = %e, "could not count an ITI-10 attempt");
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    break;
                }
            }
        }
    }
}

async fn deliver(
    connection: &mut Option<Connection>,
    connector: &TlsConnector,
    pix: &Pix,
    subscriber: &PixSubscriber,
    n: &PendingNotification,
) -> Result<(), String> {
    let (charset, charset_field) = match subscriber.charset.as_str() {
        "UNICODE UTF-8" => (Charset::Utf8, "UNICODE UTF-8"),
        "~ISO IR87" | "ISO IR87" => (Charset::Iso2022Jp, subscriber.charset.as_str()),
        _ => (Charset::Default, ""),
    };
    let d = &n.notification.demographics;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let notification = UpdateNotification {
        sending_application: Hd {
            namespace_id: "RENKEI".into(),
            ..Hd::default()
        },
        sending_facility: Hd::oid(pix.affinity_domain()),
        receiving_application: Hd::default(),
        receiving_facility: Hd::oid(subscriber.facility.clone()),
        identifiers: n
            .notification
            .identifiers
            .iter()
            .map(crate::mllp::cx_of)
            .collect(),
        demographics: Demographics {
            names: if d.family.is_some() || d.given.is_some() {
                vec![Xpn {
                    family: text(&d.family),
                    given: text(&d.given),
                    ..Xpn::default()
                }]
            } else {
                Vec::new()
            },
            birth_date: text(&d.birth_date),
            sex: text(&d.sex),
            addresses: d
                .address
                .iter()
                .map(|a| Xad {
                    street: a.clone(),
                    ..Xad::default()
                })
                .collect(),
        },
        charset,
        charset_field: charset_field.to_string(),
    };
    let control_id = format!("A31-{}", n.seq);
    let meta = ReplyMeta {
        control_id: control_id.clone(),
        timestamp: chrono::Utc::now().format("%Y%m%d%H%M%S").to_string(),
    };
    let bytes = pix_v2::adt_a31(&notification, &meta)
        .map_err(|e| e.to_string())?
        .encode()
        .map_err(|e| e.to_string())?;
    if connection.is_none() {
        *connection = Some(connect(connector, &subscriber.mllp).await?);
    }
    let Some(framed) = connection.as_mut() else {
        return Err("no connection".into());
    };
    framed.send(bytes).await.map_err(|e| e.to_string())?;
    let reply = tokio::time::timeout(ACK_TIMEOUT, framed.next())
        .await
        .map_err(|_| "no acknowledgement in time".to_string())?
        .ok_or("connection closed before the acknowledgement")?
        .map_err(|e| e.to_string())?;
    let reply = Message::parse(&reply).map_err(|e| e.to_string())?;
    let ack = pix_v2::parse_ack(&reply).map_err(|e| e.to_string())?;
    if ack.acknowledged_control_id != control_id {
        return Err(format!(
            "acknowledgement for {:?}, expected {control_id:?}",
            ack.acknowledged_control_id
        ));
    }
    match ack.code {
        AckCode::AA => Ok(()),
        other => Err(format!(
            "consumer answered {}: {}",
            other.as_str(),
            ack.text
        )),
    }
}

async fn connect(connector: &TlsConnector, address: &str) -> Result<Connection, String> {
    let host = address
        .rsplit_once(':')
        .map(|(h, _)| h.trim_start_matches('[').trim_end_matches(']'))
        .unwrap_or(address)
        .to_string();
    let name = rustls::pki_types::ServerName::try_from(host).map_err(|e| e.to_string())?;
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address))
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    let tls = tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(name, tcp))
        .await
        .map_err(|_| "TLS handshake timed out".to_string())?
        .map_err(|e| e.to_string())?;
    Ok(Framed::new(
        tls,
        MllpCodec::with_max_frame_len(crate::mllp::MAX_FRAME_BYTES),
    ))
}
