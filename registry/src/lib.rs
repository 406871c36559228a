//! The Document Registry actor: ITI-42 Register Document Set-b and ITI-18
//! Registry Stored Query over the `store` crate. No HTTP here: the hub hands
//! in parsed requests and the facility from the client certificate, and gets
//! back what goes into the RegistryResponse / AdhocQueryResponse.

mod filters;
mod output;
pub mod query;
pub mod register;

use ebrim::{RegistryError, ResponseStatus};
use store::Store;

pub use register::{RegisterFailure, register_in};

/// Registry settings from `renkei.toml`.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// More matches than this give XDSTooManyResults.
    pub max_query_results: usize,
    /// `urn:oid:` value put in the `home` attribute of returned objects.
    pub home_community_id: String,
}

/// Who sent the transaction: the facility named by the client certificate,
/// never a value taken from the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitter {
    pub facility_oid: String,
}

/// Status and errors/warnings for a RegistryResponse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: ResponseStatus,
    pub errors: Vec<RegistryError>,
}

impl Outcome {
    pub fn success(warnings: Vec<RegistryError>) -> Self {
        Self {
            status: ResponseStatus::Success,
            errors: warnings,
        }
    }
    pub fn failure(errors: Vec<RegistryError>) -> Self {
        Self {
            status: ResponseStatus::Failure,
            errors,
        }
    }
}

#[derive(Clone)]
pub struct Registry {
    store: Store,
    config: RegistryConfig,
}

impl Registry {
    pub fn new(store: Store, config: RegistryConfig) -> Self {
        Self { store, config }
    }
    pub fn store(&self) -> &Store {
        &self.store
    }
    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }
}

/// Current time as an XDS DTM (UTC, second precision).
pub fn now_dtm() -> String {
    chrono::Utc::now().format("%Y%m%d%H%M%S").to_string()
}
