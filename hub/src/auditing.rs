//! The hub's side of the audit trail: how audit records name this hub, the
//! syslog forwarders and the retention task that `hub::build` starts, and
//! security alerts raised by the HTTP layer.

use crate::config::Settings;
use crate::pki_files::PkiFiles;
use anyhow::{Context, Result};
use audit::forward::{Destination, ForwarderConfig};
use audit::{AuditEvent, AuditSource, Requestor, Transaction};
use std::sync::Arc;
use std::time::Duration;
use store::Store;

/// How often retention looks for records to archive.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// Folder (in the data dir) of archived audit records.
pub const ARCHIVE_DIR: &str = "audit-archive";

/// Parses the configured destinations, so a typo stops the hub at start.
pub fn checked_destinations(urls: &[String]) -> Result<Vec<String>> {
    for url in urls {
        Destination::parse(url).with_context(|| "audit_destinations in renkei.toml")?;
    }
    Ok(urls.to_vec())
}

/// How audit records name this hub.
pub fn audit_source(settings: &Settings) -> AuditSource {
    let node = audit::syslog::local_hostname();
    let port = settings.listen.port();
    let base_url = if port == 0 || port == 443 {
        format!("https://{node}")
    } else {
        format!("https://{node}:{port}")
    };
    AuditSource {
        source_id: settings.home_community_id.clone(),
        enterprise_site_id: settings.affinity_domain.clone(),
        node,
        base_url,
        repository_unique_id: settings.repository_unique_id.clone(),
        home_community_id: settings.home_community_id.clone(),
    }
}

/// TLS client configuration for syslog: the hub's own node certificate
/// (issued at `renkei init`, EKU clientAuth) and the collectors' CA.
pub fn syslog_tls(settings: &Settings) -> Result<rustls::ClientConfig> {
    let ca_path = (!settings.audit_ca_file.is_empty())
        .then(|| settings.data_dir.join(&settings.audit_ca_file));
    node_client_tls(settings, ca_path)
}

/// The hub as a TLS client (syslog, ITI-10 notifications): its own node
/// certificate, trusting `ca_path` (default: the operator CA).
pub fn node_client_tls(
    settings: &Settings,
    ca_path: Option<std::path::PathBuf>,
) -> Result<rustls::ClientConfig> {
    let pki = PkiFiles::new(&settings.pki_dir());
    let ca_path = ca_path.unwrap_or_else(|| pki.ca_cert());
    let read = |p: &std::path::Path| {
        std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))
    };
    certs::client_config(
        &read(&ca_path)?,
        &read(&pki.server_cert())?,
        &read(&pki.server_key())?,
    )
    .context("building the hub's TLS client configuration")
}

/// Starts the audit inbox's linker (PostgreSQL), one forwarder per
/// destination and, if configured, retention.
pub fn start(store: &Store, settings: &Settings) -> Result<Vec<tokio::task::JoinHandle<()>>> {
    let mut tasks = vec![tokio::spawn(audit::run_inbox_linker(store.clone()))];
    let destinations: Vec<Destination> = settings
        .audit_destinations
        .iter()
        .map(|u| Destination::parse(u))
        .collect::<Result<_, _>>()?;
    if !destinations.is_empty() {
        let tls = if destinations
            .iter()
            .any(|d| d.transport == audit::forward::Transport::Tls)
        {
            Some(Arc::new(syslog_tls(settings)?))
        } else {
            None
        };
        let header = audit::syslog::Header::new(
            &audit::syslog::local_hostname(),
            "renkei",
            &std::process::id().to_string(),
        );
        let config = ForwarderConfig::new(tls, header);
        for d in destinations {
            tracing::info!(destination = %d.url, "forwarding audit records");
            tasks.push(tokio::spawn(audit::forward::run_forwarder(
                store.clone(),
                d,
                config.clone(),
            )));
        }
    }
    if settings.audit_retention_days > 0 {
        let store = store.clone();
        let days = i64::from(settings.audit_retention_days);
        let urls = settings.audit_destinations.clone();
        let dir = settings.data_dir.join(ARCHIVE_DIR);
        tasks.push(tokio::spawn(async move {
            loop {
                let cutoff = chrono::Utc::now() - chrono::Duration::days(days);
                if let Err(e) =
                    audit::retention::archive_and_prune(&store, cutoff, &urls, &dir).await
                {
                    tracing::warn!(error = %e, "audit retention failed");
                }
                tokio::time::sleep(RETENTION_EVERY).await;
            }
        }));
    }
    Ok(tasks)
}

/// Records a refusal without holding up the caller: an ITI-19 node
/// authentication failure (`Transaction::NodeAuthFailure`: no, revoked or
/// suspended certificate) or a request the policy denies
/// (`Transaction::AccessDenied`), through the bounded audit channel of
/// [`crate::node_auth`]. The audit trail's own failure is logged.
pub fn refused(
    state: &crate::state::AppState,
    address: Option<String>,
    facility_oid: Option<&str>,
    transaction: Transaction,
    reason: &str,
) {
    let requestor = Requestor {
        facility_oid: facility_oid.map(str::to_string),
        user: None,
        address,
    };
    let event =
        AuditEvent::new(transaction, requestor).failed(audit::Outcome::MinorFailure, reason);
    // Bounded: a peer repeating refused requests cannot pile up audit work.
    state.node_auth.refused(event);
}

/// Records `event` in a transaction of its own without holding up the
/// caller (e.g. a refused TLS handshake in `https.rs`:
/// `AuditEvent::new(Transaction::NodeAuthFailure, Requestor::default())
/// .failed(Outcome::MinorFailure, reason)`).
pub fn record_detached(store: &Store, source: &AuditSource, event: AuditEvent) {
    let (store, source) = (store.clone(), source.clone());
    tokio::spawn(async move {
        if let Err(e) = audit::record(&store, &source, vec![event]).await {
            tracing::error!(error = %e, "could not record a security event in the audit trail");
        }
    });
}

/// Records that the hub started (DICOM Application Activity).
pub async fn application_start(store: &Store, source: &AuditSource) -> Result<()> {
    let requestor = Requestor {
        user: Some("renkei".to_string()),
        ..Requestor::default()
    };
    let event = AuditEvent::new(Transaction::ApplicationStart, requestor);
    audit::record(store, source, vec![event])
        .await
        .context("recording the application start in the audit trail")
}
