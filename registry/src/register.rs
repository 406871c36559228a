//! ITI-42 Register Document Set-b: the checks that need the registry's
//! contents, the status changes a submission implies, and the insert. Runs
//! inside one database transaction (see [`register_in`]): any error rolls
//! everything back, so a submission is registered whole or not at all.

use crate::{Outcome, Registry, Submitter, now_dtm};
use ebrim::vocab::*;
use ebrim::xds::{AssociationEntry, AssociationKind, ValidatedSubmission, ValidationOptions};
use ebrim::{RegistryError, SubmitObjectsRequest, XdsErrorCode as Code};
use std::collections::{HashMap, HashSet};
use store::{AnyConnection, RegistryObjectRow, StoreError};

/// Why a registration did not commit.
#[derive(Debug, thiserror::Error)]
pub enum RegisterFailure {
    /// The submission broke an XDS rule; nothing was stored.
    #[error("submission rejected")]
    Rejected(Vec<RegistryError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Registry {
    /// ITI-42 from a parsed SubmitObjectsRequest.
    pub async fn register_document_set(
        &self,
        request: SubmitObjectsRequest,
        submitter: Submitter,
    ) -> Outcome {
        let event = crate::auditing::SubmissionFacts::of(&request).event(
            audit::Transaction::Iti42,
            &submitter,
            None,
        );
        let validated =
            match ebrim::xds::validate_submission(&request, &ValidationOptions::register()) {
                Ok(v) => v,
                Err(errors) => {
                    let outcome = Outcome::failure(errors);
                    crate::auditing::record_failure(
                        self.store(),
                        self.audit_source(),
                        event,
                        &outcome,
                    )
                    .await;
                    return outcome;
                }
            };
        let source = self.audit_source().clone();
        let success = event.clone().with_patient(Some(
            validated.submission_set.patient_id.as_str().to_string(),
        ));
        let policy = std::sync::Arc::clone(&self.consent);
        // The audit record commits with the registration or not at all.
        let result = self
            .store()
            .write_grouped(move |conn| {
                let mut warnings = register_in(conn, &validated, &submitter)?;
                let consent_events =
                    crate::bppc::apply_in(conn, &validated, &submitter, &policy, &mut warnings)?;
                for e in &consent_events {
                    audit::append(conn, &source, e)?;
                }
                audit::append(conn, &source, &success)?;
                Ok(warnings)
            })
            .await;
        let outcome = outcome_of(result);
        if outcome.status != ebrim::ResponseStatus::Success {
            crate::auditing::record_failure(self.store(), self.audit_source(), event, &outcome)
                .await;
        }
        outcome
    }
}

/// Turns the transaction result into a RegistryResponse outcome; storage
/// failures are reported as XDSRegistryError without internal detail.
pub fn outcome_of(result: Result<Vec<RegistryError>, RegisterFailure>) -> Outcome {
    match result {
        Ok(warnings) => Outcome::success(warnings),
        Err(RegisterFailure::Rejected(errors)) => Outcome::failure(errors),
        Err(RegisterFailure::Store(e)) => {
            tracing::error!(error = %e, "registry storage failure");
            Outcome::failure(vec![RegistryError::error(
                Code::RegistryError,
                "the registry could not store the submission; nothing was registered, try again later",
            )])
        }
    }
}

/// A registry object that a submission references and that already exists.
struct Existing {
    patient_id: String,
    kind: String,
    status: String,
}

/// Registers a validated submission inside the caller's transaction and
/// returns the warnings. The repository calls this in the same transaction
/// that records the document bytes (ITI-41 in-process ITI-42). On `Err` the
/// caller must roll back: an association id already registered is found as
/// the rows are written.
pub fn register_in(
    conn: &mut AnyConnection,
    v: &ValidatedSubmission,
    submitter: &Submitter,
) -> Result<Vec<RegistryError>, RegisterFailure> {
    let now = now_dtm();
    let patient_id = v.submission_set.patient_id.as_str();
    let references: Vec<String> = v.references.iter().map(|r| r.to_string()).collect();
    // A facility submits only as itself (checked before anything is read).
    let impersonation = crate::identity::identity_errors(v, submitter);
    if !impersonation.is_empty() {
        return Err(RegisterFailure::Rejected(impersonation));
    }
    let mut errors = Vec::new();

    // Also serialises concurrent submissions for one patient (row lock on PostgreSQL).
    let Some(patient) = store::lock_patient(conn, patient_id)? else {
        return Err(RegisterFailure::Rejected(vec![RegistryError::error(
            Code::UnknownPatientId,
            format!(
                "patient id {patient_id} is not known to the registry; register it through the patient identity feed first"
            ),
        )]));
    };

    // A PIX merge retired this id: new metadata goes under the surviving id.
    if let Some(survivor) = patient.merged_into {
        return Err(RegisterFailure::Rejected(vec![RegistryError::error(
            Code::UnknownPatientId,
            format!(
                "patient id {patient_id} was merged into {survivor}; submit under the surviving id"
            ),
        )]));
    }

    // One lookup serves both checks (a round trip less on PostgreSQL).
    let (new_ids, unique_ids) = new_ids_and_unique_ids(v);
    let registered = store::objects_by_ids_or_unique_ids(conn, &new_ids, &unique_ids)?;
    check_new_ids_unused(&new_ids, &registered, &mut errors);
    check_unique_ids(v, &registered, &mut errors);

    // Objects outside the submission that associations point at.
    let existing = load_existing(conn, &references)?;
    let in_submission: HashMap<&str, &str> = submission_kinds(v);

    let mut deprecate: Vec<String> = Vec::new();
    let mut folders_touched: HashSet<String> = HashSet::new();
    let mut replaced: Vec<(String, String)> = Vec::new(); // (old DE, new DE)

    for a in &v.associations {
        check_association(
            a,
            patient_id,
            v.submission_set.entry_uuid.as_str(),
            &in_submission,
            &existing,
            &mut errors,
            &mut folders_touched,
        );
        if a.kind.replaces() {
            deprecate.push(a.target.to_string());
            replaced.push((a.target.to_string(), a.source.to_string()));
        }
    }
    if !errors.is_empty() {
        return Err(RegisterFailure::Rejected(errors));
    }

    let taken = insert_submission(conn, v, submitter, &now)?;
    if !taken.is_empty() {
        // Rows are written by now: the caller's rollback undoes them.
        return Err(RegisterFailure::Rejected(
            taken
                .into_iter()
                .map(|id| {
                    RegistryError::error(
                        Code::RegistryMetadataError,
                        format!("association id {id} is already registered"),
                    )
                    .at(id)
                })
                .collect(),
        ));
    }

    // RPLC / XFRM_RPLC: the original and its APND/XFRM children are deprecated,
    // and the replacement joins the original's folders.
    let mut copied = Vec::new();
    for (old, new) in &replaced {
        let children = store::associations_touching(
            conn,
            std::slice::from_ref(old),
            Some(&[ASSOC_APND.to_string(), ASSOC_XFRM.to_string()]),
        )?;
        deprecate.extend(
            children
                .iter()
                .filter(|c| &c.target_id == old)
                .map(|c| c.source_id.clone()),
        );
        let memberships = store::associations_touching(
            conn,
            std::slice::from_ref(old),
            Some(&[ASSOC_HAS_MEMBER.to_string()]),
        )?;
        for m in memberships.iter().filter(|m| &m.target_id == old) {
            let folder = store::objects_by_ids(conn, std::slice::from_ref(&m.source_id))?;
            if folder
                .iter()
                .any(|f| f.kind == store::KIND_FOLDER && f.status == STATUS_APPROVED)
            {
                copied.push((m.source_id.clone(), new.clone()));
                folders_touched.insert(m.source_id.clone());
            }
        }
    }
    if !deprecate.is_empty() {
        store::set_status(conn, &deprecate, STATUS_DEPRECATED)?;
    }
    if !copied.is_empty() {
        crate::register::insert_folder_copies(conn, v, &copied)?;
    }
    let existing_folders: Vec<String> = folders_touched
        .into_iter()
        .filter(|f| !in_submission.contains_key(f.as_str()))
        .collect();
    if !existing_folders.is_empty() {
        store::set_last_update_time(conn, &existing_folders, &now)?;
    }
    Ok(v.warnings.clone())
}

fn submission_kinds(v: &ValidatedSubmission) -> HashMap<&str, &str> {
    let mut m = HashMap::new();
    m.insert(
        v.submission_set.entry_uuid.as_str(),
        store::KIND_SUBMISSION_SET,
    );
    for d in &v.documents {
        m.insert(d.entry_uuid.as_str(), store::KIND_DOCUMENT_ENTRY);
    }
    for f in &v.folders {
        m.insert(f.entry_uuid.as_str(), store::KIND_FOLDER);
    }
    for a in &v.associations {
        m.insert(a.object.core.id.as_str(), KIND_ASSOCIATION);
    }
    m
}

const KIND_ASSOCIATION: &str = "Association";

fn load_existing(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<HashMap<String, Existing>, StoreError> {
    let mut out = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for o in store::objects_by_ids(conn, ids)? {
        out.insert(
            o.id.clone(),
            Existing {
                patient_id: o.patient_id,
                kind: o.kind,
                status: o.status,
            },
        );
    }
    for a in store::associations_by_ids(conn, ids)? {
        out.insert(
            a.id.clone(),
            Existing {
                patient_id: a.patient_id,
                kind: KIND_ASSOCIATION.to_string(),
                status: a.status,
            },
        );
    }
    // After a PIX merge, objects registered under a merged-away id belong
    // to the surviving id (IHE-REFERENCE §4: "merges taken into account").
    let mut survivors: HashMap<String, String> = HashMap::new();
    for e in out.values_mut() {
        if !survivors.contains_key(&e.patient_id) {
            let survivor = store::surviving_patient_id(conn, &e.patient_id)?;
            survivors.insert(e.patient_id.clone(), survivor);
        }
        if let Some(s) = survivors.get(&e.patient_id) {
            e.patient_id = s.clone();
        }
    }
    Ok(out)
}

/// The entryUUIDs of the submission's new objects (not its associations),
/// and the uniqueIds of its SubmissionSet, Folders and DocumentEntries.
fn new_ids_and_unique_ids(v: &ValidatedSubmission) -> (Vec<String>, Vec<String>) {
    let mut ids: Vec<String> = vec![v.submission_set.entry_uuid.to_string()];
    ids.extend(v.documents.iter().map(|d| d.entry_uuid.to_string()));
    ids.extend(v.folders.iter().map(|f| f.entry_uuid.to_string()));
    let mut uids = vec![v.submission_set.unique_id.to_string()];
    uids.extend(v.folders.iter().map(|f| f.unique_id.to_string()));
    uids.extend(v.documents.iter().map(|d| d.unique_id.to_string()));
    (ids, uids)
}

/// entryUUIDs the submitter chose must not name an object already registered
/// (NIST 15806). `registered` holds at least the objects with `new_ids`.
/// Association ids are checked as the associations are inserted
/// ([`insert_submission`]).
fn check_new_ids_unused(
    new_ids: &[String],
    registered: &[RegistryObjectRow],
    errors: &mut Vec<RegistryError>,
) {
    for o in registered.iter().filter(|o| new_ids.contains(&o.id)) {
        errors.push(
            RegistryError::error(
                Code::RegistryMetadataError,
                format!(
                    "entryUUID {} is already registered; a new object needs a new entryUUID",
                    o.id
                ),
            )
            .at(o.id.clone()),
        );
    }
}

/// SubmissionSet and Folder uniqueIds are unique in the registry; a
/// DocumentEntry uniqueId may be registered again only for the same bytes.
/// `registered` holds at least the objects with the submission's uniqueIds.
fn check_unique_ids(
    v: &ValidatedSubmission,
    registered: &[RegistryObjectRow],
    errors: &mut Vec<RegistryError>,
) {
    let mut package_uids = vec![v.submission_set.unique_id.as_str()];
    package_uids.extend(v.folders.iter().map(|f| f.unique_id.as_str()));
    for o in registered
        .iter()
        .filter(|o| package_uids.contains(&o.unique_id.as_str()))
    {
        errors.push(
            RegistryError::error(
                Code::DuplicateUniqueIdInRegistry,
                format!(
                    "uniqueId {} is already used by a registered object",
                    o.unique_id
                ),
            )
            .at(o.id.clone()),
        );
    }
    for d in &v.documents {
        for r in registered
            .iter()
            .filter(|r| r.kind == store::KIND_DOCUMENT_ENTRY && r.unique_id == d.unique_id.as_str())
        {
            if r.hash.as_deref().map(str::to_ascii_lowercase)
                != d.hash.as_deref().map(str::to_ascii_lowercase)
            {
                errors.push(
                    RegistryError::error(
                        Code::NonIdenticalHash,
                        format!(
                            "document uniqueId {} is already registered with a different hash; a changed document needs a new uniqueId",
                            d.unique_id
                        ),
                    )
                    .at(d.entry_uuid.to_string()),
                );
            } else if r.size != d.size.map(|s| s as i64) {
                errors.push(
                    RegistryError::error(
                        Code::NonIdenticalSize,
                        format!(
                            "document uniqueId {} is already registered with a different size",
                            d.unique_id
                        ),
                    )
                    .at(d.entry_uuid.to_string()),
                );
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check_association(
    a: &AssociationEntry,
    patient_id: &str,
    submission_set: &str,
    in_submission: &HashMap<&str, &str>,
    existing: &HashMap<String, Existing>,
    errors: &mut Vec<RegistryError>,
    folders_touched: &mut HashSet<String>,
) {
    let id = a.object.core.id.clone();
    let source = a.source.as_str();
    let target = a.target.as_str();
    let kind_of = |x: &str| -> Option<(&str, Option<&Existing>)> {
        if let Some(k) = in_submission.get(x) {
            return Some((k, None));
        }
        existing.get(x).map(|e| (e.kind.as_str(), Some(e)))
    };
    let same_patient = |e: Option<&Existing>, what: &str, errors: &mut Vec<RegistryError>| {
        if let Some(e) = e
            && e.patient_id != patient_id
        {
            errors.push(
                RegistryError::error(
                    Code::PatientIdDoesNotMatch,
                    format!(
                        "{what} belongs to patient {} but the submission is for {patient_id}",
                        e.patient_id
                    ),
                )
                .at(id.clone()),
            );
        }
    };
    match &a.kind {
        AssociationKind::HasMember { .. } => {
            let Some((source_kind, source_existing)) = kind_of(source) else {
                errors.push(dangling(&id, source));
                return;
            };
            let Some((target_kind, target_existing)) = kind_of(target) else {
                errors.push(dangling(&id, target));
                return;
            };
            same_patient(target_existing, &format!("member {target}"), errors);
            same_patient(source_existing, &format!("folder {source}"), errors);
            if source_kind == store::KIND_FOLDER {
                // FD-DE membership: both ends must be Approved.
                for e in [source_existing, target_existing].into_iter().flatten() {
                    if e.status != STATUS_APPROVED {
                        errors.push(
                            RegistryError::error(
                                Code::RegistryDeprecatedDocumentError,
                                format!("association {id} links a Folder and a DocumentEntry that is not Approved"),
                            )
                            .at(id.clone()),
                        );
                    }
                }
                if target_kind == store::KIND_DOCUMENT_ENTRY {
                    folders_touched.insert(source.to_string());
                }
            } else if source != submission_set && source_kind != store::KIND_SUBMISSION_SET {
                errors.push(
                    RegistryError::error(
                        Code::RegistryMetadataError,
                        format!("HasMember association {id} must start at the SubmissionSet or a Folder"),
                    )
                    .at(id.clone()),
                );
            }
        }
        AssociationKind::Rplc
        | AssociationKind::XfrmRplc
        | AssociationKind::Apnd
        | AssociationKind::Xfrm
        | AssociationKind::Signs
        | AssociationKind::IsSnapshotOf => {
            match kind_of(target) {
                None => errors.push(
                    RegistryError::error(
                        Code::UnresolvedReferenceException,
                        format!(
                            "association {id} targets {target} which is neither in the submission nor in the registry"
                        ),
                    )
                    .at(id.clone()),
                ),
                Some((_, Some(e))) => {
                    same_patient(Some(e), &format!("target document {target}"), errors);
                    let lifecycle = !matches!(a.kind, AssociationKind::Signs);
                    if lifecycle && e.status != STATUS_APPROVED {
                        errors.push(
                            RegistryError::error(
                                Code::RegistryDeprecatedDocumentError,
                                format!(
                                    "association {id} targets DocumentEntry {target} which is not Approved (it was replaced or deprecated)"
                                ),
                            )
                            .at(id.clone()),
                        );
                    }
                }
                Some((_, None)) => {
                    if a.kind.replaces() {
                        errors.push(
                            RegistryError::error(
                                Code::UnresolvedReferenceException,
                                format!("association {id} replaces {target} which must already be registered"),
                            )
                            .at(id.clone()),
                        );
                    }
                }
            }
        }
        // ITI-42 validation refuses Metadata Update associations before we get here.
        AssociationKind::UpdateAvailabilityStatus | AssociationKind::SubmitAssociation => errors.push(
            RegistryError::error(
                Code::RegistryMetadataError,
                format!("association {id} ({}) belongs to Metadata Update (ITI-57), not to this transaction", a.kind.as_urn()),
            )
            .at(id.clone()),
        ),
    }
}

fn dangling(assoc: &str, target: &str) -> RegistryError {
    RegistryError::error(
        Code::RegistryMetadataError,
        format!("association {assoc} references {target}, which is neither in the submission nor in the registry"),
    )
    .at(assoc.to_string())
}

/// Inserts the submission's objects, codes and associations.
/// Writes the submission's rows (one statement on PostgreSQL) and returns
/// the ids of its associations that were already registered, left out.
fn insert_submission(
    conn: &mut AnyConnection,
    v: &ValidatedSubmission,
    submitter: &Submitter,
    now: &str,
) -> Result<Vec<String>, StoreError> {
    let rows = crate::output::rows_of(v, submitter, now)?;
    store::insert_submission_rows(conn, &rows.objects, &rows.codes, &rows.associations)
}

/// The replacement DocumentEntry joins each folder of the original: a new
/// FD-DE HasMember plus the SubmissionSet's HasMember to that association.
fn insert_folder_copies(
    conn: &mut AnyConnection,
    v: &ValidatedSubmission,
    copies: &[(String, String)],
) -> Result<(), StoreError> {
    let ss = v.submission_set.entry_uuid.as_str();
    let patient = v.submission_set.patient_id.as_str();
    let mut rows = Vec::new();
    for (folder, doc) in copies {
        let fd_de = new_uuid();
        rows.push(crate::output::association_row(
            &fd_de,
            ASSOC_HAS_MEMBER,
            folder,
            doc,
            patient,
            ss,
            &[],
        )?);
        rows.push(crate::output::association_row(
            &new_uuid(),
            ASSOC_HAS_MEMBER,
            ss,
            &fd_de,
            patient,
            ss,
            &[],
        )?);
    }
    store::insert_associations(conn, &rows)?;
    Ok(())
}

pub(crate) fn new_uuid() -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v4())
}
