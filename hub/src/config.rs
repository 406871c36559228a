//! Settings: `DIR/renkei.toml`, overridden by `RENKEI_*` environment variables,
//! overridden by command-line flags (applied by the caller).

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// What `renkei.toml` holds. Every key has a default so an old file keeps working.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    /// OID of the regional (affinity-domain) patient id assigning authority.
    pub affinity_domain: String,
    /// OID of this hub's Document Repository.
    pub repository_unique_id: String,
    /// `urn:oid:` home community id.
    pub home_community_id: String,
    /// Empty = SQLite file `DIR/renkei.db`.
    pub database_url: String,
    pub listen: String,
    pub mllp_listen: String,
    pub ops_listen: String,
    /// Largest accepted SOAP request body (MTOM documents included), bytes.
    pub max_request_bytes: u64,
    /// Largest accepted SOAP envelope / metadata part, bytes.
    pub max_envelope_bytes: usize,
    /// Stored query result limit; more matches give XDSTooManyResults.
    pub max_query_results: usize,
    /// Database connections: PostgreSQL's pool; SQLite's read pool (SQLite
    /// writes always go through one connection, see `store::Store::open`).
    pub database_pool_size: usize,
    /// Who may use which transactions, who may submit for whom.
    pub policy: crate::policy::PolicyFile,
    /// Audit record repositories: `tls://host:6514` (RFC 5425), `udp://host:514` (RFC 5426).
    pub audit_destinations: Vec<String>,
    /// Days audit records are kept in the database once every destination has
    /// them; older ones are archived to `DIR/audit-archive` and pruned. 0 = keep.
    pub audit_retention_days: u32,
    /// PEM CA bundle the collectors' certificates chain to; empty = the operator CA.
    pub audit_ca_file: String,
    /// Patient consent: model, restricted/secret codes, class limits,
    /// emergency access, BPPC policy codes (README "Patient consent").
    pub consent: consent::ConsentPolicy,
    /// PIX Manager: update-notification subscribers.
    pub pix: PixFile,
}

/// The `[pix]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PixFile {
    /// `[[pix.subscribers]]`: consumers sent ITI-10 (ADT^A31 over MLLP/TLS).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subscribers: Vec<PixSubscriber>,
}

/// One PIX consumer subscribed to update notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PixSubscriber {
    /// The consumer's facility OID (MSH-6 of the notifications).
    pub facility: String,
    /// `host:port` of its MLLP/TLS receiver (ITI-10, HL7 v2 consumers).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mllp: String,
    /// `https://…` SOAP endpoint of an HL7 v3 consumer (ITI-46) instead.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// Assigning authorities it wants ids of; empty = all.
    #[serde(default)]
    pub domains: Vec<String>,
    /// MSH-18 of the notifications: empty (UTF-8 text, no MSH-18),
    /// `UNICODE UTF-8` or `~ISO IR87` (ISO-2022-JP).
    #[serde(default)]
    pub charset: String,
}

impl Default for FileConfig {
    fn default() -> Self {
        Self {
            affinity_domain: String::new(),
            repository_unique_id: String::new(),
            home_community_id: String::new(),
            database_url: String::new(),
            listen: "0.0.0.0:8443".into(),
            mllp_listen: "0.0.0.0:2575".into(),
            ops_listen: "127.0.0.1:9464".into(),
            max_request_bytes: 2 * 1024 * 1024 * 1024,
            max_envelope_bytes: 64 * 1024 * 1024,
            max_query_results: 5000,
            database_pool_size: 8,
            policy: crate::policy::PolicyFile::default(),
            audit_destinations: Vec::new(),
            audit_retention_days: 0,
            audit_ca_file: String::new(),
            consent: consent::ConsentPolicy::default(),
            pix: PixFile::default(),
        }
    }
}

/// Fully resolved settings that `hub::build` runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub affinity_domain: String,
    pub repository_unique_id: String,
    pub home_community_id: String,
    pub database_url: String,
    pub listen: SocketAddr,
    pub mllp_listen: SocketAddr,
    pub ops_listen: SocketAddr,
    pub max_request_bytes: u64,
    pub max_envelope_bytes: usize,
    pub max_query_results: usize,
    pub database_pool_size: usize,
    pub policy: crate::policy::Policy,
    pub audit_destinations: Vec<String>,
    pub audit_retention_days: u32,
    pub audit_ca_file: String,
    pub consent: consent::ConsentPolicy,
    pub pix_subscribers: Vec<PixSubscriber>,
}

pub const CONFIG_FILE: &str = "renkei.toml";

impl Settings {
    /// The PIX Manager's settings: the affinity domain and who is notified.
    pub fn pix_config(&self) -> pix::PixConfig {
        pix::PixConfig {
            affinity_domain: self.affinity_domain.clone(),
            subscribers: self
                .pix_subscribers
                .iter()
                .map(|s| pix::Subscriber {
                    name: s.facility.clone(),
                    domains: s.domains.clone(),
                })
                .collect(),
        }
    }

    /// Load `DIR/renkei.toml` and apply `RENKEI_*` environment overrides.
    pub fn load(data_dir: &Path) -> Result<Settings> {
        let path = data_dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {} (run `renkei init` first)", path.display()))?;
        let mut file: FileConfig =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        apply_env(&mut file, |k| std::env::var(k).ok())?;
        Settings::resolve(data_dir, file)
    }

    pub fn resolve(data_dir: &Path, file: FileConfig) -> Result<Settings> {
        for (key, value) in [
            ("affinity_domain", &file.affinity_domain),
            ("repository_unique_id", &file.repository_unique_id),
            ("home_community_id", &file.home_community_id),
        ] {
            if value.is_empty() {
                bail!("{key} is not set in {CONFIG_FILE}");
            }
        }
        let database_url = if file.database_url.is_empty() {
            format!("sqlite://{}", data_dir.join("renkei.db").display())
        } else {
            file.database_url.clone()
        };
        let addr = |name: &str, v: &str| -> Result<SocketAddr> {
            v.parse().with_context(|| {
                format!("{name} = {v:?} is not a socket address like 0.0.0.0:8443")
            })
        };
        Ok(Settings {
            data_dir: data_dir.to_path_buf(),
            affinity_domain: file.affinity_domain,
            repository_unique_id: file.repository_unique_id,
            home_community_id: file.home_community_id,
            database_url,
            listen: addr("listen", &file.listen)?,
            mllp_listen: addr("mllp_listen", &file.mllp_listen)?,
            ops_listen: addr("ops_listen", &file.ops_listen)?,
            max_request_bytes: file.max_request_bytes,
            max_envelope_bytes: file.max_envelope_bytes,
            max_query_results: file.max_query_results,
            database_pool_size: file.database_pool_size.max(1),
            policy: crate::policy::Policy::from_file(&file.policy)
                .with_context(|| format!("[policy] in {CONFIG_FILE}"))?,
            audit_destinations: crate::auditing::checked_destinations(&file.audit_destinations)?,
            audit_retention_days: file.audit_retention_days,
            audit_ca_file: file.audit_ca_file,
            consent: {
                file.consent.validate()?;
                file.consent
            },
            pix_subscribers: checked_subscribers(file.pix.subscribers)?,
        })
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.data_dir.join("blobs")
    }
    pub fn pki_dir(&self) -> PathBuf {
        self.data_dir.join("pki")
    }
}

fn checked_subscribers(subscribers: Vec<PixSubscriber>) -> Result<Vec<PixSubscriber>> {
    for s in &subscribers {
        if !pix::is_oid(&s.facility) {
            bail!(
                "[[pix.subscribers]] facility {:?} is not an OID",
                s.facility
            );
        }
        match (s.mllp.is_empty(), s.url.is_empty()) {
            (false, true) => {
                if s.mllp
                    .rsplit_once(':')
                    .is_none_or(|(_, port)| port.parse::<u16>().is_err())
                {
                    bail!(
                        "[[pix.subscribers]] {}: mllp = {:?} is not host:port",
                        s.facility,
                        s.mllp
                    );
                }
            }
            (true, false) => {
                if !s.url.starts_with("https://") {
                    bail!(
                        "[[pix.subscribers]] {}: url = {:?} is not an https:// address",
                        s.facility,
                        s.url
                    );
                }
            }
            _ => bail!(
                "[[pix.subscribers]] {}: give either mllp = \"host:port\" (ITI-10) or url = \"https://...\" (ITI-46)",
                s.facility
            ),
        }
        if let Some(d) = s.domains.iter().find(|d| !pix::is_oid(d)) {
            bail!(
                "[[pix.subscribers]] {}: domain {d:?} is not an OID",
                s.facility
            );
        }
        if !matches!(
            s.charset.as_str(),
            "" | "UNICODE UTF-8" | "~ISO IR87" | "ISO IR87"
        ) {
            bail!(
                "[[pix.subscribers]] {}: charset {:?} is not one of \"\", \"UNICODE UTF-8\", \"~ISO IR87\"",
                s.facility,
                s.charset
            );
        }
    }
    Ok(subscribers)
}

/// `RENKEI_<KEY>` overrides `<key>` of the file.
fn apply_env(file: &mut FileConfig, get: impl Fn(&str) -> Option<String>) -> Result<()> {
    let text = |k: &str, slot: &mut String| {
        if let Some(v) = get(k) {
            *slot = v;
        }
    };
    text("RENKEI_AFFINITY_DOMAIN", &mut file.affinity_domain);
    text(
        "RENKEI_REPOSITORY_UNIQUE_ID",
        &mut file.repository_unique_id,
    );
    text("RENKEI_HOME_COMMUNITY_ID", &mut file.home_community_id);
    text("RENKEI_DATABASE_URL", &mut file.database_url);
    text("RENKEI_LISTEN", &mut file.listen);
    text("RENKEI_MLLP_LISTEN", &mut file.mllp_listen);
    text("RENKEI_OPS_LISTEN", &mut file.ops_listen);
    if let Some(v) = get("RENKEI_MAX_REQUEST_BYTES") {
        file.max_request_bytes = v.parse().context("RENKEI_MAX_REQUEST_BYTES")?;
    }
    if let Some(v) = get("RENKEI_MAX_ENVELOPE_BYTES") {
        file.max_envelope_bytes = v.parse().context("RENKEI_MAX_ENVELOPE_BYTES")?;
    }
    if let Some(v) = get("RENKEI_MAX_QUERY_RESULTS") {
        file.max_query_results = v.parse().context("RENKEI_MAX_QUERY_RESULTS")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn env_overrides_file() {
        let mut f = FileConfig::default();
        apply_env(&mut f, |k| {
            (k == "RENKEI_LISTEN").then(|| "127.0.0.1:1".to_string())
        })
        .unwrap();
        assert_eq!(f.listen, "127.0.0.1:1");
    }

    #[test]
    fn missing_oids_are_refused() {
        let err = Settings::resolve(Path::new("/tmp"), FileConfig::default()).unwrap_err();
        assert!(err.to_string().contains("affinity_domain"));
    }
}
