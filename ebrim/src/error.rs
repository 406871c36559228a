//! XDS error codes (ITI TF-3 Table 4.2.4.1-2) and the RegistryError they travel in.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The IHE error codes this hub emits. `as_str` is the exact wire value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum XdsErrorCode {
    MissingDocument,
    MissingDocumentMetadata,
    RegistryNotAvailable,
    RegistryError,
    RepositoryError,
    RegistryDuplicateUniqueIdInMessage,
    RepositoryDuplicateUniqueIdInMessage,
    DuplicateUniqueIdInRegistry,
    NonIdenticalHash,
    NonIdenticalSize,
    RegistryBusy,
    RepositoryBusy,
    RegistryOutOfResources,
    RepositoryOutOfResources,
    RegistryMetadataError,
    RepositoryMetadataError,
    TooManyResults,
    ExtraMetadataNotSaved,
    UnknownPatientId,
    PatientIdDoesNotMatch,
    UnknownStoredQuery,
    StoredQueryMissingParam,
    StoredQueryParamNumber,
    RegistryDeprecatedDocumentError,
    UnknownRepositoryId,
    DocumentUniqueIdError,
    ResultNotSinglePatient,
    UnknownCommunity,
    UnresolvedReferenceException,
    MetadataUpdateError,
    MetadataVersionError,
    MetadataUpdateOperationError,
    PatientIdReconciliationError,
    ReferencesExistException,
    UnreferencedObjectException,
    MetadataModelException,
    /// The submitting facility is not allowed to do this (local policy).
    LocalPolicyRestrictionError,
}

impl XdsErrorCode {
    pub fn as_str(self) -> &'static str {
        use XdsErrorCode::*;
        match self {
            MissingDocument => "XDSMissingDocument",
            MissingDocumentMetadata => "XDSMissingDocumentMetadata",
            RegistryNotAvailable => "XDSRegistryNotAvailable",
            RegistryError => "XDSRegistryError",
            RepositoryError => "XDSRepositoryError",
            RegistryDuplicateUniqueIdInMessage => "XDSRegistryDuplicateUniqueIdInMessage",
            RepositoryDuplicateUniqueIdInMessage => "XDSRepositoryDuplicateUniqueIdInMessage",
            DuplicateUniqueIdInRegistry => "XDSDuplicateUniqueIdInRegistry",
            NonIdenticalHash => "XDSNonIdenticalHash",
            NonIdenticalSize => "XDSNonIdenticalSize",
            RegistryBusy => "XDSRegistryBusy",
            RepositoryBusy => "XDSRepositoryBusy",
            RegistryOutOfResources => "XDSRegistryOutOfResources",
            RepositoryOutOfResources => "XDSRepositoryOutOfResources",
            RegistryMetadataError => "XDSRegistryMetadataError",
            RepositoryMetadataError => "XDSRepositoryMetadataError",
            TooManyResults => "XDSTooManyResults",
            ExtraMetadataNotSaved => "XDSExtraMetadataNotSaved",
            UnknownPatientId => "XDSUnknownPatientId",
            PatientIdDoesNotMatch => "XDSPatientIdDoesNotMatch",
            UnknownStoredQuery => "XDSUnknownStoredQuery",
            StoredQueryMissingParam => "XDSStoredQueryMissingParam",
            StoredQueryParamNumber => "XDSStoredQueryParamNumber",
            RegistryDeprecatedDocumentError => "XDSRegistryDeprecatedDocumentError",
            UnknownRepositoryId => "XDSUnknownRepositoryId",
            DocumentUniqueIdError => "XDSDocumentUniqueIdError",
            ResultNotSinglePatient => "XDSResultNotSinglePatient",
            UnknownCommunity => "XDSUnknownCommunity",
            UnresolvedReferenceException => "UnresolvedReferenceException",
            MetadataUpdateError => "XDSMetadataUpdateError",
            MetadataVersionError => "XDSMetadataVersionError",
            MetadataUpdateOperationError => "XDSMetadataUpdateOperationError",
            PatientIdReconciliationError => "XDSPatientIDReconciliationError",
            ReferencesExistException => "ReferencesExistException",
            UnreferencedObjectException => "XDSUnreferencedObjectException",
            MetadataModelException => "XDSMetadataModelException",
            LocalPolicyRestrictionError => "LocalPolicyRestrictionError",
        }
    }
}

impl fmt::Display for XdsErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    Error,
    Warning,
}

/// One `rs:RegistryError`: code, a message a person can act on (`codeContext`),
/// severity and an optional location (the offending object id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryError {
    pub code: XdsErrorCode,
    pub context: String,
    pub severity: Severity,
    pub location: Option<String>,
}

impl RegistryError {
    pub fn error(code: XdsErrorCode, context: impl Into<String>) -> Self {
        Self {
            code,
            context: context.into(),
            severity: Severity::Error,
            location: None,
        }
    }
    pub fn warning(code: XdsErrorCode, context: impl Into<String>) -> Self {
        Self {
            code,
            context: context.into(),
            severity: Severity::Warning,
            location: None,
        }
    }
    pub fn at(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.context)
    }
}

/// `RegistryResponse/@status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseStatus {
    Success,
    PartialSuccess,
    Failure,
}

impl ResponseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseStatus::Success => crate::vocab::RESPONSE_SUCCESS,
            ResponseStatus::PartialSuccess => crate::vocab::RESPONSE_PARTIAL_SUCCESS,
            ResponseStatus::Failure => crate::vocab::RESPONSE_FAILURE,
        }
    }

    /// Success unless an error (not a warning) is present.
    pub fn from_errors(errors: &[RegistryError]) -> Self {
        if errors.iter().any(|e| e.severity == Severity::Error) {
            ResponseStatus::Failure
        } else {
            ResponseStatus::Success
        }
    }
}
