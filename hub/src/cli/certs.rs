//! `renkei certs issue | sign-csr | revoke | list | crl | expiring | server`.

use super::{participants, print_table};
use anyhow::{Context, Result};
use clap::{ArgGroup, Subcommand};
use hub::facility::{CertificateRecord, DEFAULT_VALIDITY_DAYS, IssueOptions};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum CertsCommand {
    /// Issue a certificate with a new key: writes key.pem (0600), cert.pem, ca.pem into DIR.
    Issue {
        #[arg(long)]
        facility: String,
        #[arg(long)]
        out: PathBuf,
        /// Subject CN (a system or a person); defaults to the facility name.
        #[arg(long)]
        cn: Option<String>,
        #[arg(long, default_value_t = DEFAULT_VALIDITY_DAYS)]
        days: u32,
    },
    /// Sign the facility's CSR (it keeps its private key); writes the certificate to FILE.
    SignCsr {
        #[arg(long)]
        facility: String,
        #[arg(long)]
        csr: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        cn: Option<String>,
        #[arg(long, default_value_t = DEFAULT_VALIDITY_DAYS)]
        days: u32,
    },
    /// Revoke one certificate, or every certificate of a facility (permanent).
    #[command(group(ArgGroup::new("what").required(true).args(["serial", "facility"])))]
    Revoke {
        #[arg(long)]
        serial: Option<String>,
        #[arg(long)]
        facility: Option<String>,
        /// unspecified, key-compromise, ca-compromise, affiliation-changed,
        /// superseded, cessation-of-operation or privilege-withdrawn.
        #[arg(long, default_value = "unspecified")]
        reason: String,
    },
    /// Serial, facility, not-after and status of every certificate.
    List {
        /// Only this facility's certificates.
        #[arg(long)]
        facility: Option<String>,
    },
    /// Write the CRL (PEM) signed by the operator CA.
    Crl {
        #[arg(long)]
        out: PathBuf,
        /// Days until relying parties should fetch the next CRL.
        #[arg(long, default_value_t = 7)]
        next_update_days: u32,
    },
    /// Unrevoked certificates that expire within DAYS (or already have).
    Expiring {
        #[arg(long)]
        within: u32,
    },
    /// Replace the hub's TLS server certificate (pki/server.pem and
    /// pki/server-key.pem); a running hub switches to it within seconds.
    Server {
        /// DNS names participants use to reach the hub.
        #[arg(long = "dns", default_value = "localhost")]
        dns: Vec<String>,
        #[arg(long = "ip")]
        ip: Vec<IpAddr>,
        #[arg(long, default_value_t = DEFAULT_VALIDITY_DAYS)]
        days: u32,
    },
}

pub async fn run(dir: &Path, command: CertsCommand) -> Result<()> {
    if let CertsCommand::Server { dns, ip, days } = &command {
        return server_certificate(dir, dns, ip, *days).await;
    }
    let registry = participants(dir).await?;
    match command {
        CertsCommand::Issue {
            facility,
            out,
            cn,
            days,
        } => {
            let options = IssueOptions {
                common_name: cn,
                validity_days: days,
            };
            let b = registry.issue_to_dir(&facility, &options, &out).await?;
            println!(
                "issued {} for {} ({}), valid until {}\nwrote {d}/key.pem (keep it secret, mode 0600), {d}/cert.pem, {d}/ca.pem",
                b.certificate.serial,
                b.certificate.facility_oid,
                b.certificate.subject,
                b.certificate.not_after.format("%Y-%m-%d"),
                d = out.display()
            );
        }
        CertsCommand::SignCsr {
            facility,
            csr,
            out,
            cn,
            days,
        } => {
            let csr_pem = std::fs::read_to_string(&csr)
                .with_context(|| format!("reading the CSR {}", csr.display()))?;
            let options = IssueOptions {
                common_name: cn,
                validity_days: days,
            };
            let b = registry
                .sign_csr_to_file(&facility, &csr_pem, &options, &out)
                .await?;
            println!(
                "signed {} for {} ({}), valid until {}; wrote {}. The facility also needs the operator CA: {}",
                b.certificate.serial,
                b.certificate.facility_oid,
                b.certificate.subject,
                b.certificate.not_after.format("%Y-%m-%d"),
                out.display(),
                hub::Settings::load(dir)?.pki_dir().join("ca.pem").display()
            );
        }
        CertsCommand::Revoke {
            serial,
            facility,
            reason,
        } => {
            let reason: hub::certs::RevocationReason = reason.parse()?;
            let revoked = match (serial, facility) {
                (Some(serial), _) => vec![registry.revoke_serial(&serial, reason).await?],
                (None, Some(oid)) => registry.revoke_facility(&oid, reason).await?,
                (None, None) => anyhow::bail!("give --serial HEX or --facility OID"),
            };
            if revoked.is_empty() {
                println!("nothing to revoke: the facility has no unrevoked certificate");
            }
            for c in &revoked {
                println!(
                    "revoked {} ({}); a running hub refuses it within seconds",
                    c.serial, c.facility_oid
                );
            }
        }
        CertsCommand::List { facility } => {
            let certs = registry.certificates(facility.as_deref()).await?;
            print_certificates(&certs);
        }
        CertsCommand::Crl {
            out,
            next_update_days,
        } => {
            let pem = registry.crl(next_update_days).await?;
            hub::certs::write_file_atomically(
                &out,
                pem.as_bytes(),
                hub::certs::PUBLIC_FILE_MODE,
                hub::certs::WriteMode::Replace,
            )?;
            println!("wrote {}", out.display());
        }
        CertsCommand::Expiring { within } => {
            let certs = registry.expiring(within).await?;
            if certs.is_empty() {
                println!("no unrevoked certificate expires within {within} days");
            } else {
                print_certificates(&certs);
            }
        }
        CertsCommand::Server { .. } => {}
    }
    Ok(())
}

fn print_certificates(certs: &[CertificateRecord]) {
    let rows: Vec<Vec<String>> = certs
        .iter()
        .map(|c| {
            vec![
                c.serial.clone(),
                c.facility_oid.clone(),
                c.not_after.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                c.status.as_str().to_string(),
                c.subject.clone(),
            ]
        })
        .collect();
    print_table(
        &["SERIAL", "FACILITY", "NOT-AFTER", "STATUS", "SUBJECT"],
        &rows,
    );
}

/// Issues a new server certificate and swaps it into the data dir.
async fn server_certificate(dir: &Path, dns: &[String], ip: &[IpAddr], days: u32) -> Result<()> {
    let settings = hub::Settings::load(dir)?;
    let pki = hub::pki_files::PkiFiles::new(&settings.pki_dir());
    let ca = hub::certs::OperatorCa::load(pki.dir())?;
    let issued = ca.issue_server(dns, ip, days)?;
    let key = issued
        .key_pem
        .as_deref()
        .context("the CA returned no key for the server certificate")?;
    // Key first: until the certificate follows, the hub sees a mismatching
    // pair and keeps the old one in service.
    hub::certs::write_file_atomically(
        &pki.server_key(),
        key.as_bytes(),
        hub::certs::PRIVATE_FILE_MODE,
        hub::certs::WriteMode::Replace,
    )?;
    hub::certs::write_file_atomically(
        &pki.server_cert(),
        issued.cert_pem.as_bytes(),
        hub::certs::PUBLIC_FILE_MODE,
        hub::certs::WriteMode::Replace,
    )?;
    let names = dns
        .iter()
        .cloned()
        .chain(ip.iter().map(ToString::to_string))
        .collect::<Vec<_>>()
        .join(", ");
    // The files are the change (no database row): audited right after.
    let store = hub::audit_cli::open_store(&settings).await?;
    let event = hub::audit::AuditEvent::new(
        hub::audit::Transaction::CertIssue,
        hub::audit::Requestor::operator_cli(),
    )
    .with_target_detail(
        hub::audit::TargetKind::Certificate,
        issued.serial_hex.clone(),
        format!("hub server certificate for {names}"),
    );
    hub::audit::record(&store, &hub::auditing::audit_source(&settings), vec![event])
        .await
        .context("recording the new server certificate in the audit trail")?;
    println!(
        "new server certificate {} for {names} valid until {}; a running hub uses it within seconds",
        issued.serial_hex,
        issued.not_after.format("%Y-%m-%d")
    );
    Ok(())
}
