//! `hub::build(settings)`: the whole hub on the configured (or port-0) addresses.

use crate::config::Settings;
use crate::facility::Participants;
use crate::http;
use crate::pki_files::PkiFiles;
use crate::pki_watch::PkiRuntime;
use crate::policy::Access;
use crate::state::AppState;
use actix_web::{App, HttpServer, web};
use anyhow::{Context, Result};
use registry::{Registry, RegistryConfig};
use repository::{Repository, RepositoryConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use store::{BlobStore, Store};

/// A running hub. Dropping it does not stop it: call [`RunningHub::stop`].
pub struct RunningHub {
    pub https_addr: SocketAddr,
    pub ops_addr: SocketAddr,
    /// MLLP over TLS (ITI-8, ITI-9).
    pub mllp_addr: SocketAddr,
    pub store: Store,
    pub pix: pix::Pix,
    pub trust: certs::TrustState,
    https: actix_web::dev::ServerHandle,
    ops: actix_web::dev::ServerHandle,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningHub {
    pub async fn stop(self) {
        for t in &self.tasks {
            t.abort();
        }
        self.https.stop(true).await;
        self.ops.stop(true).await;
    }
}

/// How often revocations and suspensions recorded in the database reach the
/// TLS layer (the issue asks for at most 5 seconds).
const TRUST_REFRESH: Duration = Duration::from_secs(2);

/// Document objects without a database row older than this are leftovers of
/// a crash mid-submission (no live request takes this long after its bytes
/// are written) and are deleted.
const ORPHAN_GRACE: Duration = Duration::from_secs(6 * 3600);
const ORPHAN_SWEEP_EVERY: Duration = Duration::from_secs(3600);

pub async fn build(settings: Settings) -> Result<RunningHub> {
    if cfg!(feature = "bench-no-audit") {
        tracing::error!(
            "built with the bench-no-audit feature: NO AUDIT RECORDS ARE WRITTEN; benchmarking only"
        );
    }
    let store = Store::open(&settings.database_url, settings.database_pool_size)
        .await
        .with_context(|| format!("opening the database {}", redact(&settings.database_url)))?;
    let blobs = BlobStore::local(&settings.blob_dir())
        .with_context(|| format!("opening the blob store {}", settings.blob_dir().display()))?;
    let registry = Registry::new(
        store.clone(),
        RegistryConfig {
            max_query_results: settings.max_query_results,
            home_community_id: settings.home_community_id.clone(),
        },
    )
    .with_audit_source(crate::auditing::audit_source(&settings))
    .with_consent_policy(settings.consent.clone());
    let repository = Repository::new(
        registry.clone(),
        blobs,
        RepositoryConfig {
            repository_unique_id: settings.repository_unique_id.clone(),
        },
    );

    let pki = Arc::new(PkiRuntime::load(PkiFiles::new(&settings.pki_dir()))?);
    let trust = pki.trust().clone();
    refresh_trust(&store, &trust).await?;
    let access = Access::new(settings.policy.clone());
    access.refresh(&store).await?;
    let mut tls = certs::server_config(&trust, pki.server_cert())
        .context("building the TLS configuration")?;
    // Same trust, certificate and client-certificate rules; no ALPN.
    let mllp_tls = tls.clone();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let pix = pix::Pix::new(
        store.clone(),
        settings.pix_config(),
        registry.audit_source().clone(),
    );

    let (node_auth, node_auth_writer) = crate::node_auth::NodeAuthAudit::start(
        store.clone(),
        registry.audit_source().clone(),
        crate::node_auth::WINDOW,
    );
    let state = web::Data::new(AppState {
        registry,
        repository,
        trust: trust.clone(),
        limits: http::soap_io::Limits {
            max_request_bytes: settings.max_request_bytes,
            max_envelope_bytes: settings.max_envelope_bytes,
        },
        xml_limits: soap::XmlLimits {
            max_bytes: settings.max_envelope_bytes,
            ..soap::XmlLimits::default()
        },
        ebrim_limits: ebrim::parse::Limits {
            max_bytes: settings.max_envelope_bytes,
            ..ebrim::parse::Limits::default()
        },
        access: access.clone(),
        participants: Participants::new(store.clone(), &settings.pki_dir())
            .with_audit_source(crate::auditing::audit_source(&settings)),
        pki: Arc::clone(&pki),
        node_auth: node_auth.clone(),
        pix: pix.clone(),
    });

    let listener = std::net::TcpListener::bind(settings.listen)
        .with_context(|| format!("binding HTTPS on {}", settings.listen))?;
    let https_addr = listener.local_addr()?;
    let https = crate::https::serve(listener, tls, state.clone(), Arc::clone(&pki))?;

    let ops_listener = std::net::TcpListener::bind(settings.ops_listen)
        .with_context(|| format!("binding the ops listener on {}", settings.ops_listen))?;
    let ops_addr = ops_listener.local_addr()?;
    let ops = HttpServer::new({
        let store = web::Data::new(store.clone());
        let pki = web::Data::from(Arc::clone(&pki));
        let node_auth = web::Data::new(node_auth.clone());
        move || {
            App::new()
                .app_data(store.clone())
                .app_data(pki.clone())
                .app_data(node_auth.clone())
                .configure(http::ops::configure)
        }
    })
    .workers(1)
    .disable_signals()
    .listen(ops_listener)?
    .run();

    let mllp_listener = tokio::net::TcpListener::bind(settings.mllp_listen)
        .await
        .with_context(|| format!("binding MLLP on {}", settings.mllp_listen))?;
    let mllp_addr = mllp_listener.local_addr()?;
    let mllp_context = Arc::new(crate::mllp::MllpContext {
        pix: pix.clone(),
        trust: trust.clone(),
        access: access.clone(),
        pki: Arc::clone(&pki),
        node_auth: node_auth.clone(),
    });

    let https_handle = https.handle();
    let ops_handle = ops.handle();
    let mut tasks = vec![
        node_auth_writer,
        tokio::spawn(async move {
            if let Err(e) = https.await {
                tracing::error!(error = %e, "HTTPS listener stopped");
            }
        }),
        tokio::spawn(async move {
            if let Err(e) = ops.await {
                tracing::error!(error = %e, "ops listener stopped");
            }
        }),
    ];
    tasks.push(tokio::spawn(crate::mllp::serve(
        mllp_listener,
        mllp_tls,
        mllp_context,
    )));
    if !settings.pix_subscribers.is_empty() {
        let tls = Arc::new(crate::auditing::node_client_tls(&settings, None)?);
        tasks.extend(crate::pix_notify::start(
            &pix,
            &settings.pix_subscribers,
            tls,
        ));
    }
    tasks.push(tokio::spawn({
        let store = store.clone();
        let trust = trust.clone();
        let pki = Arc::clone(&pki);
        async move {
            loop {
                tokio::time::sleep(TRUST_REFRESH).await;
                if let Err(e) = refresh_trust(&store, &trust).await {
                    tracing::warn!(error = %e, "could not refresh revocations");
                }
                if let Err(e) = access.refresh(&store).await {
                    tracing::warn!(error = %e, "could not refresh facility kinds");
                }
                pki.reload_changed_files();
            }
        }
    }));
    tasks.push(tokio::spawn({
        let repository = state.repository.clone();
        async move {
            loop {
                match repository.sweep_orphans(ORPHAN_GRACE).await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(removed = n, "orphaned document objects removed"),
                    Err(e) => tracing::warn!(error = %e, "orphan sweep failed"),
                }
                tokio::time::sleep(ORPHAN_SWEEP_EVERY).await;
            }
        }
    }));
    crate::auditing::application_start(&store, state.registry.audit_source()).await?;
    tasks.extend(crate::auditing::start(&store, &settings)?);
    tracing::info!(%https_addr, %mllp_addr, %ops_addr, "renkei is serving");
    Ok(RunningHub {
        https_addr,
        ops_addr,
        mllp_addr,
        store,
        pix,
        trust,
        https: https_handle,
        ops: ops_handle,
        tasks,
    })
}

/// Loads revoked certificate serials and suspended facilities into the TLS layer.
pub async fn refresh_trust(store: &Store, trust: &certs::TrustState) -> Result<()> {
    let (revoked, suspended) = store
        .read(|conn| {
            Ok::<_, store::StoreError>((
                store::revoked_serials(conn)?,
                store::suspended_facilities(conn)?,
            ))
        })
        .await?;
    let view = trust.revocation();
    view.replace_revoked(revoked.into_iter().collect())
        .map_err(|e| anyhow::anyhow!("revoked serials in the database: {e}"))?;
    view.replace_suspended(suspended.into_iter().collect());
    Ok(())
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}
