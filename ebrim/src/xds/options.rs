//! Which transaction a submission arrives in, and so which rules apply.

/// The actor that validates: it decides the error code family
/// (`XDSRegistry…` or `XDSRepository…`, ITI TF-3 Table 4.2.4.1-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidatingActor {
    Registry,
    Repository,
}

/// Switches between the rule sets of ITI-42, ITI-41 and ITI-57.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationOptions {
    pub actor: ValidatingActor,
    /// ITI-42: hash, size and repositoryUniqueId are required on stable
    /// DocumentEntries. ITI-41: the repository computes them, so optional.
    pub require_repository_fields: bool,
    /// ITI-57 only: UpdateAvailabilityStatus / SubmitAssociation
    /// associations, `lid` different from the entryUUID, and relationship
    /// associations whose source is already registered. Without it (ITI-42,
    /// ITI-41) these are `XDSRegistryMetadataError` (NIST 21000).
    pub allow_metadata_update_constructs: bool,
}

impl ValidationOptions {
    /// Register Document Set-b (ITI-42) at the registry.
    pub fn register() -> Self {
        Self {
            actor: ValidatingActor::Registry,
            require_repository_fields: true,
            allow_metadata_update_constructs: false,
        }
    }

    /// Provide and Register Document Set-b (ITI-41) at the repository,
    /// before it adds hash, size and repositoryUniqueId.
    pub fn provide_and_register() -> Self {
        Self {
            actor: ValidatingActor::Repository,
            require_repository_fields: false,
            allow_metadata_update_constructs: false,
        }
    }

    /// Update Document Set (ITI-57) at the registry: the structural rules
    /// here plus the Metadata Update constructs; the version rules need the
    /// database and are the registry's.
    pub fn update() -> Self {
        Self {
            actor: ValidatingActor::Registry,
            require_repository_fields: true,
            allow_metadata_update_constructs: true,
        }
    }
}

impl Default for ValidationOptions {
    fn default() -> Self {
        Self::register()
    }
}
