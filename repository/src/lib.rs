//! The Document Repository actor: ITI-41 Provide and Register Document Set-b
//! (documents streamed into the blob store while SHA-1 and size are computed,
//! metadata registered in-process in the same database transaction) and
//! ITI-43 Retrieve Document Set.

mod provide;
mod retrieve;
mod stage;

pub use provide::ProvideOutcome;
pub use retrieve::{Retrieval, RetrievedDocument};
pub use stage::{StagedDocument, Stager};

use registry::Registry;
use store::BlobStore;

#[derive(Debug, Clone)]
pub struct RepositoryConfig {
    /// This repository's OID (`repositoryUniqueId`).
    pub repository_unique_id: String,
}

#[derive(Clone)]
pub struct Repository {
    registry: Registry,
    blobs: BlobStore,
    config: RepositoryConfig,
}

impl Repository {
    pub fn new(registry: Registry, blobs: BlobStore, config: RepositoryConfig) -> Self {
        Self {
            registry,
            blobs,
            config,
        }
    }
    pub fn registry(&self) -> &Registry {
        &self.registry
    }
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }
    pub fn config(&self) -> &RepositoryConfig {
        &self.config
    }
}
