//! RFC 5424 messages as ATNA wants them (ITI-20): PRI `<85>` (facility
//! authpriv, severity notice), version 1, timestamp, host, app, procid,
//! MSGID `IHE+RFC-3881`, no structured data, MSG = the audit XML. RFC 5425
//! (TLS) frames each message as `LEN SP MSG` (octet counting); RFC 5426 (UDP)
//! sends one message per datagram.

use chrono::{DateTime, Utc};

/// PRI for facility 10 (security/authorization, authpriv) and severity 5 (notice).
pub const PRI: &str = "<85>";
pub const MSGID: &str = "IHE+RFC-3881";
/// The largest UDP payload sent; RFC 5426 lets senders truncate.
pub const MAX_UDP_MESSAGE: usize = 65_000;

/// The header fields that do not change between messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub hostname: String,
    pub app_name: String,
    pub proc_id: String,
}

impl Header {
    pub fn new(hostname: &str, app_name: &str, proc_id: &str) -> Self {
        Self {
            hostname: header_field(hostname, 255),
            app_name: header_field(app_name, 48),
            proc_id: header_field(proc_id, 128),
        }
    }

    /// One RFC 5424 message carrying `xml`.
    pub fn message(&self, time: DateTime<Utc>, xml: &str) -> Vec<u8> {
        format!(
            "{PRI}1 {} {} {} {} {MSGID} - {xml}",
            crate::format_time(time),
            self.hostname,
            self.app_name,
            self.proc_id
        )
        .into_bytes()
    }
}

/// RFC 5425 octet-counting frame: the length in decimal, a space, the message.
pub fn octet_counted(message: &[u8]) -> Vec<u8> {
    let mut frame = format!("{} ", message.len()).into_bytes();
    frame.extend_from_slice(message);
    frame
}

/// RFC 5424 header fields are printable US-ASCII without spaces; `-` when empty.
fn header_field(value: &str, max: usize) -> String {
    let cleaned: String = value
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if cleaned.is_empty() {
        "-".to_string()
    } else {
        cleaned
    }
}

/// This machine's host name for the HOSTNAME field.
pub fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn message_has_the_ihe_header_and_frame() {
        let h = Header::new("hub 1", "renkei", "42");
        let t = DateTime::from_timestamp(1_700_000_000, 5_000_000).unwrap();
        let m = h.message(t, "<AuditMessage/>");
        assert_eq!(
            String::from_utf8(m.clone()).unwrap(),
            "<85>1 2023-11-14T22:13:20.005Z hub1 renkei 42 IHE+RFC-3881 - <AuditMessage/>"
        );
        let f = octet_counted(&m);
        assert_eq!(f, [format!("{} ", m.len()).into_bytes(), m].concat());
        assert_eq!(Header::new("", "", "").hostname, "-");
    }

    #[test]
    fn length_counts_octets_not_characters() {
        let m = "<85>1 - - - - IHE+RFC-3881 - 患者".as_bytes();
        assert!(octet_counted(m).starts_with(format!("{} ", m.len()).as_bytes()));
        assert_eq!(m.len(), "<85>1 - - - - IHE+RFC-3881 - ".len() + 6);
    }
}
