//! `renkei audit …`: verify the hash chain, who read a patient's records, search.

use anyhow::Result;
use clap::Subcommand;
use hub::audit_cli::{self, ReportFormat, SearchArgs};
use hub::config::Settings;
use std::path::Path;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain; exit 1 at the first altered, removed or reordered record.
    Verify,
    /// Which facility read or changed which documents of this patient, and when.
    Patient {
        cx: String,
        #[arg(long)]
        since: Option<String>,
        #[arg(long, default_value = "json")]
        format: ReportFormat,
    },
    /// Audit records by patient, facility, time, transaction or event.
    Search {
        #[arg(long)]
        patient: Option<String>,
        #[arg(long)]
        facility: Option<String>,
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        until: Option<String>,
        #[arg(long)]
        transaction: Option<String>,
        #[arg(long)]
        event_id: Option<String>,
        #[arg(long, default_value = "json")]
        format: ReportFormat,
    },
}

pub async fn run(dir: &Path, command: AuditCommand) -> Result<()> {
    let settings = Settings::load(dir)?;
    let store = audit_cli::open_store(&settings).await?;
    match command {
        AuditCommand::Verify => {
            let (text, intact) = audit_cli::verify(&store).await?;
            print!("{text}");
            if !intact {
                std::process::exit(1);
            }
        }
        AuditCommand::Patient { cx, since, format } => {
            print!(
                "{}",
                audit_cli::patient(&store, &settings, &cx, since.as_deref(), format).await?
            );
        }
        AuditCommand::Search {
            patient,
            facility,
            since,
            until,
            transaction,
            event_id,
            format,
        } => {
            let args = SearchArgs {
                patient,
                facility,
                since,
                until,
                transaction,
                event_id,
                format,
            };
            print!("{}", audit_cli::search(&store, &settings, &args).await?);
        }
    }
    Ok(())
}
