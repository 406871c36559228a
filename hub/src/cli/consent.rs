//! `renkei consent grant | withdraw | show | emergency`.

use anyhow::Result;
use clap::Subcommand;
use hub::config::Settings;
use hub::consent_cli;
use std::path::Path;

#[derive(Subcommand)]
pub enum ConsentCommand {
    /// Record a consent (paper form): for all participants or named facilities.
    Grant {
        /// Regional patient id, CX ID^^^&OID&ISO.
        #[arg(long)]
        patient: String,
        /// All participating facilities (all-participants model).
        #[arg(long)]
        all: bool,
        /// A facility OID the patient consents to (repeat for several).
        #[arg(long = "facility")]
        facilities: Vec<String>,
        /// Also documents marked restricted by their confidentialityCode.
        #[arg(long)]
        restricted: bool,
        /// Time-limited consent: ends this many days from now.
        #[arg(long)]
        days: Option<u32>,
    },
    /// Withdraw consent at once: all of it, or for one facility.
    Withdraw {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        facility: Option<String>,
    },
    /// The patient's consents and emergency accesses (with each use).
    Show {
        #[arg(long)]
        patient: String,
    },
    /// Open emergency (break-the-glass) access for a facility with the capability.
    Emergency {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        facility: String,
        /// Why (mandatory; recorded in the audit trail and the patient's report).
        #[arg(long)]
        reason: String,
        /// Hours (default and maximum: [consent] emergency_hours).
        #[arg(long)]
        hours: Option<u32>,
    },
}

pub async fn run(dir: &Path, command: ConsentCommand) -> Result<()> {
    let settings = Settings::load(dir)?;
    let text = match command {
        ConsentCommand::Grant {
            patient,
            all,
            facilities,
            restricted,
            days,
        } => consent_cli::grant(&settings, patient, all, facilities, restricted, days).await?,
        ConsentCommand::Withdraw { patient, facility } => {
            consent_cli::withdraw(&settings, patient, facility).await?
        }
        ConsentCommand::Show { patient } => consent_cli::show(&settings, patient).await?,
        ConsentCommand::Emergency {
            patient,
            facility,
            reason,
            hours,
        } => consent_cli::emergency(&settings, patient, facility, reason, hours).await?,
    };
    print!("{text}");
    Ok(())
}
