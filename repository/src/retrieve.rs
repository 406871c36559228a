//! ITI-43 Retrieve Document Set (ITI TF-2 3.43.4.1.3): one DocumentResponse per
//! document found; XDSUnknownRepositoryId / XDSDocumentUniqueIdError for the
//! rest; Success, PartialSuccess or Failure accordingly.

use crate::Repository;
use ebrim::{RegistryError, ResponseStatus, RetrieveDocumentSetRequest, XdsErrorCode as Code};

/// A document the response will stream from the blob store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrievedDocument {
    /// Echoed only when the request carried it.
    pub home_community_id: Option<String>,
    pub repository_unique_id: String,
    pub document_unique_id: String,
    pub mime_type: String,
    pub blob_key: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retrieval {
    pub status: ResponseStatus,
    pub errors: Vec<RegistryError>,
    pub documents: Vec<RetrievedDocument>,
}

impl Repository {
    pub async fn retrieve(&self, request: RetrieveDocumentSetRequest) -> Retrieval {
        let repo_id = self.config.repository_unique_id.clone();
        let requests = request.requests;
        let count = requests.len();
        let result = self
            .registry
            .store()
            .read(move |conn| {
                let mut found = Vec::new();
                let mut errors = Vec::new();
                for r in requests {
                    if r.repository_unique_id != repo_id {
                        errors.push(
                            RegistryError::error(
                                Code::UnknownRepositoryId,
                                format!(
                                    "repositoryUniqueId {} is not this repository ({repo_id}); send the request to the repository named in the DocumentEntry",
                                    r.repository_unique_id
                                ),
                            )
                            .at(r.document_unique_id.clone()),
                        );
                        continue;
                    }
                    match store::document_by_unique_id(conn, &repo_id, &r.document_unique_id)? {
                        Some(row) => found.push(RetrievedDocument {
                            home_community_id: r.home_community_id,
                            repository_unique_id: r.repository_unique_id,
                            document_unique_id: r.document_unique_id,
                            mime_type: row.mime_type,
                            blob_key: row.blob_key,
                            size: u64::try_from(row.size).unwrap_or(0),
                        }),
                        None => errors.push(
                            RegistryError::error(
                                Code::DocumentUniqueIdError,
                                format!(
                                    "document {} is not available from this repository",
                                    r.document_unique_id
                                ),
                            )
                            .at(r.document_unique_id),
                        ),
                    }
                }
                Ok::<_, store::StoreError>((found, errors))
            })
            .await;
        match result {
            Ok((documents, errors)) => {
                let status = if errors.is_empty() {
                    ResponseStatus::Success
                } else if documents.is_empty() || count == 0 {
                    ResponseStatus::Failure
                } else {
                    ResponseStatus::PartialSuccess
                };
                Retrieval {
                    status,
                    errors,
                    documents,
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "repository storage failure");
                Retrieval {
                    status: ResponseStatus::Failure,
                    errors: vec![RegistryError::error(
                        Code::RepositoryError,
                        "the repository could not read its store; try again later",
                    )],
                    documents: Vec::new(),
                }
            }
        }
    }
}
