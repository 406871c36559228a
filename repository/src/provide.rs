//! ITI-41 at the repository (ITI TF-2 3.41.4.1.3; IHE-REFERENCE.md §5):
//! match documents to DocumentEntries, check submitted hash/size against the
//! received bytes, set hash/size/repositoryUniqueId, then register in the
//! same transaction as the document rows. Any failure deletes the bytes.

use crate::{Repository, StagedDocument};
use ebrim::xds::ValidationOptions;
use ebrim::{
    DocumentContent, ProvideAndRegisterRequest, RegistryError, RegistryObject, XdsErrorCode as Code,
};
use registry::register::{RegisterFailure, outcome_of};
use registry::{Outcome, Submitter, register_in};
use std::collections::HashMap;

pub type ProvideOutcome = Outcome;

impl Repository {
    /// ITI-41. `attachments` are the MIME parts already streamed into the blob
    /// store, keyed by Content-ID (without angle brackets). Every staged blob
    /// not registered by the time this returns is deleted.
    pub async fn provide_and_register(
        &self,
        request: ProvideAndRegisterRequest,
        attachments: HashMap<String, StagedDocument>,
        submitter: Submitter,
    ) -> Outcome {
        let event = registry::auditing::SubmissionFacts::of(&request.submission).event(
            audit::Transaction::Iti41,
            &submitter,
            Some(&self.config.repository_unique_id),
        );
        let mut all_staged: Vec<StagedDocument> = attachments.values().cloned().collect();
        let outcome = self
            .provide_inner(
                request,
                attachments,
                submitter,
                &mut all_staged,
                event.clone(),
            )
            .await;
        match outcome {
            Ok((outcome, keep)) => {
                let drop: Vec<&StagedDocument> = all_staged
                    .iter()
                    .filter(|d| !keep.contains(&d.blob_key))
                    .collect();
                self.discard(drop).await;
                outcome
            }
            Err(outcome) => {
                self.discard(all_staged.iter()).await;
                // The transaction rolled back (or never ran): audit the failure apart.
                registry::auditing::record_failure(
                    self.registry.store(),
                    self.registry.audit_source(),
                    event,
                    &outcome,
                )
                .await;
                outcome
            }
        }
    }

    /// Returns the outcome and the blob keys now owned by the database.
    async fn provide_inner(
        &self,
        request: ProvideAndRegisterRequest,
        mut attachments: HashMap<String, StagedDocument>,
        submitter: Submitter,
        all_staged: &mut Vec<StagedDocument>,
        event: audit::AuditEvent,
    ) -> Result<(Outcome, Vec<String>), Outcome> {
        let ProvideAndRegisterRequest {
            mut submission,
            documents,
        } = request;
        let mut errors = Vec::new();

        // Document bytes by xds:Document/@id.
        let mut bytes_of: HashMap<String, StagedDocument> = HashMap::new();
        let mut reported_missing: Vec<String> = Vec::new();
        for doc in documents {
            let staged = match doc.content {
                DocumentContent::XopInclude(cid) => match attachments.remove(&cid) {
                    Some(s) => s,
                    None => {
                        errors.push(
                            RegistryError::error(
                                Code::MissingDocument,
                                format!(
                                    "document {} refers to MIME part cid:{cid}, which is not in the request",
                                    doc.id
                                ),
                            )
                            .at(doc.id.clone()),
                        );
                        reported_missing.push(doc.id);
                        continue;
                    }
                },
                DocumentContent::Inline(bytes) => match self.stage_bytes(bytes).await {
                    Ok(s) => {
                        all_staged.push(s.clone());
                        s
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "blob store write failed");
                        return Err(Outcome::failure(vec![RegistryError::error(
                            Code::RepositoryError,
                            "the repository could not store the document; nothing was registered",
                        )]));
                    }
                },
            };
            if bytes_of.insert(doc.id.clone(), staged).is_some() {
                errors.push(
                    RegistryError::error(
                        Code::RepositoryMetadataError,
                        format!("two documents carry the id {}", doc.id),
                    )
                    .at(doc.id),
                );
            }
        }

        // Each DocumentEntry needs its document and each document its entry.
        let mut entry_ids = Vec::new();
        let mut staged_by_unique_id: HashMap<String, StagedDocument> = HashMap::new();
        for obj in submission.objects.iter_mut() {
            let RegistryObject::ExtrinsicObject(eo) = obj else {
                continue;
            };
            let id = eo.core.id.clone();
            entry_ids.push(id.clone());
            let Some(staged) = bytes_of.get(&id) else {
                if reported_missing.contains(&id) {
                    continue;
                }
                errors.push(
                    RegistryError::error(
                        Code::MissingDocument,
                        format!("DocumentEntry {id} has no xds:Document with the same id"),
                    )
                    .at(id),
                );
                continue;
            };
            check_and_set(
                &mut eo.core,
                &id,
                staged,
                &self.config.repository_unique_id,
                &mut errors,
            );
            if let Some(uid) = eo.core.external_id(ebrim::vocab::DE_UNIQUE_ID) {
                staged_by_unique_id.insert(uid.to_string(), staged.clone());
            }
        }
        for id in bytes_of.keys() {
            if !entry_ids.contains(id) {
                errors.push(
                    RegistryError::error(
                        Code::MissingDocumentMetadata,
                        format!("xds:Document {id} has no DocumentEntry (ExtrinsicObject) with the same id"),
                    )
                    .at(id.clone()),
                );
            }
        }
        if !errors.is_empty() {
            return Err(Outcome::failure(errors));
        }

        let validated = ebrim::xds::validate_submission(
            &submission,
            &ValidationOptions::provide_and_register(),
        )
        .map_err(Outcome::failure)?;

        // Document rows, keyed by the registered uniqueId.
        let mut rows = Vec::new();
        let now = chrono::Utc::now().naive_utc();
        for entry in &validated.documents {
            let Some(staged) = staged_by_unique_id.get(entry.unique_id.as_str()) else {
                continue;
            };
            rows.push(store::NewDocument {
                repository_unique_id: self.config.repository_unique_id.clone(),
                unique_id: entry.unique_id.to_string(),
                blob_key: staged.blob_key.clone(),
                hash: staged.sha1_hex.clone(),
                size: staged.size as i64,
                mime_type: entry.mime_type.clone(),
                patient_id: entry.patient_id.to_string(),
                stored_at: now,
            });
        }
        let repo_id = self.config.repository_unique_id.clone();
        let source = self.registry.audit_source().clone();
        let policy = self.registry.consent_policy().clone();
        let event = event.with_patient(Some(
            validated.submission_set.patient_id.as_str().to_string(),
        ));
        let result = self
            .registry
            .store()
            .write_grouped(move |conn| {
                let mut keep = Vec::new();
                let mut errors = Vec::new();
                for row in rows {
                    match store::document_by_unique_id(conn, &repo_id, &row.unique_id)? {
                        Some(existing) if existing.hash != row.hash => errors.push(
                            RegistryError::error(
                                Code::NonIdenticalHash,
                                format!(
                                    "document uniqueId {} is already stored with different content; a changed document needs a new uniqueId",
                                    row.unique_id
                                ),
                            ),
                        ),
                        // The same bytes again: the stored copy serves both entries.
                        Some(_) => {}
                        None => {
                            keep.push(row.blob_key.clone());
                            store::insert_document(conn, &row)?;
                        }
                    }
                }
                if !errors.is_empty() {
                    return Err(RegisterFailure::Rejected(errors));
                }
                let mut warnings = register_in(conn, &validated, &submitter)?;
                // A BPPC consent document takes effect with its registration.
                let consent_events = registry::bppc::apply_in(
                    conn,
                    &validated,
                    &submitter,
                    &policy,
                    &mut warnings,
                )?;
                for e in &consent_events {
                    audit::append(conn, &source, e)?;
                }
                // Last, so the chain head is locked only until the commit.
                audit::append(conn, &source, &event)?;
                Ok((warnings, keep))
            })
            .await;
        match result {
            Ok((warnings, keep)) => Ok((Outcome::success(warnings), keep)),
            Err(e) => Err(outcome_of(Err(e))),
        }
    }
}

/// Compares submitter-supplied hash/size with the received bytes and sets
/// the repository-maintained slots.
fn check_and_set(
    core: &mut ebrim::ObjectCore,
    id: &str,
    staged: &StagedDocument,
    repository_unique_id: &str,
    errors: &mut Vec<RegistryError>,
) {
    if let Some(h) = core.slot_value("hash")
        && !h.eq_ignore_ascii_case(&staged.sha1_hex)
    {
        {
            errors.push(
                RegistryError::error(
                    Code::RepositoryMetadataError,
                    format!(
                        "DocumentEntry {id}: hash {h} in the metadata does not match the SHA-1 of the received document ({})",
                        staged.sha1_hex
                    ),
                )
                .at(id.to_string()),
            );
        }
    }
    if let Some(s) = core.slot_value("size")
        && s.trim().parse::<u64>().ok() != Some(staged.size)
    {
        {
            errors.push(
                RegistryError::error(
                    Code::RepositoryMetadataError,
                    format!(
                        "DocumentEntry {id}: size {s} in the metadata does not match the received document ({} bytes)",
                        staged.size
                    ),
                )
                .at(id.to_string()),
            );
        }
    }
    core.set_slot("hash", vec![staged.sha1_hex.clone()]);
    core.set_slot("size", vec![staged.size.to_string()]);
    core.set_slot("repositoryUniqueId", vec![repository_unique_id.to_string()]);
}
