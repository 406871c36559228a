//! The hub's live PKI: the server certificate and the CA bundle are reloaded
//! from the data dir when their files change (checked with the revocation
//! refresh, every 2 s; no restart, no signal), handshake failures are counted
//! by reason, and certificate expiry is exported as metrics.
//!
//! Replacing files: write `pki/server-key.pem` and `pki/server.pem` (any
//! order; a mismatching pair is retried until both are in place), or append a
//! new CA to `pki/ca.pem` during a CA rollover. A file that cannot be used is
//! reported in the log and at `GET /admin/tls`; the old one stays in service.

use crate::pki_files::PkiFiles;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use store::Store;

/// Why a TLS handshake did not complete (metric label `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HandshakeFailure {
    NoCertificate,
    UnknownCa,
    Expired,
    NotYetValid,
    Revoked,
    FacilitySuspended,
    ChainTooLong,
    NoFacilityOid,
    BadCertificate,
    ProtocolVersion,
    NoSharedCipher,
    NoExtendedMasterSecret,
    /// The client offered only ALPN protocols other than http/1.1.
    AlpnMismatch,
    PeerIncompatible,
    /// The client refused us (e.g. it does not trust the hub's certificate).
    PeerAlert,
    ProtocolError,
    Timeout,
    ConnectionClosed,
    Other,
}

impl HandshakeFailure {
    pub const ALL: [HandshakeFailure; 19] = [
        HandshakeFailure::NoCertificate,
        HandshakeFailure::UnknownCa,
        HandshakeFailure::Expired,
        HandshakeFailure::NotYetValid,
        HandshakeFailure::Revoked,
        HandshakeFailure::FacilitySuspended,
        HandshakeFailure::ChainTooLong,
        HandshakeFailure::NoFacilityOid,
        HandshakeFailure::BadCertificate,
        HandshakeFailure::ProtocolVersion,
        HandshakeFailure::NoSharedCipher,
        HandshakeFailure::NoExtendedMasterSecret,
        HandshakeFailure::AlpnMismatch,
        HandshakeFailure::PeerIncompatible,
        HandshakeFailure::PeerAlert,
        HandshakeFailure::ProtocolError,
        HandshakeFailure::Timeout,
        HandshakeFailure::ConnectionClosed,
        HandshakeFailure::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HandshakeFailure::NoCertificate => "no_certificate",
            HandshakeFailure::UnknownCa => "unknown_ca",
            HandshakeFailure::Expired => "expired",
            HandshakeFailure::NotYetValid => "not_yet_valid",
            HandshakeFailure::Revoked => "revoked",
            HandshakeFailure::FacilitySuspended => "facility_suspended",
            HandshakeFailure::ChainTooLong => "chain_too_long",
            HandshakeFailure::NoFacilityOid => "no_facility_oid",
            HandshakeFailure::BadCertificate => "bad_certificate",
            HandshakeFailure::ProtocolVersion => "protocol_version",
            HandshakeFailure::NoSharedCipher => "no_shared_cipher",
            HandshakeFailure::NoExtendedMasterSecret => "no_extended_master_secret",
            HandshakeFailure::AlpnMismatch => "alpn_mismatch",
            HandshakeFailure::PeerIncompatible => "peer_incompatible",
            HandshakeFailure::PeerAlert => "peer_alert",
            HandshakeFailure::ProtocolError => "protocol_error",
            HandshakeFailure::Timeout => "timeout",
            HandshakeFailure::ConnectionClosed => "connection_closed",
            HandshakeFailure::Other => "other",
        }
    }

    /// Classifies the error rustls reported for a failed server handshake.
    pub fn classify(error: &rustls::Error) -> HandshakeFailure {
        use rustls::{CertificateError as C, Error as E, PeerIncompatible as P};
        match error {
            E::NoCertificatesPresented => HandshakeFailure::NoCertificate,
            E::InvalidCertificate(c) => match c {
                C::UnknownIssuer => HandshakeFailure::UnknownCa,
                C::Expired | C::ExpiredContext { .. } => HandshakeFailure::Expired,
                C::NotValidYet | C::NotValidYetContext { .. } => HandshakeFailure::NotYetValid,
                C::Revoked => HandshakeFailure::Revoked,
                C::ApplicationVerificationFailure => HandshakeFailure::FacilitySuspended,
                C::Other(other) => match other.0.downcast_ref::<certs::CertError>() {
                    Some(certs::CertError::ChainTooLong { .. }) => HandshakeFailure::ChainTooLong,
                    Some(
                        certs::CertError::NoFacilityOid | certs::CertError::AmbiguousFacilityOid(_),
                    ) => HandshakeFailure::NoFacilityOid,
                    _ => HandshakeFailure::BadCertificate,
                },
                _ => HandshakeFailure::BadCertificate,
            },
            E::PeerIncompatible(p) => match p {
                P::Tls12NotOffered
                | P::Tls12NotOfferedOrEnabled
                | P::SupportedVersionsExtensionRequired => HandshakeFailure::ProtocolVersion,
                P::NoCipherSuitesInCommon => HandshakeFailure::NoSharedCipher,
                P::ExtendedMasterSecretExtensionRequired => {
                    HandshakeFailure::NoExtendedMasterSecret
                }
                _ => HandshakeFailure::PeerIncompatible,
            },
            E::NoApplicationProtocol => HandshakeFailure::AlpnMismatch,
            E::AlertReceived(rustls::AlertDescription::CloseNotify) => {
                HandshakeFailure::ConnectionClosed
            }
            E::AlertReceived(_) => HandshakeFailure::PeerAlert,
            E::InvalidMessage(_)
            | E::PeerMisbehaved(_)
            | E::InappropriateMessage { .. }
            | E::InappropriateHandshakeMessage { .. }
            | E::DecryptError => HandshakeFailure::ProtocolError,
            _ => HandshakeFailure::Other,
        }
    }

    /// Classifies the I/O error of a failed accept (rustls errors travel inside).
    pub fn classify_io(error: &std::io::Error) -> HandshakeFailure {
        if let Some(tls) = error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Self::classify(tls);
        }
        match error.kind() {
            std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::BrokenPipe => HandshakeFailure::ConnectionClosed,
            std::io::ErrorKind::InvalidData => HandshakeFailure::ProtocolError,
            _ => HandshakeFailure::Other,
        }
    }
}

/// Failed-handshake counters of one hub.
#[derive(Debug, Default)]
pub struct HandshakeFailures {
    counts: [AtomicU64; HandshakeFailure::ALL.len()],
}

impl HandshakeFailures {
    pub fn record(&self, reason: HandshakeFailure) {
        if let Some(slot) = HandshakeFailure::ALL
            .iter()
            .position(|r| *r == reason)
            .and_then(|i| self.counts.get(i))
        {
            slot.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn snapshot(&self) -> BTreeMap<HandshakeFailure, u64> {
        HandshakeFailure::ALL
            .iter()
            .zip(self.counts.iter())
            .map(|(r, c)| (*r, c.load(Ordering::Relaxed)))
            .collect()
    }
}

/// The PKI file contents in service, to notice changes.
#[derive(Default)]
struct Loaded {
    ca: Vec<u8>,
    cert: Vec<u8>,
    key: Vec<u8>,
    /// Contents that failed, so one bad file is logged once, not every tick.
    failed_ca: Vec<u8>,
    failed_pair: (Vec<u8>, Vec<u8>),
    /// Changed contents seen at the last check, applied if still the same.
    candidate_ca: Option<Vec<u8>>,
    candidate_pair: Option<(Vec<u8>, Vec<u8>)>,
    last_error: Option<String>,
    last_reload: Option<DateTime<Utc>>,
}

/// Live TLS material and its status. Shared by the listener, the refresh
/// task, `/admin/tls` and `/metrics`.
pub struct PkiRuntime {
    files: PkiFiles,
    trust: certs::TrustState,
    server_cert: Arc<certs::ReloadableServerCert>,
    loaded: Mutex<Loaded>,
    pub handshake_failures: HandshakeFailures,
    /// Handshakes completed (connections accepted) since start.
    pub handshakes_completed: AtomicU64,
}

impl std::fmt::Debug for PkiRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PkiRuntime")
            .field("dir", &self.files.dir())
            .finish_non_exhaustive()
    }
}

/// What `GET /admin/tls` reports.
#[derive(Debug, Clone, Serialize)]
pub struct TlsStatus {
    pub server_certificate_serial: Option<String>,
    pub server_certificate_not_after: Option<DateTime<Utc>>,
    /// Certificates in the trusted CA bundle (`pki/ca.pem`).
    pub trusted_ca_certificates: usize,
    pub last_reload: Option<DateTime<Utc>>,
    /// Why the last attempt to load changed files failed (the old ones stay in service).
    pub last_reload_error: Option<String>,
    pub handshakes_completed: u64,
    pub handshake_failures: BTreeMap<HandshakeFailure, u64>,
}

impl PkiRuntime {
    /// Loads the CA bundle and the server certificate from the data dir.
    pub fn load(files: PkiFiles) -> anyhow::Result<PkiRuntime> {
        use anyhow::Context;
        let read = |p: std::path::PathBuf| {
            std::fs::read(&p).with_context(|| format!("reading {}", p.display()))
        };
        let ca = read(files.ca_cert())?;
        let cert = read(files.server_cert())?;
        let key = read(files.server_key())?;
        let trust = certs::TrustState::from_ca_pem(&text(&ca))
            .with_context(|| format!("loading the CA bundle {}", files.ca_cert().display()))?;
        let server_cert = Arc::new(
            certs::ReloadableServerCert::from_pem(&text(&cert), &text(&key))
                .with_context(|| format!("loading {}", files.server_cert().display()))?,
        );
        Ok(PkiRuntime {
            files,
            trust,
            server_cert,
            loaded: Mutex::new(Loaded {
                ca,
                cert,
                key,
                ..Loaded::default()
            }),
            handshake_failures: HandshakeFailures::default(),
            handshakes_completed: AtomicU64::new(0),
        })
    }

    pub fn trust(&self) -> &certs::TrustState {
        &self.trust
    }

    pub fn server_cert(&self) -> Arc<certs::ReloadableServerCert> {
        Arc::clone(&self.server_cert)
    }

    fn loaded(&self) -> MutexGuard<'_, Loaded> {
        self.loaded.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Swaps in changed PKI files; returns whether anything new went into
    /// service. A change is taken once the file read the same at two
    /// consecutive checks, so a half-copied file or a key written a moment
    /// before its certificate is not tried (and reported) in between.
    pub fn reload_changed_files(&self) -> bool {
        let mut guard = self.loaded();
        let loaded = &mut *guard;
        let mut changed = false;
        match std::fs::read(self.files.ca_cert()) {
            Ok(ca) if ca != loaded.ca && ca != loaded.failed_ca => {
                if loaded.candidate_ca.as_ref() != Some(&ca) {
                    loaded.candidate_ca = Some(ca);
                } else {
                    loaded.candidate_ca = None;
                    match self.trust.replace_roots_pem(&text(&ca)) {
                        Ok(()) => {
                            tracing::info!(file = %self.files.ca_cert().display(), "trusted CA bundle reloaded");
                            loaded.ca = ca;
                            changed = true;
                        }
                        Err(e) => {
                            let msg = format!(
                                "{} was not loaded, the previous CA bundle stays in service: {e}",
                                self.files.ca_cert().display()
                            );
                            tracing::warn!("{msg}");
                            loaded.failed_ca = ca;
                            loaded.last_error = Some(msg);
                        }
                    }
                }
            }
            Ok(_) => loaded.candidate_ca = None,
            Err(e) => tracing::warn!(error = %e, "cannot read the CA bundle"),
        }
        let pair = std::fs::read(self.files.server_cert())
            .and_then(|c| Ok((c, std::fs::read(self.files.server_key())?)));
        match pair {
            Ok(pair)
                if (pair.0 != loaded.cert || pair.1 != loaded.key)
                    && pair != loaded.failed_pair =>
            {
                if loaded.candidate_pair.as_ref() != Some(&pair) {
                    loaded.candidate_pair = Some(pair);
                } else {
                    loaded.candidate_pair = None;
                    let (cert, key) = pair;
                    match self.server_cert.replace(&text(&cert), &text(&key)) {
                        Ok(()) => {
                            tracing::info!(
                                serial = %self.server_cert.current_serial_hex().unwrap_or_default(),
                                "server certificate reloaded"
                            );
                            loaded.cert = cert;
                            loaded.key = key;
                            changed = true;
                        }
                        Err(e) => {
                            let msg = format!(
                                "{} / {} were not loaded, the previous server certificate stays in service: {e}",
                                self.files.server_cert().display(),
                                self.files.server_key().display()
                            );
                            tracing::warn!("{msg}");
                            loaded.failed_pair = (cert, key);
                            loaded.last_error = Some(msg);
                        }
                    }
                }
            }
            Ok(_) => loaded.candidate_pair = None,
            Err(e) => tracing::warn!(error = %e, "cannot read the server certificate files"),
        }
        if changed {
            loaded.last_reload = Some(Utc::now());
            loaded.last_error = None;
        }
        changed
    }

    pub fn status(&self) -> TlsStatus {
        let loaded = self.loaded();
        TlsStatus {
            server_certificate_serial: self.server_cert.current_serial_hex().ok(),
            server_certificate_not_after: self.server_cert.current_not_after().ok(),
            trusted_ca_certificates: certs::certs_from_pem(&text(&loaded.ca))
                .map(|c| c.len())
                .unwrap_or_default(),
            last_reload: loaded.last_reload,
            last_reload_error: loaded.last_error.clone(),
            handshakes_completed: self.handshakes_completed.load(Ordering::Relaxed),
            handshake_failures: self.handshake_failures.snapshot(),
        }
    }

    /// Prometheus text: handshake failures by reason, days until the server
    /// certificate and each participant certificate expire.
    pub async fn render_metrics(&self, store: &Store) -> String {
        let mut out = String::new();
        out.push_str("# HELP renkei_tls_handshake_failures_total TLS handshakes that failed, by reason.\n# TYPE renkei_tls_handshake_failures_total counter\n");
        for (reason, n) in self.handshake_failures.snapshot() {
            let _ = writeln!(
                out,
                "renkei_tls_handshake_failures_total{{reason=\"{}\"}} {n}",
                reason.as_str()
            );
        }
        let now = Utc::now();
        if let Ok(not_after) = self.server_cert.current_not_after() {
            out.push_str("# HELP renkei_server_certificate_expiry_days Days until the hub's TLS server certificate expires.\n# TYPE renkei_server_certificate_expiry_days gauge\n");
            let _ = writeln!(
                out,
                "renkei_server_certificate_expiry_days {:.2}",
                days_between(now, not_after)
            );
        }
        match store.read(store::all_certificates).await {
            Ok(rows) => {
                out.push_str("# HELP renkei_participant_certificate_expiry_days Days until each unrevoked participant certificate expires (negative: expired, shown for 30 days).\n# TYPE renkei_participant_certificate_expiry_days gauge\n");
                let shown_since = now - TimeDelta::days(30);
                for row in rows.iter().filter(|r| {
                    r.status != store::CERTIFICATE_REVOKED && r.not_after.and_utc() > shown_since
                }) {
                    let _ = writeln!(
                        out,
                        "renkei_participant_certificate_expiry_days{{facility=\"{}\",serial=\"{}\"}} {:.2}",
                        label(&row.facility_oid),
                        label(&row.serial_hex),
                        days_between(now, row.not_after.and_utc())
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "metrics: cannot read certificates"),
        }
        out
    }
}

fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    // f64 holds any realistic number of seconds exactly enough for days.
    let seconds = (to - from).num_seconds() as f64;
    seconds / 86_400.0
}

/// A Prometheus label value (OIDs and hex need no escaping, but be safe).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rustls_errors_map_to_operator_readable_reasons() {
        use rustls::{CertificateError as C, Error as E};
        assert_eq!(
            HandshakeFailure::classify(&E::NoCertificatesPresented),
            HandshakeFailure::NoCertificate
        );
        assert_eq!(
            HandshakeFailure::classify(&E::InvalidCertificate(C::UnknownIssuer)),
            HandshakeFailure::UnknownCa
        );
        assert_eq!(
            HandshakeFailure::classify(&E::InvalidCertificate(C::Revoked)),
            HandshakeFailure::Revoked
        );
        assert_eq!(
            HandshakeFailure::classify(&E::PeerIncompatible(
                rustls::PeerIncompatible::Tls12NotOffered
            )),
            HandshakeFailure::ProtocolVersion
        );
        let chain = E::InvalidCertificate(C::Other(rustls::OtherError(Arc::new(
            certs::CertError::ChainTooLong {
                presented: 3,
                allowed: 1,
            },
        ))));
        assert_eq!(
            HandshakeFailure::classify(&chain),
            HandshakeFailure::ChainTooLong
        );
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            E::InvalidCertificate(C::Expired),
        );
        assert_eq!(
            HandshakeFailure::classify_io(&io),
            HandshakeFailure::Expired
        );
        let eof = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        assert_eq!(
            HandshakeFailure::classify_io(&eof),
            HandshakeFailure::ConnectionClosed
        );
    }

    #[test]
    fn counters_count_by_reason() {
        let f = HandshakeFailures::default();
        f.record(HandshakeFailure::UnknownCa);
        f.record(HandshakeFailure::UnknownCa);
        f.record(HandshakeFailure::Other);
        let s = f.snapshot();
        assert_eq!(s.get(&HandshakeFailure::UnknownCa), Some(&2));
        assert_eq!(s.get(&HandshakeFailure::Other), Some(&1));
        assert_eq!(s.get(&HandshakeFailure::Timeout), Some(&0));
        assert_eq!(s.len(), HandshakeFailure::ALL.len());
    }
}
