//! `renkei facility add | list | suspend | reinstate`.

use super::{participants, print_table};
use anyhow::Result;
use clap::Subcommand;
use std::path::Path;

#[derive(Subcommand)]
pub enum FacilityCommand {
    /// Admit a facility to the network.
    Add {
        /// The facility's OID (e.g. 1.2.392.200119.6.102.<medical institution code>).
        #[arg(long)]
        oid: String,
        /// Name shown to people and written as O in its certificates (at most 64 characters).
        #[arg(long)]
        name: String,
        /// hospital, clinic, pharmacy, care-facility, home-nursing or operator.
        #[arg(long)]
        kind: String,
    },
    /// List facilities with kind and status.
    List,
    /// Isolate a facility: its certificates are refused within seconds, on open connections too.
    Suspend { oid: String },
    /// Undo a suspension.
    Reinstate { oid: String },
}

pub async fn run(dir: &Path, command: FacilityCommand) -> Result<()> {
    let registry = participants(dir).await?;
    match command {
        FacilityCommand::Add { oid, name, kind } => {
            let f = registry.add_facility(&oid, &name, &kind).await?;
            println!(
                "admitted {} ({}, {}); next: renkei certs issue --facility {} --out DIR",
                f.oid, f.name, f.kind, f.oid
            );
        }
        FacilityCommand::List => {
            let rows: Vec<Vec<String>> = registry
                .list_facilities()
                .await?
                .into_iter()
                .map(|f| vec![f.oid, f.kind, f.status, f.name])
                .collect();
            print_table(&["OID", "KIND", "STATUS", "NAME"], &rows);
        }
        FacilityCommand::Suspend { oid } => {
            let f = registry.set_suspended(&oid, true).await?;
            println!(
                "suspended {} ({}); a running hub refuses it within seconds. Undo with: renkei facility reinstate {}",
                f.oid, f.name, f.oid
            );
        }
        FacilityCommand::Reinstate { oid } => {
            let f = registry.set_suspended(&oid, false).await?;
            println!("reinstated {} ({})", f.oid, f.name);
        }
    }
    Ok(())
}
