//! PIX Update Notification senders: one task per subscriber delivers the
//! outbox (written in the feed's transaction) in order, as ADT^A31 over
//! MLLP/TLS (ITI-10) or PRPA_IN201302UV02 over SOAP/HTTPS (ITI-46), with the
//! hub's node certificate, retrying with backoff until the consumer accepts
//! (MSA-1 / acknowledgement AA or CA). The position is the database row, so
//! it survives restarts; a consumer that is down loses nothing.

use crate::config::PixSubscriber;
use futures_util::{SinkExt, StreamExt};
use hl7::cx::{Demographics, Hd, Xad, Xpn};
use hl7::mllp::MllpCodec;
use hl7::pix_v2::{self, AckCode, ReplyMeta, UpdateNotification};
use hl7::v2::{Charset, Message};
use hl7::v3::{self, Ii, V3Notification, V3ReplyMeta};
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

/// ITI-46 SOAP action.
const ITI46: &str = "urn:hl7-org:v3:PRPA_IN201302UV02";

async fn run(pix: Pix, subscriber: PixSubscriber, tls: Arc<rustls::ClientConfig>) {
    let http = if subscriber.url.is_empty() {
        None
    } else {
        match reqwest::Client::builder()
            .tls_backend_preconfigured((*tls).clone())
            .https_only(true)
            .timeout(ACK_TIMEOUT)
            .build()
        {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::error!(subscriber = %subscriber.facility, error = %e, "ITI-46 client cannot be built; notifications wait");
                return;
            }
        }
    };
    let transaction = if http.is_some() {
        audit::Transaction::Iti46
    } else {
        audit::Transaction::Iti10
    };
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
            let delivered = match &http {
                Some(http) => deliver_v3(http, &pix, &subscriber, &n).await,
                None => deliver(&mut connection, &connector, &pix, &subscriber, &n).await,
            };
            match delivered {
                Ok(()) => {
                    backoff = FIRST_BACKOFF;
                    let patient = n.notification.identifiers.first().map(|i| i.to_cx());
                    if let Err(e) = pix
                        .notification_delivered(&subscriber.facility, n.seq, transaction, patient)
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
        demographics: wire_demographics(&n.notification.demographics),
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

/// PIX demographics as HL7 types (PID-5/7/8/11; v3 name, birthTime...).
fn wire_demographics(d: &pix::Demographics) -> Demographics {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    Demographics {
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
    }
}

/// ITI-46: PRPA_IN201302UV02 in a SOAP 1.2 request; accepted when the
/// consumer's MCCI_IN000002UV01 acknowledgement says AA or CA.
async fn deliver_v3(
    http: &reqwest::Client,
    pix: &Pix,
    subscriber: &PixSubscriber,
    n: &PendingNotification,
) -> Result<(), String> {
    let affinity = pix.affinity_domain();
    let notification = V3Notification {
        sender_device: Ii::root(affinity),
        receiver_device: Ii::root(subscriber.facility.clone()),
        patient_ids: n
            .notification
            .identifiers
            .iter()
            .map(|i| Ii::new(i.authority_oid.clone(), Some(i.id.clone())))
            .collect(),
        demographics: wire_demographics(&n.notification.demographics),
        custodian: Ii::root(affinity),
    };
    let meta = V3ReplyMeta {
        message_id: Ii::new(affinity, Some(format!("ITI46-{}", n.seq))),
        creation_time: chrono::Utc::now().format("%Y%m%d%H%M%S").to_string(),
    };
    let body = v3::prpa_in201302_notification(&notification, &meta);
    let envelope = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing"><soap:Header><wsa:Action soap:mustUnderstand="1">{ITI46}</wsa:Action><wsa:MessageID>urn:uuid:{id}</wsa:MessageID><wsa:To>{to}</wsa:To></soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"#,
        id = uuid::Uuid::new_v4(),
        to = soap::escape_text(&subscriber.url),
    );
    let response = http
        .post(&subscriber.url)
        .header(
            "Content-Type",
            format!("application/soap+xml; charset=UTF-8; action=\"{ITI46}\""),
        )
        .body(envelope)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    match acknowledgement_code(&text) {
        Some("AA" | "CA") => Ok(()),
        Some(other) => Err(format!("consumer answered {other}")),
        None => Err("no MCCI_IN000002UV01 acknowledgement in the reply".into()),
    }
}

/// `acknowledgement/typeCode/@code` of an MCCI_IN000002UV01 (text search:
/// the reply is only checked, never stored or parsed further).
fn acknowledgement_code(text: &str) -> Option<&str> {
    let ack = &text[text.find("MCCI_IN000002UV01")?..];
    let ack = &ack[ack.find("acknowledgement")?..];
    let rest = &ack[ack.find("typeCode")? + "typeCode".len()..];
    // `<typeCode code="AA"/>` (the schema) or a `typeCode="AA"` attribute.
    let value = match rest.strip_prefix("=\"") {
        Some(v) => v,
        None => &rest[rest.find("code=\"")? + 6..],
    };
    value.get(..value.find('"')?)
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

#[cfg(test)]
mod tests {
    #[test]
    fn acknowledgement_codes_are_read_in_both_forms() {
        let child = r#"<MCCI_IN000002UV01><acknowledgement><typeCode code="CA"/></acknowledgement></MCCI_IN000002UV01>"#;
        assert_eq!(super::acknowledgement_code(child), Some("CA"));
        let attr = r#"<MCCI_IN000002UV01><acknowledgement typeCode="AE"></acknowledgement></MCCI_IN000002UV01>"#;
        assert_eq!(super::acknowledgement_code(attr), Some("AE"));
        assert_eq!(super::acknowledgement_code("<Fault/>"), None);
    }
}
