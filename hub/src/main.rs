//! `renkei`: the regional EHR exchange hub (see DESIGN.md for the contract).

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use hub::config::{CONFIG_FILE, Settings};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "renkei",
    version,
    about = "Regional EHR exchange hub (IHE XDS.b, PIX, BPPC, ATNA)"
)]
struct Cli {
    /// Data directory: renkei.toml, database, blobs, PKI.
    #[arg(long, global = true, env = "RENKEI_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the operator CA, server certificate, renkei.toml, empty database and blob store.
    Init {
        #[arg(long)]
        affinity_domain: Option<String>,
    },
    /// Run every actor (initialises DIR first if it is empty).
    Serve {
        #[arg(long)]
        listen: Option<String>,
        #[arg(long)]
        mllp_listen: Option<String>,
        #[arg(long)]
        ops_listen: Option<String>,
    },
    /// Patients known to the registry (affinity-domain ids, CX `ID^^^&OID&ISO`).
    Patient {
        #[command(subcommand)]
        command: PatientCommand,
    },
}

#[derive(Subcommand)]
enum PatientCommand {
    /// Register a regional patient id so documents can be submitted for it.
    Add { cx: String },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    hub::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> Result<()> {
    let dir = cli.data_dir;
    match cli.command {
        Command::Init { affinity_domain } => {
            let report = hub::init::init(
                &dir,
                hub::init::InitOptions {
                    affinity_domain,
                    database_url: None,
                },
            )
            .await?;
            println!("initialised {}", dir.display());
            print_usage(&report.settings, &report.demo_client_dir);
        }
        Command::Serve {
            listen,
            mllp_listen,
            ops_listen,
        } => {
            if !dir.join(CONFIG_FILE).exists() {
                let report = hub::init::init(&dir, hub::init::InitOptions::default()).await?;
                println!(
                    "initialised {} with a development CA and a demo facility",
                    dir.display()
                );
                let _ = report;
            }
            let mut settings = Settings::load(&dir)?;
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
            let hub = hub::build(settings.clone()).await?;
            print_usage(&settings_with(&settings, hub.https_addr), &demo);
            tokio::signal::ctrl_c().await?;
            println!("stopping");
            hub.stop().await;
        }
        Command::Patient { command } => {
            let settings = Settings::load(&dir)?;
            let store = store::Store::open(&settings.database_url, 1).await?;
            match command {
                PatientCommand::Add { cx } => {
                    let pid = ebrim::datatypes::PatientId::parse(&cx)
                        .map_err(|e| anyhow::anyhow!("{cx}: {e}"))?;
                    if pid.assigning_authority() != settings.affinity_domain {
                        anyhow::bail!(
                            "{cx} is not in the affinity domain {}; regional ids look like ID^^^&{}&ISO",
                            settings.affinity_domain,
                            settings.affinity_domain
                        );
                    }
                    let id = pid.as_str().to_string();
                    let added = store
                        .write(move |conn| store::add_patient(conn, &id))
                        .await?;
                    println!(
                        "{} {}",
                        if added { "added" } else { "already known:" },
                        pid.as_str()
                    );
                }
            }
        }
    }
    Ok(())
}

fn settings_with(s: &Settings, addr: std::net::SocketAddr) -> Settings {
    let mut s = s.clone();
    s.listen = addr;
    s
}

fn print_usage(settings: &Settings, demo: &std::path::Path) {
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
