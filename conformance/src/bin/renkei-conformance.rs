//! `renkei-conformance`: replays the NIST XDS Toolkit test cases against an
//! in-process hub (`nist`), or walks a running hub through one referral
//! letter as a clinic would (`demo`).

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use conformance::HubClient;
use conformance::fixtures::{self, DocSpec, Submission};
use conformance::nist::exchange::{self, ReplyStatus};
use conformance::nist::runner::{self, ReplayOptions};
use conformance::nist::vocab;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "renkei-conformance",
    version,
    about = "Conformance tools for the renkei hub"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replay the NIST toolkit test cases (ITI-41/42/43/18) against a hub
    /// started in-process (SQLite; RENKEI_TEST_DATABASE_URL selects PostgreSQL)
    /// and print a Markdown pass/fail table.
    Nist {
        /// The nist-tests folder (default: ../shared/conformance/xds/nist-tests).
        #[arg(long)]
        tests: Option<PathBuf>,
        /// Only these tests (comma-separated), plus the tests they depend on.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Also write the table to this file.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Write every step's request and reply into this folder.
        #[arg(long)]
        trace: Option<PathBuf>,
    },
    /// Submit a referral letter with MTOM, find it with FindDocuments and
    /// retrieve it, using the demo facility's certificate.
    Demo {
        /// The hub's data directory (holds clients/demo-clinic and renkei.toml).
        #[arg(long)]
        data_dir: PathBuf,
        /// The regional patient id (CX), already known to the hub.
        #[arg(long)]
        patient: String,
        #[arg(long, default_value = "https://localhost:8443")]
        url: String,
        /// The demo facility's OID (default: derived from renkei.toml).
        #[arg(long)]
        facility_oid: Option<String>,
    },
}

/// The DocumentEntry authorInstitution `fixtures::DocSpec` writes.
const FIXTURE_INSTITUTION: &str = "Demo Clinic^^^^^^^^^1.2.392.200119.6.102.1234567890";

const REGENERATE: &str =
    "cargo run -p conformance --bin renkei-conformance -- nist --report conformance/REPORT.md";

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Nist {
            tests,
            only,
            report,
            trace,
        } => nist(tests, only, report, trace).await,
        Command::Demo {
            data_dir,
            patient,
            url,
            facility_oid,
        } => demo(data_dir, patient, url, facility_oid).await,
    }
}

async fn nist(
    tests: Option<PathBuf>,
    only: Vec<String>,
    report: Option<PathBuf>,
    trace: Option<PathBuf>,
) -> Result<()> {
    let opts = ReplayOptions {
        tests_dir: tests.unwrap_or_else(runner::default_tests_dir),
        only,
        trace_dir: trace,
    };
    let hub = runner::start_hub()
        .await
        .context("starting the in-process hub")?;
    let result = runner::replay(&hub, &opts).await;
    hub.stop().await;
    let result = result?;
    let md = result.markdown(REGENERATE);
    println!("{md}");
    if let Some(path) = report {
        std::fs::write(&path, &md).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("report written to {}", path.display());
    }
    let problems = result.problems();
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("{p}");
        }
        bail!("{} in-scope steps did not pass", problems.len());
    }
    Ok(())
}

/// The demo facility is issued under the OID root `init` generated, which
/// `repository_unique_id` (= root.2) also carries.
fn demo_facility_oid(settings: &hub::Settings) -> Result<String> {
    let root = settings.repository_unique_id.strip_suffix(".2").context(
        "cannot derive the demo facility OID from repository_unique_id; pass --facility-oid",
    )?;
    Ok(format!("{root}.10.1"))
}

async fn demo(
    data_dir: PathBuf,
    patient: String,
    url: String,
    facility_oid: Option<String>,
) -> Result<()> {
    let settings = hub::Settings::load(&data_dir).context("reading the hub configuration")?;
    let facility = match facility_oid {
        Some(f) => f,
        None => demo_facility_oid(&settings)?,
    };
    let client = HubClient::from_dir(&url, &data_dir.join(hub::init::DEMO_CLIENT_DIR))
        .context("loading the demo clinic's certificate")?;

    let letter = "診療情報提供書\n\n紹介先: 地域包括ケア病棟 御侍史\n患者: 山田花子 様 (1956年5月27日生, 女性)\n\
                  傷病名: 高血圧症, 2型糖尿病\n紹介目的: 退院後の在宅療養支援をお願いします。\n\
                  処方: アムロジピン 5mg 1日1回朝食後, メトホルミン 500mg 1日2回\n\n山田内科クリニック 山田太郎\n";
    let doc = DocSpec::referral("Document01", &facility, letter.as_bytes());
    let submission = Submission::new(&patient, &facility).with(doc.clone());
    let (body, attachments) = submission.provide_and_register_xml(true);
    // The fixture names a sample institution as the DocumentEntry author's;
    // the hub accepts only the submitting facility itself there.
    let body = body.replace(
        fixtures::esc(FIXTURE_INSTITUTION).as_str(),
        &fixtures::esc(&format!("Demo Clinic^^^^^^^^^{facility}")),
    );
    println!(
        "1. ITI-41 Provide and Register: referral letter {} ({} bytes, MTOM)",
        doc.unique_id,
        letter.len()
    );
    let reply = client
        .mtom("/xds/repository", vocab::ACTION_PNR, &body, &attachments)
        .await?;
    let r = exchange::interpret(reply.status, &reply.envelope()?);
    println!("   -> {:?}{}", r.status, codes(&r.errors));
    if r.status != ReplyStatus::Success {
        bail!("the submission was not accepted");
    }

    println!("2. ITI-18 FindDocuments for {patient}");
    let reply = client
        .soap(
            "/xds/registry",
            vocab::ACTION_QUERY,
            &fixtures::find_documents(&patient, "LeafClass"),
        )
        .await?;
    let r = exchange::interpret(reply.status, &reply.envelope()?);
    let body = r.body.clone().unwrap_or_default();
    let found = find_entry(&body, &doc.unique_id);
    println!(
        "   -> {:?}, {} entries{}",
        r.status,
        count_entries(&body),
        codes(&r.errors)
    );
    let Some((entry_uuid, repository)) = found else {
        bail!("FindDocuments did not return the submitted letter");
    };
    println!("   -> found entryUUID {entry_uuid} in repository {repository}");

    println!("3. ITI-43 Retrieve {}", doc.unique_id);
    let reply = client
        .mtom(
            "/xds/repository",
            vocab::ACTION_RETRIEVE,
            &fixtures::retrieve(&repository, &[&doc.unique_id]),
            &[],
        )
        .await?;
    let (env, parts) = reply.parts()?;
    let r = exchange::interpret(reply.status, &env);
    let parts: Vec<(String, Vec<u8>)> = parts.into_iter().map(|(c, b)| (c, b.to_vec())).collect();
    let docs = exchange::retrieved_documents(r.body.as_deref().unwrap_or_default(), &parts);
    println!("   -> {:?}{}", r.status, codes(&r.errors));
    let Some(got) = docs.iter().find(|d| d.unique_id == doc.unique_id) else {
        bail!("the letter was not returned");
    };
    match &got.content {
        Ok(bytes) if bytes.as_slice() == letter.as_bytes() => {
            println!(
                "   -> {} bytes, {}, identical to what was sent",
                bytes.len(),
                got.mime_type
            )
        }
        Ok(bytes) => bail!(
            "retrieved {} bytes that differ from the letter",
            bytes.len()
        ),
        Err(e) => bail!("retrieved document unreadable: {e}"),
    }
    Ok(())
}

fn codes(errors: &[exchange::RegistryError]) -> String {
    if errors.is_empty() {
        String::new()
    } else {
        format!(
            " [{}]",
            errors
                .iter()
                .map(|e| format!("{}: {}", e.code, e.context))
                .collect::<Vec<_>>()
                .join("; ")
        )
    }
}

fn count_entries(body: &str) -> usize {
    roxmltree::Document::parse(body)
        .map(|d| {
            d.descendants()
                .filter(|n| n.has_tag_name((vocab::RIM, "ExtrinsicObject")))
                .count()
        })
        .unwrap_or(0)
}

/// (entryUUID, repositoryUniqueId) of the entry with this uniqueId.
fn find_entry(body: &str, unique_id: &str) -> Option<(String, String)> {
    let doc = roxmltree::Document::parse(body).ok()?;
    let eo = doc
        .descendants()
        .filter(|n| n.has_tag_name((vocab::RIM, "ExtrinsicObject")))
        .find(|eo| {
            eo.children().any(|c| {
                c.has_tag_name((vocab::RIM, "ExternalIdentifier"))
                    && c.attribute("identificationScheme") == Some(vocab::DE_UNIQUE_ID)
                    && c.attribute("value") == Some(unique_id)
            })
        })?;
    let repository = eo
        .children()
        .find(|c| {
            c.has_tag_name((vocab::RIM, "Slot"))
                && c.attribute("name") == Some("repositoryUniqueId")
        })
        .and_then(|s| {
            s.descendants()
                .find(|v| v.has_tag_name((vocab::RIM, "Value")))
        })
        .and_then(|v| v.text())?
        .trim()
        .to_string();
    Some((eo.attribute("id")?.to_string(), repository))
}
