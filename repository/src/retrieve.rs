//! ITI-43 Retrieve Document Set (ITI TF-2 3.43.4.1.3): one DocumentResponse per
//! document found; XDSUnknownRepositoryId / XDSDocumentUniqueIdError for the
//! rest; Success, PartialSuccess or Failure accordingly.

use crate::Repository;
use ebrim::{RegistryError, ResponseStatus, RetrieveDocumentSetRequest, XdsErrorCode as Code};
use registry::consents::ReadFacts;
use registry::visibility::Visibility;
use registry::{Reader, Submitter};

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
    /// ITI-43 for `reader` (the facility from the client certificate). A
    /// document its consent decisions deny is answered exactly as an
    /// unknown one. The audit records are written before any document is
    /// handed out; if they cannot be, nothing is.
    pub async fn retrieve(&self, request: RetrieveDocumentSetRequest, reader: Reader) -> Retrieval {
        let requester = reader.submitter.clone();
        if let Some(reason) = reader.emergency_reason.clone()
            && let Err(e) = self.emergency_from_header(&request, &reader, &reason).await
        {
            let refused = Retrieval {
                status: ResponseStatus::Failure,
                errors: vec![RegistryError::error(
                    Code::RepositoryError,
                    e.public_message(),
                )],
                documents: Vec::new(),
            };
            let event = audit::AuditEvent::new(
                audit::Transaction::Iti43,
                registry::auditing::requestor(&requester),
            );
            let event = registry::auditing::with_outcome(event, refused.status, &refused.errors);
            if let Err(err) = audit::record(
                self.registry.store(),
                self.registry.audit_source(),
                vec![event],
            )
            .await
            {
                tracing::error!(error = %err, "could not audit a refused retrieval");
            }
            return refused;
        }
        let retrieval = self.retrieve_unaudited(request.clone(), reader).await;
        let mut events = retrieval_events(&retrieval, &request, &requester);
        events.extend(retrieval.consent.events(&requester, "ITI-43"));
        match audit::record(self.registry.store(), self.registry.audit_source(), events).await {
            Ok(()) => retrieval.retrieval,
            Err(e) => {
                tracing::error!(error = %e, "could not record the retrieval's audit; documents withheld");
                Retrieval {
                    status: ResponseStatus::Failure,
                    errors: vec![RegistryError::error(
                        Code::RepositoryError,
                        "the repository could not record the retrieval in its audit trail; try again later",
                    )],
                    documents: Vec::new(),
                }
            }
        }
    }

    /// The `renkei:EmergencyAccess` header on ITI-43: opens emergency
    /// access to the patients of the requested documents of this repository.
    async fn emergency_from_header(
        &self,
        request: &RetrieveDocumentSetRequest,
        reader: &Reader,
        reason: &str,
    ) -> Result<(), registry::consents::ConsentError> {
        self.registry
            .check_emergency_request(reader, reason, None)
            .await?;
        let repo_id = self.config.repository_unique_id.clone();
        let uids: Vec<String> = request
            .requests
            .iter()
            .filter(|r| r.repository_unique_id == repo_id)
            .map(|r| r.document_unique_id.clone())
            .collect();
        let mut patients: Vec<String> = self
            .registry
            .store()
            .read(move |conn| store::documents_by_unique_ids(conn, &repo_id, &uids))
            .await?
            .into_iter()
            .map(|d| d.patient_id)
            .collect();
        patients.sort();
        patients.dedup();
        for p in patients {
            self.registry
                .emergency_from_header(Some(&p), reader, reason)
                .await?;
        }
        Ok(())
    }

    async fn retrieve_unaudited(
        &self,
        request: RetrieveDocumentSetRequest,
        reader: Reader,
    ) -> Found {
        let repo_id = self.config.repository_unique_id.clone();
        let requests = request.requests;
        let count = requests.len();
        let policy = self.registry.consent_policy().clone();
        let requester = reader.requester();
        let result = self
            .registry
            .store()
            .read(move |conn| {
                let mut visibility = Visibility::new(&policy, requester, chrono::Utc::now());
                let permitted = permitted_unique_ids(conn, &requests, &repo_id, &mut visibility)?;
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
                    // Denied: the same error as for a document never stored.
                    let row = store::document_by_unique_id(conn, &repo_id, &r.document_unique_id)?
                        .filter(|_| permitted.contains(&r.document_unique_id));
                    match row {
                        Some(row) => found.push((row.patient_id.clone(), RetrievedDocument {
                            home_community_id: r.home_community_id,
                            repository_unique_id: r.repository_unique_id,
                            document_unique_id: r.document_unique_id,
                            mime_type: row.mime_type,
                            blob_key: row.blob_key,
                            size: u64::try_from(row.size).unwrap_or(0),
                        })),
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
                Ok::<_, store::StoreError>((found, errors, ReadFacts::of(&visibility)))
            })
            .await;
        match result {
            Ok((found, errors, consent)) => {
                let status = if errors.is_empty() {
                    ResponseStatus::Success
                } else if found.is_empty() || count == 0 {
                    ResponseStatus::Failure
                } else {
                    ResponseStatus::PartialSuccess
                };
                let (patients, documents) = found.into_iter().unzip();
                Found {
                    patients,
                    retrieval: Retrieval {
                        status,
                        errors,
                        documents,
                    },
                    consent,
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "repository storage failure");
                Found {
                    patients: Vec::new(),
                    retrieval: Retrieval {
                        status: ResponseStatus::Failure,
                        errors: vec![RegistryError::error(
                            Code::RepositoryError,
                            "the repository could not read its store; try again later",
                        )],
                        documents: Vec::new(),
                    },
                    consent: ReadFacts::default(),
                }
            }
        }
    }
}

/// The requested document uniqueIds of this repository whose
/// DocumentEntries the requester may see (one batched lookup, one decision
/// per entry). A document with no entry is not permitted.
fn permitted_unique_ids(
    conn: &mut store::AnyConnection,
    requests: &[ebrim::DocumentRequest],
    repo_id: &str,
    visibility: &mut Visibility<'_>,
) -> Result<std::collections::HashSet<String>, store::StoreError> {
    let uids: Vec<String> = requests
        .iter()
        .filter(|r| r.repository_unique_id == repo_id)
        .map(|r| r.document_unique_id.clone())
        .collect();
    let entries = store::objects_by_unique_ids(conn, Some(store::KIND_DOCUMENT_ENTRY), &uids)?;
    Ok(visibility
        .retain(conn, entries)?
        .into_iter()
        .map(|e| e.unique_id)
        .collect())
}

/// A retrieval, the patient of each document it found, and its consent facts.
struct Found {
    patients: Vec<String>,
    retrieval: Retrieval,
    consent: ReadFacts,
}

/// One successful record per patient whose documents are handed out (IHE:
/// one audit message per patient), plus one failure record naming the
/// requested documents that were not.
fn retrieval_events(
    found: &Found,
    request: &RetrieveDocumentSetRequest,
    requester: &Submitter,
) -> Vec<audit::AuditEvent> {
    let r = &found.retrieval;
    let mut by_patient: Vec<(&str, Vec<audit::DocumentRef>)> = Vec::new();
    for (patient, d) in found.patients.iter().zip(&r.documents) {
        let doc = audit::DocumentRef {
            unique_id: d.document_unique_id.clone(),
            repository_unique_id: Some(d.repository_unique_id.clone()),
            home_community_id: d.home_community_id.clone(),
        };
        match by_patient.iter_mut().find(|(p, _)| p == patient) {
            Some((_, docs)) => docs.push(doc),
            None => by_patient.push((patient, vec![doc])),
        }
    }
    let requestor = registry::auditing::requestor(requester);
    let mut events: Vec<audit::AuditEvent> = by_patient
        .into_iter()
        .map(|(patient, docs)| {
            audit::AuditEvent::new(audit::Transaction::Iti43, requestor.clone())
                .with_patient(Some(patient.to_string()))
                .with_documents(docs)
        })
        .collect();
    if r.status != ResponseStatus::Success {
        let delivered: Vec<&str> = r
            .documents
            .iter()
            .map(|d| d.document_unique_id.as_str())
            .collect();
        let missing: Vec<audit::DocumentRef> = request
            .requests
            .iter()
            .filter(|q| !delivered.contains(&q.document_unique_id.as_str()))
            .map(|q| audit::DocumentRef {
                unique_id: q.document_unique_id.clone(),
                repository_unique_id: Some(q.repository_unique_id.clone()),
                home_community_id: q.home_community_id.clone(),
            })
            .collect();
        let event =
            audit::AuditEvent::new(audit::Transaction::Iti43, requestor).with_documents(missing);
        events.push(registry::auditing::with_outcome(event, r.status, &r.errors));
    }
    events
}
