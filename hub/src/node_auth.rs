//! ITI-19 node authentication failures (refused TLS handshakes) in the audit
//! trail, without letting a flood of them flood the audit table or stall a
//! listener.
//!
//! A listener calls [`NodeAuthAudit::handshake_failed`] (HTTPS here; the
//! MLLP/TLS listener the same way). That only counts and `try_send`s into a
//! bounded channel: the accept path never waits for the database. A writer
//! task coalesces: per (reason, peer address), the first failure is recorded
//! at once, later ones within [`WINDOW`] are counted, and when the window
//! closes one record carries how many were suppressed. A full channel drops
//! the report and counts it (`renkei_audit_node_auth_dropped_total`).
//!
//! Requests refused after the handshake (a certificate revoked or a facility
//! suspended while its connection was open, a path the facility may not use)
//! go through the same bounded channel ([`NodeAuthAudit::refused`]) and are
//! recorded one by one, so a peer hammering an open connection cannot pile
//! up unbounded audit work either.

use crate::pki_watch::HandshakeFailure;
use audit::{AuditEvent, AuditSource, Outcome, Requestor, Transaction};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use store::Store;
use tokio::sync::mpsc;

/// At most one record per (reason, peer address) per window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Reports waiting for the writer; beyond this they are dropped and counted.
const CHANNEL_CAPACITY: usize = 1024;
/// How often the writer closes windows that have ended.
const TICK: Duration = Duration::from_secs(1);

/// One refused handshake, as a listener saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedHandshake {
    pub reason: HandshakeFailure,
    pub peer: Option<IpAddr>,
    /// Which listener (`https`, `mllp`).
    pub listener: &'static str,
    /// The TLS library's words, for the first record of a window.
    pub detail: String,
}

/// What the writer task is handed.
#[derive(Debug)]
enum Report {
    Handshake(FailedHandshake),
    /// A refusal after the handshake, recorded as it is.
    Refusal(Box<AuditEvent>),
}

/// The listeners' handle on the node-authentication audit (cheap to clone).
#[derive(Debug, Clone)]
pub struct NodeAuthAudit {
    tx: mpsc::Sender<Report>,
    counters: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    /// Reports lost because the channel was full.
    dropped: AtomicU64,
    /// Failures folded into a later summary record.
    suppressed: AtomicU64,
}

impl NodeAuthAudit {
    /// Starts the writer task (on the current tokio runtime).
    pub fn start(
        store: Store,
        source: AuditSource,
        window: Duration,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let counters = Arc::new(Counters::default());
        let task = tokio::spawn(write_records(
            rx,
            store,
            source,
            Coalescer::new(window),
            Arc::clone(&counters),
        ));
        (NodeAuthAudit { tx, counters }, task)
    }

    /// Whether a handshake failure of this kind is a node authentication
    /// failure worth an audit record. Peers that hang up or stall before
    /// presenting anything (port scanners, health probes) are only counted.
    pub fn is_auditable(reason: HandshakeFailure) -> bool {
        !matches!(
            reason,
            HandshakeFailure::ConnectionClosed | HandshakeFailure::Timeout
        )
    }

    /// Reports a refused handshake. Never blocks.
    pub fn handshake_failed(&self, failure: FailedHandshake) {
        if !Self::is_auditable(failure.reason) {
            return;
        }
        self.send(Report::Handshake(failure));
    }

    /// Records a request refused after the handshake. Never blocks.
    pub fn refused(&self, event: AuditEvent) {
        self.send(Report::Refusal(Box::new(event)));
    }

    fn send(&self, report: Report) {
        if self.tx.try_send(report).is_err() {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Prometheus text for the two counters.
    pub fn render_metrics(&self) -> String {
        format!(
            "# HELP renkei_audit_node_auth_dropped_total Refused handshakes and requests not audited because the audit writer was behind.\n# TYPE renkei_audit_node_auth_dropped_total counter\nrenkei_audit_node_auth_dropped_total {}\n# HELP renkei_audit_node_auth_suppressed_total Node authentication failures folded into a per-minute summary record.\n# TYPE renkei_audit_node_auth_suppressed_total counter\nrenkei_audit_node_auth_suppressed_total {}\n",
            self.counters.dropped.load(Ordering::Relaxed),
            self.counters.suppressed.load(Ordering::Relaxed),
        )
    }
}

async fn write_records(
    mut rx: mpsc::Receiver<Report>,
    store: Store,
    source: AuditSource,
    mut coalescer: Coalescer,
    counters: Arc<Counters>,
) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let mut events = Vec::new();
        tokio::select! {
            received = rx.recv() => {
                let Some(first) = received else { break };
                let now = Instant::now();
                // Everything already waiting goes into the same transaction.
                let mut next = Some(first);
                while let Some(report) = next {
                    match report {
                        Report::Refusal(event) => events.push(*event),
                        Report::Handshake(failure) => match coalescer.on_failure(failure, now) {
                            Some(event) => events.push(event),
                            None => {
                                counters.suppressed.fetch_add(1, Ordering::Relaxed);
                            }
                        },
                    }
                    next = rx.try_recv().ok();
                }
            }
            _ = tick.tick() => events = coalescer.close_windows(Instant::now()),
        }
        if let Err(e) = audit::record(&store, &source, events).await {
            tracing::error!(error = %e, "could not record node authentication failures in the audit trail");
        }
    }
    // Listeners gone: close what is open so no count is lost.
    let events = coalescer.close_windows(Instant::now() + coalescer.window);
    if let Err(e) = audit::record(&store, &source, events).await {
        tracing::error!(error = %e, "could not record node authentication failures in the audit trail");
    }
}

/// The coalescing rule, kept apart from I/O so it can be tested with a clock.
#[derive(Debug)]
pub struct Coalescer {
    window: Duration,
    open: BTreeMap<(HandshakeFailure, Option<IpAddr>), Window>,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    suppressed: u64,
    listener: &'static str,
}

impl Coalescer {
    pub fn new(window: Duration) -> Self {
        Coalescer {
            window,
            open: BTreeMap::new(),
        }
    }

    /// The record to write now, if this failure opens a window.
    pub fn on_failure(&mut self, failure: FailedHandshake, now: Instant) -> Option<AuditEvent> {
        let key = (failure.reason, failure.peer);
        if let Some(w) = self.open.get_mut(&key) {
            w.suppressed += 1;
            return None;
        }
        self.open.insert(
            key,
            Window {
                started: now,
                suppressed: 0,
                listener: failure.listener,
            },
        );
        Some(event(
            failure.peer,
            format!(
                "TLS handshake refused on the {} listener: {} ({})",
                failure.listener,
                failure.reason.as_str(),
                failure.detail
            ),
        ))
    }

    /// Summary records of the windows that have ended with suppressed
    /// failures; those windows start again (a steady flood yields one record
    /// per window), quiet ones are forgotten.
    pub fn close_windows(&mut self, now: Instant) -> Vec<AuditEvent> {
        let mut events = Vec::new();
        let window = self.window;
        self.open.retain(|(reason, peer), w| {
            if now.duration_since(w.started) < window {
                return true;
            }
            if w.suppressed == 0 {
                return false;
            }
            events.push(event(
                *peer,
                format!(
                    "TLS handshake refused on the {} listener: {}; {} more such failures from this address in the last {} s",
                    w.listener,
                    reason.as_str(),
                    w.suppressed,
                    window.as_secs()
                ),
            ));
            w.started = now;
            w.suppressed = 0;
            true
        });
        events
    }
}

fn event(peer: Option<IpAddr>, description: String) -> AuditEvent {
    let requestor = Requestor::default().at(peer.map(|p| p.to_string()));
    AuditEvent::new(Transaction::NodeAuthFailure, requestor)
        .failed(Outcome::MinorFailure, description)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(reason: HandshakeFailure, peer: &str) -> FailedHandshake {
        FailedHandshake {
            reason,
            peer: peer.parse().ok(),
            listener: "https",
            detail: "invalid peer certificate: UnknownIssuer".into(),
        }
    }

    #[test]
    fn a_flood_yields_one_record_then_one_summary_per_window() {
        let mut c = Coalescer::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let first = c.on_failure(failure(HandshakeFailure::UnknownCa, "192.0.2.1"), t0);
        let first = first.map(|e| e.outcome_description.unwrap_or_default());
        assert_eq!(
            first.as_deref(),
            Some(
                "TLS handshake refused on the https listener: unknown_ca (invalid peer certificate: UnknownIssuer)"
            )
        );
        for i in 0..99 {
            let at = t0 + Duration::from_millis(i * 100);
            assert!(
                c.on_failure(failure(HandshakeFailure::UnknownCa, "192.0.2.1"), at)
                    .is_none()
            );
        }
        // Another reason or another address is its own window.
        assert!(
            c.on_failure(failure(HandshakeFailure::Revoked, "192.0.2.1"), t0)
                .is_some()
        );
        assert!(
            c.on_failure(failure(HandshakeFailure::UnknownCa, "192.0.2.2"), t0)
                .is_some()
        );
        assert!(c.close_windows(t0 + Duration::from_secs(59)).is_empty());
        let summaries = c.close_windows(t0 + Duration::from_secs(60));
        let texts: Vec<String> = summaries
            .into_iter()
            .filter_map(|e| e.outcome_description)
            .collect();
        assert_eq!(
            texts,
            vec![
                "TLS handshake refused on the https listener: unknown_ca; 99 more such failures from this address in the last 60 s"
            ]
        );
        // The flooding window restarted; the quiet ones are gone.
        assert!(
            c.on_failure(
                failure(HandshakeFailure::UnknownCa, "192.0.2.1"),
                t0 + Duration::from_secs(61)
            )
            .is_none()
        );
        assert!(
            c.on_failure(
                failure(HandshakeFailure::Revoked, "192.0.2.1"),
                t0 + Duration::from_secs(61)
            )
            .is_some()
        );
        assert_eq!(c.close_windows(t0 + Duration::from_secs(120)).len(), 1);
    }

    #[test]
    fn hang_ups_and_timeouts_are_not_node_authentication_failures() {
        assert!(!NodeAuthAudit::is_auditable(
            HandshakeFailure::ConnectionClosed
        ));
        assert!(!NodeAuthAudit::is_auditable(HandshakeFailure::Timeout));
        assert!(NodeAuthAudit::is_auditable(HandshakeFailure::NoCertificate));
    }
}
