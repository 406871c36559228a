//! ITI-18 Registry Stored Query: decode the parameters (ebrim::query), run the
//! query against indexed columns (store), and assemble LeafClass or ObjectRef
//! results with the spec's error cases (XDSTooManyResults,
//! XDSResultNotSinglePatient).

use crate::filters::{self, MemberFilter};
use crate::merges;
use crate::output::{association_of, object_of};
use crate::visibility::Visibility;
use crate::{Reader, Registry, RegistryConfig, Submitter};
use ebrim::query::{ByIds, EntryOrUnique, StoredQuery};
use ebrim::vocab::*;
use ebrim::write::QueryResult;
use ebrim::{
    AdhocQueryRequest, RegistryError, RegistryObject, ResponseStatus, ReturnType,
    XdsErrorCode as Code,
};
use std::collections::{BTreeSet, HashSet};
use store::{AnyConnection, AssociationRow, RegistryObjectRow, StoreError};

/// The result of a stored query, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryResultOwned {
    LeafClass(Vec<RegistryObject>),
    ObjectRefs(Vec<String>),
}

impl QueryResultOwned {
    pub fn as_query_result(&self) -> QueryResult<'_> {
        match self {
            QueryResultOwned::LeafClass(o) => QueryResult::LeafClass(o),
            QueryResultOwned::ObjectRefs(r) => QueryResult::ObjectRefs(r),
        }
    }
    pub fn len(&self) -> usize {
        match self {
            QueryResultOwned::LeafClass(o) => o.len(),
            QueryResultOwned::ObjectRefs(r) => r.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueryAnswer {
    pub status: ResponseStatus,
    pub errors: Vec<RegistryError>,
    pub result: QueryResultOwned,
}

impl QueryAnswer {
    fn failure(errors: Vec<RegistryError>) -> Self {
        Self {
            status: ResponseStatus::Failure,
            errors,
            result: QueryResultOwned::ObjectRefs(Vec::new()),
        }
    }
}

/// Objects and associations a query matched, in result order.
#[derive(Default)]
struct Found {
    objects: Vec<RegistryObjectRow>,
    associations: Vec<AssociationRow>,
}

impl Found {
    fn len(&self) -> usize {
        self.objects.len() + self.associations.len()
    }
    fn push_objects(&mut self, rows: Vec<RegistryObjectRow>) {
        let seen: HashSet<String> = self.objects.iter().map(|o| o.id.clone()).collect();
        self.objects
            .extend(rows.into_iter().filter(|r| !seen.contains(&r.id)));
    }
    fn push_associations(&mut self, rows: Vec<AssociationRow>) {
        let mut seen: HashSet<String> = self.associations.iter().map(|o| o.id.clone()).collect();
        for r in rows {
            if seen.insert(r.id.clone()) {
                self.associations.push(r);
            }
        }
    }
}

impl Registry {
    /// ITI-18 for `reader` (the facility from the client certificate): only
    /// what its consent decisions permit is returned, and a denied object
    /// answers as one that does not exist.
    pub async fn stored_query(&self, request: AdhocQueryRequest, reader: Reader) -> QueryAnswer {
        let requester = reader.submitter.clone();
        let audit_query = audit::QueryRef {
            query_id: request.query_id.clone(),
            request: ebrim::write::adhoc_query_request(&request).into_bytes(),
            home_community_id: request.home.clone(),
        };
        let query = match ebrim::query::parse_stored_query(&request) {
            Ok(q) => q,
            Err(e) => {
                let answer = QueryAnswer::failure(vec![e]);
                return self.audited(answer, &requester, None, audit_query).await;
            }
        };
        let patient = query.patient_id().map(|p| p.as_str().to_string());
        if let Some(reason) = &reader.emergency_reason
            && let Err(e) = self
                .emergency_from_header(patient.as_deref(), &reader, reason)
                .await
        {
            let answer = QueryAnswer::failure(vec![RegistryError::error(
                Code::RegistryError,
                e.public_message(),
            )]);
            return self.audited(answer, &requester, patient, audit_query).await;
        }
        let return_type = request.return_type;
        let config = self.config().clone();
        let policy = std::sync::Arc::clone(&self.consent);
        let consent_requester = reader.requester();
        let result = self
            .store()
            .read(move |conn| {
                let mut visibility =
                    Visibility::new(&policy, consent_requester, chrono::Utc::now());
                let answer = execute(conn, &query, return_type, &config, &mut visibility)?;
                Ok::<_, StoreError>((answer, crate::consents::ReadFacts::of(&visibility)))
            })
            .await;
        let (answer, facts) = match result {
            Ok(done) => done,
            Err(e) => {
                tracing::error!(error = %e, "stored query failed");
                let answer = QueryAnswer::failure(vec![RegistryError::error(
                    Code::RegistryError,
                    "the registry could not run the query; try again later",
                )]);
                (answer, crate::consents::ReadFacts::default())
            }
        };
        self.audited_read(answer, &requester, patient, audit_query, facts)
            .await
    }

    /// Records the query's audit (in a small write transaction of its own:
    /// the query ran read-only) before any result leaves the registry; if the
    /// record cannot be written, no result is returned.
    async fn audited(
        &self,
        answer: QueryAnswer,
        requester: &Submitter,
        patient: Option<String>,
        query: audit::QueryRef,
    ) -> QueryAnswer {
        self.audited_read(
            answer,
            requester,
            patient,
            query,
            crate::consents::ReadFacts::default(),
        )
        .await
    }

    /// [`Self::audited`] plus the consent facts of the read: the access
    /// basis, each emergency access used, and what was withheld
    /// (AccessDenied, never shown to the requester).
    async fn audited_read(
        &self,
        answer: QueryAnswer,
        requester: &Submitter,
        patient: Option<String>,
        query: audit::QueryRef,
        facts: crate::consents::ReadFacts,
    ) -> QueryAnswer {
        let (patient, documents) = returned(&answer, patient);
        let event = audit::AuditEvent::new(
            audit::Transaction::Iti18,
            crate::auditing::requestor(requester),
        )
        .with_patient(patient)
        .with_documents(documents)
        .with_query(query)
        .with_access_basis(facts.basis.clone());
        let event = crate::auditing::with_outcome(event, answer.status, &answer.errors);
        let mut events = vec![event];
        events.extend(facts.events(requester, "ITI-18"));
        match audit::record(self.store(), self.audit_source(), events).await {
            Ok(()) => answer,
            Err(e) => {
                tracing::error!(error = %e, "could not record the query's audit; result withheld");
                QueryAnswer::failure(vec![RegistryError::error(
                    Code::RegistryError,
                    "the registry could not record the query in its audit trail; try again later",
                )])
            }
        }
    }
}

/// The patient a result is about (the query's, else the one its entries
/// name) and the DocumentEntry uniqueIds it returns.
fn returned(
    answer: &QueryAnswer,
    patient: Option<String>,
) -> (Option<String>, Vec<audit::DocumentRef>) {
    let QueryResultOwned::LeafClass(objects) = &answer.result else {
        return (patient, Vec::new());
    };
    let mut patient = patient;
    let mut documents = Vec::new();
    for o in objects {
        if let RegistryObject::ExtrinsicObject(e) = o {
            if patient.is_none() {
                patient = e.core.external_id(DE_PATIENT_ID).map(str::to_string);
            }
            if let Some(uid) = e.core.external_id(DE_UNIQUE_ID) {
                let mut doc = audit::DocumentRef::new(uid);
                doc.repository_unique_id =
                    e.core.slot_value("repositoryUniqueId").map(str::to_string);
                documents.push(doc);
            }
        }
    }
    (patient, documents)
}

fn execute(
    conn: &mut AnyConnection,
    query: &StoredQuery,
    return_type: ReturnType,
    config: &RegistryConfig,
    visibility: &mut Visibility<'_>,
) -> Result<QueryAnswer, StoreError> {
    // Ask for one more than allowed so "too many" is detectable without counting.
    let limit = i64::try_from(config.max_query_results).unwrap_or(i64::MAX - 1) + 1;
    // PIX merges are resolved first (rows relabelled with the surviving id),
    // so consent is decided on the surviving patient.
    let (mut found, mut relabelled) = run_merged(conn, query, limit, visibility)?;
    let matched = found.len();
    visible_only(conn, &mut found, visibility)?;
    // Too many and single-patient are judged on what the requester may see,
    // so neither reveals denied documents. If the capped match held denied
    // objects, the visible ones may be more than it showed: run uncapped.
    if matched > config.max_query_results && found.len() <= config.max_query_results {
        (found, relabelled) = run_merged(conn, query, i64::MAX, visibility)?;
        visible_only(conn, &mut found, visibility)?;
    }
    if found.len() > config.max_query_results {
        return Ok(QueryAnswer::failure(vec![RegistryError::error(
            Code::TooManyResults,
            format!(
                "the query matches more than {} objects; narrow it (e.g. by classCode, time range) or page with ObjectRef + GetDocuments",
                config.max_query_results
            ),
        )]));
    }
    if return_type == ReturnType::LeafClass {
        let patients: BTreeSet<&str> = found
            .objects
            .iter()
            .map(|o| o.patient_id.as_str())
            .chain(found.associations.iter().map(|a| a.patient_id.as_str()))
            .collect();
        if patients.len() > 1 {
            return Ok(QueryAnswer::failure(vec![RegistryError::error(
                Code::ResultNotSinglePatient,
                format!(
                    "the LeafClass result would contain metadata of {} patients; query each patient separately",
                    patients.len()
                ),
            )]));
        }
    }
    let result = match return_type {
        ReturnType::ObjectRef => QueryResultOwned::ObjectRefs(
            found
                .objects
                .iter()
                .map(|o| o.id.clone())
                .chain(found.associations.iter().map(|a| a.id.clone()))
                .collect(),
        ),
        ReturnType::LeafClass => {
            let mut out = Vec::with_capacity(found.len());
            for o in &found.objects {
                let mut object = object_of(o, config)?;
                if relabelled.contains(&o.id) {
                    merges::relabel(&mut object, &o.patient_id);
                }
                out.push(object);
            }
            for a in &found.associations {
                out.push(association_of(a, config)?);
            }
            QueryResultOwned::LeafClass(out)
        }
    };
    Ok(QueryAnswer {
        status: ResponseStatus::Success,
        errors: Vec::new(),
        result,
    })
}

/// Drops what the requester may not see, and every association with a
/// dropped end (so no ObjectRef, association or membership reveals it).
fn visible_only(
    conn: &mut AnyConnection,
    found: &mut Found,
    visibility: &mut Visibility<'_>,
) -> Result<(), StoreError> {
    let objects = std::mem::take(&mut found.objects);
    found.objects = visibility.retain(conn, objects)?;
    let associations = std::mem::take(&mut found.associations);
    found.associations = visibility.retain_associations(conn, associations)?;
    Ok(())
}

/// Runs `query`; a patient-anchored query on a surviving id also searches
/// every id merged into it (PIX), and a subsumed id finds nothing. Returns
/// the rows, relabelled with surviving ids, and the relabelled object ids.
fn run_merged(
    conn: &mut AnyConnection,
    query: &StoredQuery,
    limit: i64,
    visibility: &mut Visibility<'_>,
) -> Result<(Found, HashSet<String>), StoreError> {
    let mut found = match query.patient_id() {
        Some(pid) => {
            let mut found = Found::default();
            for id in merges::ids_to_search(conn, pid.as_str())? {
                let Some(q) = merges::for_patient(query, &id) else {
                    continue;
                };
                let part = run(conn, &q, limit, visibility)?;
                found.push_objects(part.objects);
                found.push_associations(part.associations);
            }
            found
        }
        None => run(conn, query, limit, visibility)?,
    };
    let relabelled = show_surviving_ids(conn, &mut found)?;
    Ok((found, relabelled))
}

/// Gives rows registered under a merged-away patient id the surviving id;
/// returns the ids of the objects whose stored patientId must be relabelled.
fn show_surviving_ids(
    conn: &mut AnyConnection,
    found: &mut Found,
) -> Result<HashSet<String>, StoreError> {
    let patients = found
        .objects
        .iter()
        .map(|o| o.patient_id.clone())
        .chain(found.associations.iter().map(|a| a.patient_id.clone()))
        .collect::<BTreeSet<String>>();
    let survivors = merges::survivors(conn, patients.iter().map(String::as_str))?;
    let mut relabelled = HashSet::new();
    if survivors.is_empty() {
        return Ok(relabelled);
    }
    for o in &mut found.objects {
        if let Some(s) = survivors.get(&o.patient_id) {
            o.patient_id = s.clone();
            relabelled.insert(o.id.clone());
        }
    }
    for a in &mut found.associations {
        if let Some(s) = survivors.get(&a.patient_id) {
            a.patient_id = s.clone();
        }
    }
    Ok(relabelled)
}

fn kinds(rows: Vec<RegistryObjectRow>, kind: &str) -> Vec<RegistryObjectRow> {
    rows.into_iter().filter(|r| r.kind == kind).collect()
}

/// Entries addressed by entryUUID or uniqueId.
fn by_ids(
    conn: &mut AnyConnection,
    ids: &ByIds,
    kind: &str,
    visibility: &mut Visibility<'_>,
) -> Result<Vec<RegistryObjectRow>, StoreError> {
    let rows = match ids {
        ByIds::EntryUuids(u) => store::objects_by_ids(conn, &strings(u))?,
        ByIds::UniqueIds(u) => store::objects_by_unique_ids(conn, Some(kind), u)?,
        ByIds::LogicalIds(u) => {
            let mut out = Vec::new();
            for lid in u {
                out.extend(store::objects_by_lid(conn, lid.as_str())?);
            }
            out
        }
    };
    visibility.retain(conn, kinds(rows, kind))
}

/// One entry addressed by entryUUID or uniqueId (none if the requester may
/// not see it: a query anchored on a denied object finds nothing).
fn one(
    conn: &mut AnyConnection,
    id: &EntryOrUnique,
    kind: &str,
    visibility: &mut Visibility<'_>,
) -> Result<Vec<RegistryObjectRow>, StoreError> {
    let rows = match id {
        EntryOrUnique::EntryUuid(u) => store::objects_by_ids(conn, &[u.to_string()])?,
        EntryOrUnique::UniqueId(u) => {
            store::objects_by_unique_ids(conn, Some(kind), std::slice::from_ref(u))?
        }
    };
    visibility.retain(conn, kinds(rows, kind))
}

fn strings<T: ToString>(v: &[T]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

fn run(
    conn: &mut AnyConnection,
    query: &StoredQuery,
    limit: i64,
    visibility: &mut Visibility<'_>,
) -> Result<Found, StoreError> {
    let mut found = Found::default();
    match query {
        StoredQuery::FindDocuments(p) => {
            found.objects = store::find_documents(conn, &filters::find_documents(p, &[]), limit)?;
        }
        StoredQuery::FindDocumentsByReferenceId(p) => {
            found.objects = store::find_documents(
                conn,
                &filters::find_documents(&p.find, &p.reference_ids),
                limit,
            )?;
        }
        StoredQuery::FindSubmissionSets(p) => {
            found.objects =
                store::find_submission_sets(conn, &filters::find_submission_sets(p), limit)?;
        }
        StoredQuery::FindFolders(p) => {
            found.objects = store::find_folders(conn, &filters::find_folders(p), limit)?;
        }
        StoredQuery::GetAll(p) => {
            let pid = p.patient_id.to_string();
            let docs = store::find_documents(conn, &filters::get_all_documents(p), limit)?;
            let sets = store::objects_for_patient(
                conn,
                &pid,
                store::KIND_SUBMISSION_SET,
                &filters::statuses(&p.submission_set_statuses),
                limit,
            )?;
            let folders = store::objects_for_patient(
                conn,
                &pid,
                store::KIND_FOLDER,
                &filters::statuses(&p.folder_statuses),
                limit,
            )?;
            found.push_objects(sets);
            found.push_objects(docs);
            found.push_objects(folders);
            let ids: Vec<String> = found.objects.iter().map(|o| o.id.clone()).collect();
            let assocs = store::associations_touching(conn, &ids, None)?;
            found.push_associations(assocs);
        }
        StoredQuery::GetDocuments(ids) => {
            found.objects = by_ids(conn, ids, store::KIND_DOCUMENT_ENTRY, visibility)?;
        }
        StoredQuery::GetFolders(ids) => {
            found.objects = by_ids(conn, ids, store::KIND_FOLDER, visibility)?;
        }
        StoredQuery::GetAssociations { uuids } => {
            let uuids = visibility.visible_ids(conn, &strings(uuids))?;
            found.associations = store::associations_touching(conn, &uuids, None)?;
        }
        StoredQuery::GetDocumentsAndAssociations(ids) => {
            let docs = by_ids(conn, ids, store::KIND_DOCUMENT_ENTRY, visibility)?;
            let doc_ids: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
            found.objects = docs;
            found.associations = store::associations_touching(conn, &doc_ids, None)?;
        }
        StoredQuery::GetSubmissionSets { uuids } => {
            // A denied member is not a member anyone can ask about.
            let uuids = visibility.visible_ids(conn, &strings(uuids))?;
            let members =
                store::associations_by_target(conn, &uuids, Some(&[ASSOC_HAS_MEMBER.to_string()]))?;
            let source_ids: Vec<String> = members.iter().map(|a| a.source_id.clone()).collect();
            let sets = kinds(
                store::objects_by_ids(conn, &source_ids)?,
                store::KIND_SUBMISSION_SET,
            );
            let set_ids: HashSet<&str> = sets.iter().map(|s| s.id.as_str()).collect();
            let links: Vec<AssociationRow> = members
                .into_iter()
                .filter(|a| set_ids.contains(a.source_id.as_str()))
                .collect();
            found.objects = sets;
            found.push_associations(links);
        }
        StoredQuery::GetSubmissionSetAndContents {
            id,
            format_codes,
            confidentiality_codes,
            document_entry_types,
        } => {
            let filter =
                MemberFilter::new(format_codes, confidentiality_codes, document_entry_types);
            let sets = one(conn, id, store::KIND_SUBMISSION_SET, visibility)?;
            if let Some(ss) = sets.into_iter().next() {
                let ss_id = ss.id.clone();
                found.objects.push(ss);
                let members = store::associations_by_source(
                    conn,
                    std::slice::from_ref(&ss_id),
                    Some(&[ASSOC_HAS_MEMBER.to_string()]),
                )?;
                let target_ids: Vec<String> = members.iter().map(|a| a.target_id.clone()).collect();
                let targets = store::objects_by_ids(conn, &target_ids)?;
                let (docs, folders): (Vec<RegistryObjectRow>, Vec<RegistryObjectRow>) = targets
                    .into_iter()
                    .filter(|t| t.kind != store::KIND_SUBMISSION_SET)
                    .partition(|t| t.kind == store::KIND_DOCUMENT_ENTRY);
                let docs = filter.retain(conn, docs)?;
                let docs = visibility.retain(conn, docs)?;
                let folders = visibility.retain(conn, folders)?;
                let doc_ids: HashSet<String> = docs.iter().map(|d| d.id.clone()).collect();
                let folder_ids: HashSet<String> = folders.iter().map(|f| f.id.clone()).collect();
                // Associations are returned only when both ends are returned.
                let mut assocs: Vec<AssociationRow> = Vec::new();
                let fd_ids: Vec<String> = folder_ids.iter().cloned().collect();
                let fd_members = store::associations_by_source(
                    conn,
                    &fd_ids,
                    Some(&[ASSOC_HAS_MEMBER.to_string()]),
                )?;
                let fd_de: Vec<AssociationRow> = fd_members
                    .into_iter()
                    .filter(|a| doc_ids.contains(&a.target_id))
                    .collect();
                let fd_de_ids: HashSet<String> = fd_de.iter().map(|a| a.id.clone()).collect();
                for m in members {
                    if doc_ids.contains(&m.target_id)
                        || folder_ids.contains(&m.target_id)
                        || fd_de_ids.contains(&m.target_id)
                    {
                        assocs.push(m);
                    }
                }
                assocs.extend(fd_de);
                let doc_list: Vec<String> = doc_ids.iter().cloned().collect();
                let related = store::associations_touching(conn, &doc_list, None)?;
                assocs.extend(related.into_iter().filter(|a| {
                    a.association_type != ASSOC_HAS_MEMBER
                        && doc_ids.contains(&a.source_id)
                        && doc_ids.contains(&a.target_id)
                }));
                found.push_objects(docs);
                found.push_objects(folders);
                found.push_associations(assocs);
            }
        }
        StoredQuery::GetFolderAndContents {
            id,
            format_codes,
            confidentiality_codes,
            document_entry_types,
        } => {
            let filter =
                MemberFilter::new(format_codes, confidentiality_codes, document_entry_types);
            let folders = one(conn, id, store::KIND_FOLDER, visibility)?;
            if let Some(fd) = folders.into_iter().next() {
                let fd_id = fd.id.clone();
                found.objects.push(fd);
                let members = store::associations_by_source(
                    conn,
                    std::slice::from_ref(&fd_id),
                    Some(&[ASSOC_HAS_MEMBER.to_string()]),
                )?;
                let target_ids: Vec<String> = members.iter().map(|a| a.target_id.clone()).collect();
                let members_found = kinds(
                    store::objects_by_ids(conn, &target_ids)?,
                    store::KIND_DOCUMENT_ENTRY,
                );
                let docs = filter.retain(conn, members_found)?;
                let docs = visibility.retain(conn, docs)?;
                let doc_ids: HashSet<String> = docs.iter().map(|d| d.id.clone()).collect();
                found.push_objects(docs);
                found.push_associations(
                    members
                        .into_iter()
                        .filter(|a| doc_ids.contains(&a.target_id))
                        .collect(),
                );
            }
        }
        StoredQuery::GetFoldersForDocument { id } => {
            let docs = one(conn, id, store::KIND_DOCUMENT_ENTRY, visibility)?;
            let doc_ids: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
            let members = store::associations_by_target(
                conn,
                &doc_ids,
                Some(&[ASSOC_HAS_MEMBER.to_string()]),
            )?;
            let source_ids: Vec<String> = members.iter().map(|a| a.source_id.clone()).collect();
            found.objects = kinds(
                store::objects_by_ids(conn, &source_ids)?,
                store::KIND_FOLDER,
            );
        }
        StoredQuery::GetRelatedDocuments {
            id,
            association_types,
            document_entry_types,
        } => {
            let filter = MemberFilter::new(&[], &[], document_entry_types);
            let docs = one(conn, id, store::KIND_DOCUMENT_ENTRY, visibility)?;
            if let Some(doc) = docs.into_iter().next() {
                let assocs = store::associations_touching(
                    conn,
                    std::slice::from_ref(&doc.id),
                    Some(association_types),
                )?;
                let others: Vec<String> = assocs
                    .iter()
                    .map(|a| {
                        if a.source_id == doc.id {
                            a.target_id.clone()
                        } else {
                            a.source_id.clone()
                        }
                    })
                    .collect();
                let candidates = kinds(
                    store::objects_by_ids(conn, &others)?,
                    store::KIND_DOCUMENT_ENTRY,
                );
                let related = filter.retain(conn, candidates)?;
                let related = visibility.retain(conn, related)?;
                let related_ids: HashSet<&str> = related.iter().map(|r| r.id.as_str()).collect();
                let assocs: Vec<AssociationRow> = assocs
                    .into_iter()
                    .filter(|a| {
                        related_ids.contains(a.source_id.as_str())
                            || related_ids.contains(a.target_id.as_str())
                    })
                    .collect();
                if !assocs.is_empty() {
                    found.objects.push(doc);
                    found.push_objects(related);
                    found.push_associations(assocs);
                }
            }
        }
    }
    Ok(found)
}
