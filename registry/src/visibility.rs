//! Consent enforcement for one read request: which registry objects the
//! requesting facility may see. Each patient's consent state and each
//! object's decision are loaded once per request (batched, from indexed
//! columns), never per document. Denied objects are dropped as if they did
//! not exist; what was withheld and what the reads relied on are kept for the
//! audit record, never for the response.

use chrono::{DateTime, Utc};
use consent::{
    AccessBasis, ConsentDecision, ConsentPolicy, ConsentState, DenyReason, DocumentFacts,
    EmergencyAccess, Grant, Requester, Scope,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use store::{AnyConnection, AssociationRow, RegistryObjectRow, StoreError};

/// The consent decisions of one request.
pub struct Visibility<'p> {
    policy: &'p ConsentPolicy,
    requester: Requester,
    now: DateTime<Utc>,
    states: HashMap<String, ConsentState>,
    decided: HashMap<String, bool>,
    /// (patient, uniqueId, why) of each DocumentEntry withheld.
    pub withheld: Vec<(String, String, DenyReason)>,
    /// (patient, basis) of the objects shown -> DocumentEntry uniqueIds.
    pub bases: BTreeMap<(String, AccessBasis), BTreeSet<String>>,
}

impl<'p> Visibility<'p> {
    pub fn new(policy: &'p ConsentPolicy, requester: Requester, now: DateTime<Utc>) -> Self {
        Self {
            policy,
            requester,
            now,
            states: HashMap::new(),
            decided: HashMap::new(),
            withheld: Vec::new(),
            bases: BTreeMap::new(),
        }
    }

    pub fn requester(&self) -> &Requester {
        &self.requester
    }

    /// Whether this object was already decided visible (`None` = not decided).
    pub fn decision(&self, id: &str) -> Option<bool> {
        self.decided.get(id).copied()
    }

    /// The rows the requester may see, in their order.
    pub fn retain(
        &mut self,
        conn: &mut AnyConnection,
        rows: Vec<RegistryObjectRow>,
    ) -> Result<Vec<RegistryObjectRow>, StoreError> {
        let me = self.requester.facility_oid.clone();
        // Only objects of other authors need consent state and codes.
        let undecided: Vec<&RegistryObjectRow> = rows
            .iter()
            .filter(|r| r.submitter != me && !self.decided.contains_key(&r.id))
            .collect();
        if !undecided.is_empty() {
            let patients: BTreeSet<String> = undecided
                .iter()
                .map(|r| r.patient_id.clone())
                .filter(|p| !self.states.contains_key(p))
                .collect();
            self.load_states(conn, patients.into_iter().collect())?;
            let entries: Vec<&RegistryObjectRow> = undecided
                .iter()
                .copied()
                .filter(|r| r.kind == store::KIND_DOCUMENT_ENTRY)
                .collect();
            let codes = self.marked_codes(conn, &entries)?;
            for r in undecided {
                let confidentiality = codes.get(&r.id).map(Vec::as_slice).unwrap_or(&[]);
                let class_code = if r.kind == store::KIND_DOCUMENT_ENTRY {
                    r.class_code.as_deref()
                } else {
                    None
                };
                let facts = DocumentFacts {
                    author_facility: &r.submitter,
                    confidentiality,
                    class_code,
                };
                let empty = ConsentState::default();
                let state = self.states.get(&r.patient_id).unwrap_or(&empty);
                let decision =
                    consent::decide(self.policy, state, &self.requester, &facts, self.now);
                match decision {
                    ConsentDecision::Permit(basis) => {
                        note(&mut self.bases, r, basis);
                        self.decided.insert(r.id.clone(), true);
                    }
                    ConsentDecision::Deny(reason) => {
                        if r.kind == store::KIND_DOCUMENT_ENTRY {
                            self.withheld
                                .push((r.patient_id.clone(), r.unique_id.clone(), reason));
                        }
                        self.decided.insert(r.id.clone(), false);
                    }
                }
            }
            let containers: Vec<String> = rows
                .iter()
                .filter(|r| r.submitter != me && r.kind != store::KIND_DOCUMENT_ENTRY)
                .filter(|r| self.decided.get(&r.id) == Some(&true))
                .map(|r| r.id.clone())
                .collect();
            self.hide_containers_of_denied_documents(conn, &containers)?;
        }
        Ok(rows
            .into_iter()
            .filter(|r| {
                if r.submitter == me {
                    note(&mut self.bases, r, AccessBasis::Author);
                    self.decided.insert(r.id.clone(), true);
                    true
                } else {
                    self.decided.get(&r.id).copied().unwrap_or(false)
                }
            })
            .collect())
    }

    /// A SubmissionSet or Folder of another author whose documents are all
    /// denied would still tell that something was submitted: it is hidden
    /// too. (Containers without documents stay visible.) One query for the
    /// memberships, one for the members, decided with the cached state.
    fn hide_containers_of_denied_documents(
        &mut self,
        conn: &mut AnyConnection,
        containers: &[String],
    ) -> Result<(), StoreError> {
        if containers.is_empty() {
            return Ok(());
        }
        let members = store::associations_by_source(
            conn,
            containers,
            Some(&[ebrim::vocab::ASSOC_HAS_MEMBER.to_string()]),
        )?;
        let mut target_ids: Vec<String> = members.iter().map(|a| a.target_id.clone()).collect();
        target_ids.sort();
        target_ids.dedup();
        let documents: Vec<RegistryObjectRow> = store::objects_by_ids(conn, &target_ids)?
            .into_iter()
            .filter(|o| o.kind == store::KIND_DOCUMENT_ENTRY)
            .collect();
        let document_ids: HashSet<String> = documents.iter().map(|d| d.id.clone()).collect();
        // Documents only: this does not come back here.
        let _ = self.retain(conn, documents)?;
        for c in containers {
            let mut held = members
                .iter()
                .filter(|a| &a.source_id == c && document_ids.contains(&a.target_id))
                .peekable();
            if held.peek().is_some() && held.all(|a| self.decided.get(&a.target_id) != Some(&true))
            {
                self.decided.insert(c.clone(), false);
            }
        }
        Ok(())
    }

    /// `ids` without the objects the requester may not see (ids that name
    /// no registry object are kept: they match nothing either way).
    pub fn visible_ids(
        &mut self,
        conn: &mut AnyConnection,
        ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let rows = store::objects_by_ids(conn, ids)?;
        let known: HashSet<String> = rows.iter().map(|r| r.id.clone()).collect();
        let visible: HashSet<String> = self.retain(conn, rows)?.into_iter().map(|r| r.id).collect();
        Ok(ids
            .iter()
            .filter(|id| visible.contains(*id) || !known.contains(*id))
            .cloned()
            .collect())
    }

    /// The associations whose both ends the requester may see. Ends that
    /// are not registry objects (association to association) are checked
    /// against the associations dropped here.
    pub fn retain_associations(
        &mut self,
        conn: &mut AnyConnection,
        associations: Vec<AssociationRow>,
    ) -> Result<Vec<AssociationRow>, StoreError> {
        let unknown: BTreeSet<String> = associations
            .iter()
            .flat_map(|a| [a.source_id.clone(), a.target_id.clone()])
            .filter(|id| !self.decided.contains_key(id))
            .collect();
        if !unknown.is_empty() {
            let ids: Vec<String> = unknown.into_iter().collect();
            let rows = store::objects_by_ids(conn, &ids)?;
            let _ = self.retain(conn, rows)?;
        }
        let visible = |id: &str, decided: &HashMap<String, bool>| match decided.get(id) {
            Some(v) => *v,
            None => true,
        };
        let (mut keep, dropped): (Vec<AssociationRow>, Vec<AssociationRow>) =
            associations.into_iter().partition(|a| {
                visible(&a.source_id, &self.decided) && visible(&a.target_id, &self.decided)
            });
        if !dropped.is_empty() {
            let dropped: HashSet<String> = dropped.into_iter().map(|a| a.id).collect();
            keep.retain(|a| !dropped.contains(&a.source_id) && !dropped.contains(&a.target_id));
        }
        Ok(keep)
    }

    /// Loads the consent state of these patients for this requester (one
    /// query for grants, one for emergency accesses).
    fn load_states(
        &mut self,
        conn: &mut AnyConnection,
        patients: Vec<String>,
    ) -> Result<(), StoreError> {
        if patients.is_empty() {
            return Ok(());
        }
        let me = self.requester.facility_oid.clone();
        // After a PIX merge the surviving id's consent decides for the rows
        // registered under the ids merged into it.
        let mut holders: HashMap<String, Vec<String>> = HashMap::new();
        for p in &patients {
            let survivor = store::surviving_patient_id(conn, p)?;
            holders.entry(survivor).or_default().push(p.clone());
        }
        let survivors: Vec<String> = holders.keys().cloned().collect();
        let mut states: HashMap<String, ConsentState> = HashMap::new();
        for g in store::consent_grants_of(conn, &survivors, Some(&me))? {
            states
                .entry(g.patient_id.clone())
                .or_default()
                .grants
                .push(grant_of(&g));
        }
        for e in store::emergency_accesses_of(conn, &survivors, Some(&me))? {
            states
                .entry(e.patient_id.clone())
                .or_default()
                .emergencies
                .push(emergency_of(&e));
        }
        for (survivor, ids) in holders {
            let state = states.remove(&survivor).unwrap_or_default();
            for id in ids {
                self.states.insert(id, state.clone());
            }
        }
        Ok(())
    }

    /// The audit's access basis: what the shown objects relied on.
    pub fn basis_summary(&self) -> Option<String> {
        let kinds: BTreeSet<String> = self.bases.keys().map(|(_, b)| b.describe()).collect();
        (!kinds.is_empty()).then(|| kinds.into_iter().collect::<Vec<_>>().join(" "))
    }

    /// (patient, emergency access id, document uniqueIds) of each
    /// emergency access relied on.
    pub fn emergency_uses(&self) -> Vec<(String, String, Vec<String>)> {
        self.bases
            .iter()
            .filter_map(|((p, b), docs)| match b {
                AccessBasis::Emergency { access_id } => {
                    Some((p.clone(), access_id.clone(), docs.iter().cloned().collect()))
                }
                _ => None,
            })
            .collect()
    }
}

/// Records what a shown object relied on; the documents themselves only for
/// emergency access (its use is reported per document).
fn note(
    bases: &mut BTreeMap<(String, AccessBasis), BTreeSet<String>>,
    row: &RegistryObjectRow,
    basis: AccessBasis,
) {
    let emergency = matches!(basis, AccessBasis::Emergency { .. });
    let key = (row.patient_id.clone(), basis);
    let docs = bases.entry(key).or_default();
    if emergency && row.kind == store::KIND_DOCUMENT_ENTRY {
        docs.insert(row.unique_id.clone());
    }
}

impl Visibility<'_> {
    /// The restricted and secret confidentialityCodes of these entries (the
    /// only codes the decision looks at; other codes are not loaded).
    fn marked_codes(
        &self,
        conn: &mut AnyConnection,
        entries: &[&RegistryObjectRow],
    ) -> Result<HashMap<String, Vec<String>>, StoreError> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        let marked: Vec<String> = self
            .policy
            .restricted_codes
            .iter()
            .chain(&self.policy.secret_codes)
            .cloned()
            .collect();
        if entries.is_empty() || marked.is_empty() {
            return Ok(out);
        }
        let patients = store::patients_of(entries.iter().copied());
        let ids: Vec<String> = entries.iter().map(|r| r.id.clone()).collect();
        for (id, value) in
            store::objects_with_codes(conn, &patients, &ids, store::CODE_CONFIDENTIALITY, &marked)?
        {
            out.entry(id).or_default().push(value);
        }
        Ok(out)
    }
}

fn utc(t: chrono::NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

/// A stored grant as the decision sees it.
pub fn grant_of(g: &store::ConsentGrantRow) -> Grant {
    Grant {
        id: g.id.clone(),
        facility: g.facility_oid.clone(),
        // A scope this version does not know opens no more than normal.
        scope: Scope::parse(&g.scope).unwrap_or(Scope::Normal),
        given_at: utc(g.given_at),
        expires_at: g.expires_at.map(utc),
        withdrawn_at: g.withdrawn_at.map(utc),
    }
}

pub fn emergency_of(e: &store::EmergencyAccessRow) -> EmergencyAccess {
    EmergencyAccess {
        id: e.id.clone(),
        facility: e.facility_oid.clone(),
        opened_at: utc(e.opened_at),
        expires_at: utc(e.expires_at),
    }
}
