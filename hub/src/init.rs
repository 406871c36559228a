//! `renkei init`: everything a fresh data dir needs — operator CA, the hub's
//! server certificate, a demo facility with its client certificate, an empty
//! database and blob store, and `renkei.toml` (written last, so a data dir
//! with a config file is always complete).

use crate::config::{CONFIG_FILE, FileConfig, Settings};
use crate::pki_files::{PkiFiles, write_file};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use store::Store;

pub struct InitReport {
    pub settings: Settings,
    pub demo_client_dir: PathBuf,
    pub demo_facility_oid: String,
}

pub const DEMO_CLIENT_DIR: &str = "clients/demo-clinic";

/// A fresh OID under the UUID arc 2.25 (ITU-T X.667): unique without a
/// registered arc. Operators with their own arc pass `--affinity-domain`.
pub fn generated_root() -> String {
    format!("2.25.{}", uuid::Uuid::new_v4().as_u128())
}

/// Choices `renkei init` accepts; everything else is generated.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    pub affinity_domain: Option<String>,
    /// Empty/None: the embedded SQLite file `DIR/renkei.db`.
    pub database_url: Option<String>,
}

pub async fn init(data_dir: &Path, options: InitOptions) -> Result<InitReport> {
    init_with_ca(data_dir, options, certs::KeyAlgorithm::EcdsaP256).await
}

/// [`init`] with a chosen operator CA algorithm (`--ca-algorithm`): RSA 3072
/// for regions whose participants cannot verify ECDSA.
pub async fn init_with_ca(
    data_dir: &Path,
    options: InitOptions,
    ca_algorithm: certs::KeyAlgorithm,
) -> Result<InitReport> {
    let InitOptions {
        affinity_domain,
        database_url,
    } = options;
    if data_dir.join(CONFIG_FILE).exists() {
        bail!(
            "{} is already initialised ({} exists)",
            data_dir.display(),
            CONFIG_FILE
        );
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let root = generated_root();
    let affinity_domain = match affinity_domain {
        Some(oid) => {
            ebrim::datatypes::Oid::parse(&oid)
                .map_err(|e| anyhow::anyhow!("--affinity-domain {oid}: {e}"))?;
            oid
        }
        None => format!("{root}.1"),
    };
    let file = FileConfig {
        affinity_domain,
        repository_unique_id: format!("{root}.2"),
        home_community_id: format!("urn:oid:{root}.3"),
        database_url: database_url.unwrap_or_default(),
        ..FileConfig::default()
    };
    let settings = Settings::resolve(data_dir, file.clone())?;

    // PKI: operator CA and the hub's own certificate.
    let pki = PkiFiles::new(&settings.pki_dir());
    let ca = certs::OperatorCa::generate(ca_algorithm, "renkei operator CA", 3650)
        .context("generating the operator CA")?;
    ca.save(pki.dir()).context("writing the operator CA")?;
    let server = ca
        .issue_server(
            &["localhost".to_string()],
            &["127.0.0.1".parse()?, "::1".parse()?],
            crate::facility::DEFAULT_VALIDITY_DAYS,
        )
        .context("issuing the server certificate")?;
    write_file(&pki.server_cert(), server.cert_pem.as_bytes(), false)?;
    if let Some(key) = &server.key_pem {
        write_file(&pki.server_key(), key.as_bytes(), true)?;
    }

    // Database, blob store, demo facility.
    std::fs::create_dir_all(settings.blob_dir())?;
    let store = Store::open(&settings.database_url, 2).await?;
    let demo_oid = format!("{root}.10.1");
    let demo_dir = data_dir.join(DEMO_CLIENT_DIR);
    let source = crate::auditing::audit_source(&settings);
    crate::facility::admit_and_issue(
        &store,
        &source,
        &ca,
        &demo_oid,
        "Demo Clinic",
        "clinic",
        &demo_dir,
    )
    .await?;

    let text = toml::to_string_pretty(&file)?;
    write_file(&data_dir.join(CONFIG_FILE), text.as_bytes(), false)?;
    Ok(InitReport {
        settings,
        demo_client_dir: demo_dir,
        demo_facility_oid: demo_oid,
    })
}
