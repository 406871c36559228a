//! The real hub, started in-process on port 0 against a fresh database (SQLite
//! file, or a fresh PostgreSQL database when `RENKEI_TEST_DATABASE_URL` is
//! set), with the demo facility's client certificate ready to use.

use crate::client::HubClient;
use anyhow::{Context, Result};
use hub::init::{InitOptions, init};
use std::path::PathBuf;
use store::testing::TestDatabase;

pub struct TestHub {
    pub hub: hub::RunningHub,
    pub settings: hub::Settings,
    /// The demo clinic's certificate directory (key.pem, cert.pem, ca.pem).
    pub client_dir: PathBuf,
    pub facility_oid: String,
    pub base_url: String,
    // Dropped last: the database and the data dir outlive the hub.
    _db: TestDatabase,
    _dir: tempfile::TempDir,
}

impl TestHub {
    pub async fn start() -> Result<TestHub> {
        Self::start_with(|_| {}).await
    }

    /// Starts a hub after letting the caller adjust its settings.
    pub async fn start_with(adjust: impl FnOnce(&mut hub::Settings)) -> Result<TestHub> {
        hub::install_crypto_provider();
        let dir = tempfile::tempdir()?;
        let db = TestDatabase::new()
            .await
            .context("creating a test database")?;
        let report = init(
            dir.path(),
            InitOptions {
                affinity_domain: None,
                database_url: Some(db.url().to_string()),
            },
        )
        .await?;
        let mut settings = report.settings.clone();
        settings.listen = "127.0.0.1:0".parse()?;
        settings.ops_listen = "127.0.0.1:0".parse()?;
        settings.mllp_listen = "127.0.0.1:0".parse()?;
        adjust(&mut settings);
        let hub = hub::build(settings.clone()).await?;
        let base_url = format!("https://localhost:{}", hub.https_addr.port());
        Ok(TestHub {
            hub,
            settings,
            client_dir: report.demo_client_dir,
            facility_oid: report.demo_facility_oid,
            base_url,
            _db: db,
            _dir: dir,
        })
    }

    /// A client with the demo clinic's certificate.
    pub fn client(&self) -> Result<HubClient> {
        HubClient::from_dir(&self.base_url, &self.client_dir)
    }

    /// The regional patient id `local^^^&<affinity domain>&ISO`.
    pub fn patient(&self, local: &str) -> String {
        format!("{local}^^^&{}&ISO", self.settings.affinity_domain)
    }

    /// Registers a regional patient id (what the patient identity feed does).
    pub async fn add_patient(&self, local: &str) -> Result<String> {
        let pid = self.patient(local);
        let id = pid.clone();
        self.hub
            .store
            .write(move |conn| store::add_patient(conn, &id))
            .await?;
        Ok(pid)
    }

    pub async fn stop(self) {
        self.hub.stop().await;
    }
}
