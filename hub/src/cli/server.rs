//! `renkei init`, `renkei serve`, `renkei patient`.

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use hub::config::{CONFIG_FILE, Settings};
use std::path::Path;
use tokio::signal::unix::{SignalKind, signal};

/// `--ca-algorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CaAlgorithm {
    /// ECDSA P-256 (BCP 195, small and fast).
    P256,
    /// RSA 3072, for legacy participants.
    Rsa3072,
}

impl From<CaAlgorithm> for hub::certs::KeyAlgorithm {
    fn from(a: CaAlgorithm) -> Self {
        match a {
            CaAlgorithm::P256 => hub::certs::KeyAlgorithm::EcdsaP256,
            CaAlgorithm::Rsa3072 => hub::certs::KeyAlgorithm::Rsa3072,
        }
    }
}

#[derive(Subcommand)]
pub enum PatientCommand {
    /// Register a regional patient id so documents can be submitted for it
    /// (a person in the PIX Manager with that regional id).
    Add { cx: String },
    /// Link two known ids as one person (their regional ids are merged).
    Link { a: String, b: String },
    /// Take the facility-local id B out of A's person (it gets a new regional id).
    Unlink { a: String, b: String },
    /// A person's ids, feeding facilities, demographics and merges (JSON).
    Show { cx: String },
    /// Possible duplicates: same family + given name + birth date in different persons (a report only).
    Duplicates,
}

pub async fn init(dir: &Path, affinity_domain: Option<String>, ca: CaAlgorithm) -> Result<()> {
    let report = hub::init::init_with_ca(
        dir,
        hub::init::InitOptions {
            affinity_domain,
            database_url: None,
        },
        ca.into(),
    )
    .await?;
    println!("initialised {}", dir.display());
    print_usage(&report.settings, &report.demo_client_dir);
    Ok(())
}

pub async fn serve(
    dir: &Path,
    listen: Option<String>,
    mllp_listen: Option<String>,
    ops_listen: Option<String>,
) -> Result<()> {
    if !dir.join(CONFIG_FILE).exists() {
        hub::init::init(dir, hub::init::InitOptions::default()).await?;
        println!(
            "initialised {} with a development CA and a demo facility",
            dir.display()
        );
    }
    let mut settings = Settings::load(dir)?;
    if let Some(a) = listen {
        settings.listen = a.parse().context("--listen")?;
    }
    if let Some(a) = mllp_listen {
        settings.mllp_listen = a.parse().context("--mllp-listen")?;
    }
    if let Some(a) = ops_listen {
        settings.ops_listen = a.parse().context("--ops-listen")?;
    }
    let demo = dir.join(hub::init::DEMO_CLIENT_DIR);
    // Listening before the hub starts: a stop signal that arrives while it
    // starts is kept, not lost. systemd stops a service with SIGTERM, a
    // terminal with SIGINT; both stop the hub gracefully.
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let hub = hub::build(settings.clone()).await?;
    let mut shown = settings.clone();
    shown.listen = hub.https_addr;
    print_usage(&shown, &demo);
    println!(
        "MLLP over TLS (ITI-8 feed, ITI-9 PIX query) on {}",
        hub.mllp_addr
    );
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    println!("stopping");
    hub.stop().await;
    Ok(())
}

pub async fn patient(dir: &Path, command: PatientCommand) -> Result<()> {
    let settings = Settings::load(dir)?;
    let store = store::Store::open(&settings.database_url, 1).await?;
    let pix = pix::Pix::new(
        store,
        settings.pix_config(),
        hub::auditing::audit_source(&settings),
    );
    let operator = hub::audit::Requestor::operator_cli();
    let cx = |v: &str| pix::PatientIdentifier::parse_cx(v).map_err(|e| anyhow::anyhow!(e));
    match command {
        PatientCommand::Add { cx: value } => {
            let id = cx(&value)?;
            let added = pix.add_regional_id(operator, id.clone()).await?;
            println!("{} {id}", if added { "added" } else { "already known:" });
        }
        PatientCommand::Link { a, b } => {
            let person = pix.link(operator, cx(&a)?, cx(&b)?).await?;
            println!("{}", serde_json::to_string_pretty(&person)?);
        }
        PatientCommand::Unlink { a, b } => {
            let person = pix.unlink(operator, cx(&a)?, cx(&b)?).await?;
            println!("{}", serde_json::to_string_pretty(&person)?);
        }
        PatientCommand::Show { cx: value } => {
            let person = pix.show(cx(&value)?).await?;
            println!("{}", serde_json::to_string_pretty(&person)?);
        }
        PatientCommand::Duplicates => {
            let groups = pix.possible_duplicates().await?;
            println!("{}", serde_json::to_string_pretty(&groups)?);
        }
    }
    Ok(())
}

fn print_usage(settings: &Settings, demo: &Path) {
    let port = settings.listen.port();
    println!(
        "\nHTTPS (mutual TLS) on {listen}; ops on http://{ops}/health\n\
         affinity domain: {aff}\nrepository: {repo}\n\n\
         Try it with the demo facility's certificate:\n\
         curl --cacert {d}/ca.pem --cert {d}/cert.pem --key {d}/key.pem \\\n  \
         -H 'Content-Type: application/soap+xml' --data-binary @request.xml https://localhost:{port}/xds/registry\n",
        listen = settings.listen,
        ops = settings.ops_listen,
        aff = settings.affinity_domain,
        repo = settings.repository_unique_id,
        d = demo.display(),
    );
}
