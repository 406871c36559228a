//! Command-line interface. Every command works on the data dir directly
//! (database and operator CA); a running hub picks up changes within seconds.

mod audit;
mod certs;
mod consent;
mod facility;
mod server;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "renkei",
    version,
    about = "Regional EHR exchange hub (IHE XDS.b, PIX, BPPC, ATNA)"
)]
pub struct Cli {
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
        /// Operator CA key: p256 (ECDSA, default) or rsa3072 for participants that cannot verify ECDSA.
        #[arg(long, value_enum, default_value_t = server::CaAlgorithm::P256)]
        ca_algorithm: server::CaAlgorithm,
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
    /// Participants (facilities), identified by OID.
    Facility {
        #[command(subcommand)]
        command: facility::FacilityCommand,
    },
    /// Participant certificates issued by the operator CA, CRL, expiry.
    Certs {
        #[command(subcommand)]
        command: certs::CertsCommand,
    },
    /// Patients known to the registry (affinity-domain ids, CX `ID^^^&OID&ISO`).
    Patient {
        #[command(subcommand)]
        command: server::PatientCommand,
    },
    /// Patient consent: record, withdraw, show; emergency access.
    Consent {
        #[command(subcommand)]
        command: consent::ConsentCommand,
    },
    /// Audit trail: verify the hash chain, patient access report, search.
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
}

pub async fn run(cli: Cli) -> Result<()> {
    let dir = cli.data_dir;
    match cli.command {
        Command::Init {
            affinity_domain,
            ca_algorithm,
        } => server::init(&dir, affinity_domain, ca_algorithm).await,
        Command::Serve {
            listen,
            mllp_listen,
            ops_listen,
        } => server::serve(&dir, listen, mllp_listen, ops_listen).await,
        Command::Facility { command } => facility::run(&dir, command).await,
        Command::Certs { command } => certs::run(&dir, command).await,
        Command::Patient { command } => server::patient(&dir, command).await,
        Command::Consent { command } => consent::run(&dir, command).await,
        Command::Audit { command } => audit::run(&dir, command).await,
    }
}

/// The participant registry of the data dir.
async fn participants(dir: &std::path::Path) -> Result<hub::facility::Participants> {
    let settings = hub::Settings::load(dir)?;
    let store = store::Store::open(&settings.database_url, 1).await?;
    Ok(hub::facility::Participants::new(store, &settings.pki_dir())
        .with_audit_source(hub::auditing::audit_source(&settings)))
}

/// Prints rows as left-aligned columns under a header.
fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        println!("{}", out.trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}
