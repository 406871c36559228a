//! Minimal Prometheus counters kept in atomics (no global recorder needed).

use std::sync::atomic::{AtomicU64, Ordering};

pub static TLS_CONNECTIONS: AtomicU64 = AtomicU64::new(0);

pub fn render() -> String {
    format!(
        "# HELP renkei_tls_connections_total Mutually authenticated connections accepted.\n# TYPE renkei_tls_connections_total counter\nrenkei_tls_connections_total {}\n",
        TLS_CONNECTIONS.load(Ordering::Relaxed)
    )
}
