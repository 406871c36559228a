//! `renkei-load`: benchmark corpus generator and load driver for a renkei hub.
//!
//! ```text
//! renkei-load generate --data-dir D --patients 10000 --docs-per-patient 10            # straight into the store
//! renkei-load generate --data-dir D --via-hub --url https://127.0.0.1:8443 --patients 50 --docs-per-patient 4
//! renkei-load run --data-dir D --url https://127.0.0.1:8443 --tx find --patients 10000 \
//!     --concurrency 8 --requests 2000 --server-pid PID [--json results.jsonl]
//! ```

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use conformance::HubClient;
use conformance::generator::{self, CorpusShape, Region};
use conformance::load::{self, LoadPlan, Target, Transaction, Workload};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "renkei-load",
    about = "Benchmark corpus generator and load driver for a renkei hub"
)]
struct Cli {
    /// The hub's data directory (renkei.toml, database, demo client certificate).
    #[arg(long, global = true, env = "RENKEI_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Initialise a data directory like `renkei init`, on the database given
    /// (a PostgreSQL URL; `renkei init` always starts on SQLite).
    Init {
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Fill the registry with a synthetic regional corpus.
    Generate(GenerateArgs),
    /// Drive one transaction against a running hub and report.
    Run(RunArgs),
    /// Hold many idle mutual-TLS connections open and report the hub's memory.
    Idle(IdleArgs),
    /// ITI-8 feeds, then ITI-9 PIX Queries, over MLLP/TLS.
    Pix(PixArgs),
}

#[derive(Args)]
struct PixArgs {
    /// The hub's MLLP address.
    #[arg(long, default_value = "127.0.0.1:2575")]
    addr: std::net::SocketAddr,
    /// Local ids fed first (one ITI-8 A04 each).
    #[arg(long, default_value_t = 2000)]
    patients: u64,
    #[arg(long, default_value_t = 5000)]
    queries: u64,
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Client certificate directory; default DIR/clients/demo-clinic.
    #[arg(long)]
    client_dir: Option<PathBuf>,
    /// The facility of the client certificate (default: the demo clinic of `renkei init`).
    #[arg(long)]
    facility_oid: Option<String>,
    #[arg(long)]
    server_pid: Option<u32>,
    /// Append each phase's report as one JSON line to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Args)]
struct IdleArgs {
    /// The hub's HTTPS address.
    #[arg(long, default_value = "127.0.0.1:8443")]
    addr: std::net::SocketAddr,
    /// Name checked against the hub's certificate.
    #[arg(long, default_value = "localhost")]
    server_name: String,
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    #[arg(long, default_value_t = 64)]
    parallel_handshakes: usize,
    /// Seconds every connection stays open after the last one opened (< 60).
    #[arg(long, default_value_t = 10)]
    hold_secs: u64,
    /// Client certificate directory (key.pem, cert.pem, ca.pem); default DIR/clients/demo-clinic.
    #[arg(long)]
    client_dir: Option<PathBuf>,
    /// The hub's process id: its RSS is reported.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Append the report as one JSON line to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Args, Clone)]
struct CorpusArgs {
    /// Local part of the regional patient ids: PREFIX00000042.
    #[arg(long, default_value = "BENCH")]
    prefix: String,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Args)]
struct GenerateArgs {
    #[command(flatten)]
    corpus: CorpusArgs,
    #[arg(long)]
    patients: u64,
    #[arg(long, default_value_t = 0)]
    first_patient: u64,
    #[arg(long, default_value_t = 10)]
    docs_per_patient: u32,
    #[arg(long, default_value_t = 1)]
    docs_per_submission: u32,
    /// Document size: real bytes via the hub, the recorded size otherwise.
    #[arg(long, default_value_t = 10 * 1024)]
    doc_bytes: usize,
    /// Submissions per transaction (straight into the store).
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Patients without consent: reads by facilities that did not author a
    /// document are then denied. By default every patient consents as the
    /// region's model asks (all participants, or the reading facility).
    #[arg(long)]
    no_consent: bool,
    /// Transactions committing at once (straight into the store; SQLite
    /// takes them in turn).
    #[arg(long, default_value_t = 2)]
    writers: usize,
    /// Submit through ITI-41 to a running hub instead of writing the store.
    #[arg(long)]
    via_hub: bool,
    #[arg(long, default_value = "https://127.0.0.1:8443")]
    url: String,
    /// Submissions in flight (via the hub).
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// The facility of the client certificate (default: the demo clinic of `renkei init`).
    #[arg(long)]
    facility_oid: Option<String>,
    /// Database URL instead of the one in renkei.toml.
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    corpus: CorpusArgs,
    #[arg(long, value_enum)]
    tx: Transaction,
    #[arg(long, default_value = "https://127.0.0.1:8443")]
    url: String,
    /// Client certificate directory (key.pem, cert.pem, ca.pem); default DIR/clients/demo-clinic.
    #[arg(long)]
    client_dir: Option<PathBuf>,
    /// The facility of the client certificate (default: the demo clinic of `renkei init`).
    #[arg(long)]
    facility_oid: Option<String>,
    /// Registered patients 0..N to pick from.
    #[arg(long)]
    patients: u64,
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    #[arg(long, default_value_t = 200)]
    requests: u64,
    #[arg(long, default_value_t = 20)]
    warmup: u64,
    /// Document size for iti41/iti43 (and the size recorded by iti42).
    #[arg(long, default_value_t = 10 * 1024)]
    doc_bytes: usize,
    /// iti41/iti42: DocumentEntries per submission (one SubmissionSet, one
    /// HasMember association each).
    #[arg(long, default_value_t = 1)]
    docs_per_request: u32,
    /// iti43: documents submitted first to retrieve; get: patients searched for entryUUIDs.
    #[arg(long, default_value_t = 20)]
    prepare: u64,
    #[arg(long, default_value_t = 300)]
    timeout_secs: u64,
    /// The hub's process id: its CPU and RSS are reported.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Append the report as one JSON line to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Free-form label stored with the JSON report (backend, corpus size...).
    #[arg(long, default_value = "")]
    label: String,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    hub::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Init { database_url } => {
                let report = hub::init::init(
                    &cli.data_dir,
                    hub::init::InitOptions {
                        affinity_domain: None,
                        database_url,
                    },
                )
                .await?;
                println!(
                    "initialised {} (demo facility {})",
                    cli.data_dir.display(),
                    report.demo_facility_oid
                );
                Ok(())
            }
            Command::Generate(a) => generate(&cli.data_dir, a).await,
            Command::Run(a) => run(&cli.data_dir, a).await,
            Command::Idle(a) => idle(&cli.data_dir, a).await,
            Command::Pix(a) => pix(&cli.data_dir, a).await,
        }
    })
}

/// The submitting facility: given, or the demo clinic `renkei init` creates
/// (`<root>.10.1` where the affinity domain is `<root>.1`).
fn facility_oid(settings: &hub::Settings, given: Option<&str>) -> String {
    match given {
        Some(oid) => oid.to_string(),
        None => {
            let root = settings
                .affinity_domain
                .strip_suffix(".1")
                .unwrap_or(&settings.affinity_domain);
            format!("{root}.10.1")
        }
    }
}

/// Whom a generated patient's consent names: all participants where the
/// region's model allows it, else the facility the load tool reads as.
fn consent_for(settings: &hub::Settings, given: Option<&str>) -> String {
    if settings.consent.model == consent::Model::AllParticipants {
        consent::ALL_FACILITIES.to_string()
    } else {
        facility_oid(settings, given)
    }
}

fn region(settings: &hub::Settings) -> Region {
    Region {
        affinity_domain: settings.affinity_domain.clone(),
        repository_unique_id: settings.repository_unique_id.clone(),
    }
}

async fn generate(dir: &std::path::Path, a: GenerateArgs) -> Result<()> {
    let settings = hub::Settings::load(dir).context("reading the hub's configuration")?;
    let url = a
        .database_url
        .clone()
        .unwrap_or_else(|| settings.database_url.clone());
    let store = store::Store::open(&url, a.writers.max(2))
        .await
        .context("opening the store")?;
    let region = region(&settings);
    let shape = CorpusShape {
        seed: a.corpus.seed,
        patient_prefix: a.corpus.prefix.clone(),
        docs_per_patient: a.docs_per_patient,
        docs_per_submission: a.docs_per_submission,
        doc_bytes: a.doc_bytes,
        // Through the hub, submissions must speak for the certificate's facility.
        submitting_facility: a
            .via_hub
            .then(|| facility_oid(&settings, a.facility_oid.as_deref())),
        consent_for: (!a.no_consent).then(|| consent_for(&settings, a.facility_oid.as_deref())),
    };
    let total = a.patients.saturating_mul(u64::from(a.docs_per_patient));
    let bar = generator::progress_bar(total);
    let summary = if a.via_hub {
        let client = HubClient::from_dir(&a.url, &dir.join(hub::init::DEMO_CLIENT_DIR))?;
        generator::via_hub::generate(
            &client,
            &store,
            &region,
            &shape,
            a.first_patient,
            a.patients,
            a.concurrency,
            &bar,
        )
        .await?
    } else {
        let opts = generator::direct::DirectOptions {
            first_patient: a.first_patient,
            patients: a.patients,
            batch: a.batch,
            writers: a.writers,
        };
        generator::direct::generate(&store, &region, &shape, &opts, &bar).await?
    };
    bar.finish_and_clear();
    println!(
        "generated {} patients, {} submissions, {} document entries in {:.1}s ({:.0} entries/s, {:?} via {}), {} failed submissions",
        summary.patients,
        summary.submissions,
        summary.document_entries,
        summary.seconds,
        summary.entries_per_second(),
        store.backend(),
        if a.via_hub { "ITI-41" } else { "the store" },
        summary.failures
    );
    Ok(())
}

async fn run(dir: &std::path::Path, a: RunArgs) -> Result<()> {
    let settings = hub::Settings::load(dir).context("reading the hub's configuration")?;
    let client_dir = a
        .client_dir
        .clone()
        .unwrap_or_else(|| dir.join(hub::init::DEMO_CLIENT_DIR));
    let target = Target {
        client: HubClient::from_dir(&a.url, &client_dir)?,
        region: region(&settings),
        patient_prefix: a.corpus.prefix.clone(),
        patients: a.patients,
        seed: a.corpus.seed,
        facility_oid: facility_oid(&settings, a.facility_oid.as_deref()),
    };
    let workload = Workload::prepare(a.tx, target, a.doc_bytes, a.prepare)
        .await?
        .with_docs_per_request(a.docs_per_request);
    let plan = LoadPlan {
        concurrency: a.concurrency,
        requests: a.requests,
        warmup: a.warmup,
        timeout: Duration::from_secs(a.timeout_secs),
    };
    let report = load::run(workload, &plan, a.doc_bytes, a.server_pid).await?;
    print!("{}", report.render());
    if let Some(path) = &a.json {
        let mut line = serde_json::to_value(&report)?;
        if let Some(obj) = line.as_object_mut() {
            obj.insert("label".into(), a.label.clone().into());
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        writeln!(f, "{line}")?;
    }
    Ok(())
}

async fn idle(dir: &std::path::Path, a: IdleArgs) -> Result<()> {
    let client_dir = a
        .client_dir
        .clone()
        .unwrap_or_else(|| dir.join(hub::init::DEMO_CLIENT_DIR));
    let read = |f: &str| {
        std::fs::read_to_string(client_dir.join(f))
            .with_context(|| format!("reading {}", client_dir.join(f).display()))
    };
    let tls = hub::certs::client_config(&read("ca.pem")?, &read("cert.pem")?, &read("key.pem")?)?;
    let plan = load::idle::IdlePlan {
        addr: a.addr,
        server_name: a.server_name.clone(),
        connections: a.connections,
        parallel_handshakes: a.parallel_handshakes,
        hold: Duration::from_secs(a.hold_secs),
        server_pid: a.server_pid,
        open_timeout: Duration::from_secs(50),
    };
    let report = load::idle::hold_idle(&plan, tls).await?;
    print!("{}", report.render());
    if let Some(path) = &a.json {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        writeln!(f, "{}", serde_json::to_string(&report)?)?;
    }
    Ok(())
}

async fn pix(dir: &std::path::Path, a: PixArgs) -> Result<()> {
    let settings = hub::Settings::load(dir).context("reading the hub's configuration")?;
    let plan = load::pix::PixPlan {
        addr: a.addr,
        client_dir: a
            .client_dir
            .clone()
            .unwrap_or_else(|| dir.join(hub::init::DEMO_CLIENT_DIR)),
        facility_oid: facility_oid(&settings, a.facility_oid.as_deref()),
        patients: a.patients,
        queries: a.queries,
        concurrency: a.concurrency,
        seed: a.seed,
        server_pid: a.server_pid,
    };
    for report in load::pix::run(&plan).await? {
        print!("{}", report.render());
        if let Some(path) = &a.json {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            writeln!(f, "{}", serde_json::to_string(&report)?)?;
        }
    }
    Ok(())
}
