//! Error collection for one validation run: every rule adds to the report,
//! so the submitter sees all problems at once, not only the first.

use super::ids::IdMap;
use super::options::{ValidatingActor, ValidationOptions};
use crate::error::{RegistryError, XdsErrorCode};

pub(super) struct Report {
    metadata_code: XdsErrorCode,
    duplicate_unique_id_code: XdsErrorCode,
    pub(super) errors: Vec<RegistryError>,
}

impl Report {
    pub(super) fn new(options: &ValidationOptions) -> Self {
        let (metadata_code, duplicate_unique_id_code) = match options.actor {
            ValidatingActor::Registry => (
                XdsErrorCode::RegistryMetadataError,
                XdsErrorCode::RegistryDuplicateUniqueIdInMessage,
            ),
            ValidatingActor::Repository => (
                XdsErrorCode::RepositoryMetadataError,
                XdsErrorCode::RepositoryDuplicateUniqueIdInMessage,
            ),
        };
        Self {
            metadata_code,
            duplicate_unique_id_code,
            errors: Vec::new(),
        }
    }

    /// A metadata error (`XDSRegistryMetadataError` or the repository's
    /// equivalent) located at the object the submitter called `location`.
    pub(super) fn metadata(&mut self, location: &str, context: String) {
        self.error(self.metadata_code, location, context);
    }

    pub(super) fn duplicate_unique_id(&mut self, location: &str, context: String) {
        self.error(self.duplicate_unique_id_code, location, context);
    }

    pub(super) fn error(&mut self, code: XdsErrorCode, location: &str, context: String) {
        self.errors
            .push(RegistryError::error(code, context).at(location));
    }

    pub(super) fn error_count(&self) -> usize {
        self.errors.len()
    }
}

/// The object a message is about: its XDS kind and the id the submitter
/// used (symbolic or UUID), so messages read
/// `DocumentEntry 'Document01': classCode is missing`.
#[derive(Clone, Copy)]
pub(super) struct Subject<'a> {
    pub(super) kind: &'static str,
    pub(super) label: &'a str,
    pub(super) ids: &'a IdMap,
}

impl<'a> Subject<'a> {
    /// The submitter's name for a (nested) object's final id.
    pub(super) fn name_of(&self, id: &'a str) -> &'a str {
        self.ids.label(id)
    }

    pub(super) fn say(&self, message: impl std::fmt::Display) -> String {
        format!("{} '{}': {}", self.kind, self.label, message)
    }

    pub(super) fn metadata(&self, report: &mut Report, message: impl std::fmt::Display) {
        report.metadata(self.label, self.say(message));
    }
}
