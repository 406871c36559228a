//! Patient Identity Feed (ITI-8 A01/A04/A05/A08/A40, ITI-44): create, update
//! and merge, each in one transaction with its audit records.

use crate::ids::{Demographics, PatientIdentifier};
use crate::{Caller, Pix, PixConfig, Via};
use audit::{Action, AuditEvent, Transaction};
use std::collections::BTreeSet;
use store::{
    AnyConnection, IDENTIFIER_ACTIVE, IDENTIFIER_MERGED, PatientIdentifierRow, StoreError,
};

/// What the feed asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    /// A01 / A04 / A05, PRPA_IN201301UV02: create, or update demographics of
    /// ids already known (idempotent).
    Create,
    /// A08, PRPA_IN201302UV02: update demographics of known ids; never relinks.
    Update,
}

/// One create/update feed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub kind: FeedKind,
    /// PID-3 (all repetitions), linked together.
    pub identifiers: Vec<PatientIdentifier>,
    pub demographics: Demographics,
    /// MSH-10 / v3 message id, for logs.
    pub message_id: String,
}

/// A40 / PRPA_IN201304UV02: `subsumed` (MRG-1) merged into `surviving` (PID-3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    pub surviving: PatientIdentifier,
    pub subsumed: PatientIdentifier,
    pub demographics: Demographics,
    pub message_id: String,
}

/// The person a feed concerns after it was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedOutcome {
    pub person_key: String,
    /// The person's regional (affinity-domain) id.
    pub regional_id: PatientIdentifier,
    /// Whether the hub created the regional id in this feed.
    pub regional_id_created: bool,
}

/// Why a feed was not applied. Nothing of it was stored.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(
        "facility {facility} may not feed ids of assigning authority {authority}; a facility feeds only its own ids (and existing regional ids to link to)"
    )]
    ForeignAuthority { facility: String, authority: String },
    #[error("the message carries no patient identifier")]
    NoIdentifier,
    #[error("{0} appears twice in one assigning authority")]
    TwoIdsInOneAuthority(String),
    #[error("regional id {0} is not known to the hub")]
    UnknownRegionalId(String),
    #[error("patient id {0} is not known to the hub")]
    UnknownIdentifier(String),
    #[error("patient id {id} was merged into {into}; use the surviving id")]
    Retired { id: String, into: String },
    #[error("{0}")]
    Conflict(String),
    #[error(
        "a merge joins two ids of one assigning authority; {surviving} and {subsumed} are in different ones"
    )]
    MergeAcrossAuthorities { surviving: String, subsumed: String },
    #[error("the PIX Manager could not store the feed; try again later")]
    Store(#[from] StoreError),
}

impl FeedError {
    /// AR (rejected: the sender may not send this) rather than AE.
    pub fn is_rejection(&self) -> bool {
        matches!(self, FeedError::ForeignAuthority { .. })
    }

    /// Which identifier of the message the error concerns, if any.
    pub fn is_internal(&self) -> bool {
        matches!(self, FeedError::Store(_))
    }
}

impl Pix {
    /// Applies a create/update feed from `caller`.
    pub async fn feed(&self, caller: &Caller, feed: Feed) -> Result<FeedOutcome, FeedError> {
        let action = match feed.kind {
            FeedKind::Create => Action::Create,
            FeedKind::Update => Action::Update,
        };
        let result = self.checked_feed(caller, feed.clone()).await;
        if let Err(e) = &result {
            let events = feed
                .identifiers
                .iter()
                .map(|id| failed(caller, action, id, e))
                .collect::<Vec<_>>();
            let events = if events.is_empty() {
                vec![event(caller, action).failed(audit::Outcome::MinorFailure, e.to_string())]
            } else {
                events
            };
            self.record_failure(events).await;
        }
        result
    }

    /// Audits a feed message that could not even be read (wrong structure,
    /// unsupported trigger).
    pub async fn record_rejected_feed(&self, caller: &Caller, reason: &str) {
        let rejected = event(caller, Action::Create).failed(audit::Outcome::MinorFailure, reason);
        self.record_failure(vec![rejected]).await;
    }

    async fn checked_feed(&self, caller: &Caller, feed: Feed) -> Result<FeedOutcome, FeedError> {
        if feed.identifiers.is_empty() {
            return Err(FeedError::NoIdentifier);
        }
        let affinity = self.config.affinity_domain.clone();
        let mut authorities = BTreeSet::new();
        for id in &feed.identifiers {
            if !authorities.insert(id.authority_oid.as_str()) {
                return Err(FeedError::TwoIdsInOneAuthority(id.authority_oid.clone()));
            }
            // The regional id may always be named (to link to an existing
            // person); the rule for creating one is checked in the transaction.
            if id.authority_oid != affinity && !caller.may_feed(&id.authority_oid) {
                return Err(FeedError::ForeignAuthority {
                    facility: caller.facility_oid.clone(),
                    authority: id.authority_oid.clone(),
                });
            }
        }
        let (config, source, caller) = (self.config.clone(), self.audit.clone(), caller.clone());
        self.store
            .write(move |conn| {
                store::lock_pix(conn)?;
                let outcome = match feed.kind {
                    FeedKind::Create => create(conn, &config, &caller, &feed)?,
                    FeedKind::Update => update(conn, &config, &caller, &feed)?,
                };
                let action = match feed.kind {
                    FeedKind::Create => Action::Create,
                    FeedKind::Update => Action::Update,
                };
                for id in &feed.identifiers {
                    let record = event(&caller, action)
                        .with_patient(Some(id.to_cx()))
                        .with_message_id(Some(feed.message_id.clone()));
                    audit::append(conn, &source, &record)?;
                }
                Ok(outcome)
            })
            .await
    }

    /// Applies a merge from `caller`.
    pub async fn merge(&self, caller: &Caller, merge: Merge) -> Result<FeedOutcome, FeedError> {
        let result = self.checked_merge(caller, merge.clone()).await;
        if let Err(e) = &result {
            self.record_failure(vec![
                failed(caller, Action::Delete, &merge.subsumed, e),
                failed(caller, Action::Update, &merge.surviving, e),
            ])
            .await;
        }
        result
    }

    async fn checked_merge(&self, caller: &Caller, merge: Merge) -> Result<FeedOutcome, FeedError> {
        if merge.surviving.authority_oid != merge.subsumed.authority_oid {
            return Err(FeedError::MergeAcrossAuthorities {
                surviving: merge.surviving.to_cx(),
                subsumed: merge.subsumed.to_cx(),
            });
        }
        if !caller.may_feed(&merge.surviving.authority_oid) {
            return Err(FeedError::ForeignAuthority {
                facility: caller.facility_oid.clone(),
                authority: merge.surviving.authority_oid.clone(),
            });
        }
        if merge.surviving == merge.subsumed {
            return Err(FeedError::Conflict(format!(
                "{} cannot be merged into itself",
                merge.surviving
            )));
        }
        let (config, source, caller) = (self.config.clone(), self.audit.clone(), caller.clone());
        self.store
            .write(move |conn| {
                store::lock_pix(conn)?;
                let outcome = apply_merge(conn, &config, &caller, &merge)?;
                let events = [
                    (Action::Delete, &merge.subsumed),
                    (Action::Update, &merge.surviving),
                ];
                for (action, id) in events {
                    let record = event(&caller, action)
                        .with_patient(Some(id.to_cx()))
                        .with_message_id(Some(merge.message_id.clone()));
                    audit::append(conn, &source, &record)?;
                }
                Ok(outcome)
            })
            .await
    }
}

fn transaction(via: Via, action: Action) -> Transaction {
    match via {
        Via::Hl7v2 => Transaction::Iti8(action),
        Via::Hl7v3 => Transaction::Iti44(action),
    }
}

fn failed(caller: &Caller, action: Action, id: &PatientIdentifier, e: &FeedError) -> AuditEvent {
    let outcome = if e.is_internal() {
        audit::Outcome::SeriousFailure
    } else {
        audit::Outcome::MinorFailure
    };
    event(caller, action)
        .with_patient(Some(id.to_cx()))
        .failed(outcome, e.to_string())
}

/// The feed's patient-record event for `caller` (ITI-8 or ITI-44 by channel).
fn event(caller: &Caller, action: Action) -> AuditEvent {
    AuditEvent::new(transaction(caller.via, action), caller.requestor())
}

/// The row of `id` if it is active; a retired id is an error.
pub(crate) fn active_row(
    conn: &mut AnyConnection,
    id: &PatientIdentifier,
) -> Result<Option<PatientIdentifierRow>, FeedError> {
    match store::patient_identifier(conn, &id.authority_oid, &id.id)? {
        Some(row) if row.status == IDENTIFIER_MERGED => Err(FeedError::Retired {
            id: id.to_cx(),
            into: row.merged_into.unwrap_or_default(),
        }),
        other => Ok(other),
    }
}

fn create(
    conn: &mut AnyConnection,
    config: &PixConfig,
    caller: &Caller,
    feed: &Feed,
) -> Result<FeedOutcome, FeedError> {
    let affinity = config.affinity_domain.as_str();
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for id in &feed.identifiers {
        match active_row(conn, id)? {
            Some(row) => known.push(row),
            None => unknown.push(id.clone()),
        }
    }
    let persons: BTreeSet<&str> = known.iter().map(|r| r.person_key.as_str()).collect();
    if persons.len() > 1 {
        return Err(FeedError::Conflict(format!(
            "the ids {} belong to different patients at the hub; the network operator must link them (`renkei patient link`)",
            known
                .iter()
                .map(|r| PatientIdentifier::of_row(r).to_cx())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let regional_unknown = unknown.iter().position(|id| id.authority_oid == affinity);
    let mut regional_created = false;
    let person_key = match (persons.into_iter().next(), regional_unknown) {
        (Some(_), Some(i)) => {
            // A new regional id for a person who already has one.
            return Err(FeedError::Conflict(format!(
                "{} already belongs to a patient with another regional id",
                unknown[i]
            )));
        }
        (Some(key), None) => key.to_string(),
        (None, Some(i)) => {
            if !caller.may_feed(affinity) {
                return Err(FeedError::UnknownRegionalId(unknown[i].to_cx()));
            }
            let regional = unknown.remove(i);
            regional_created = true;
            new_person(
                conn,
                affinity,
                Some(&regional.id),
                &feed.demographics,
                caller,
            )?
            .0
        }
        (None, None) => {
            regional_created = true;
            new_person(conn, affinity, None, &feed.demographics, caller)?.0
        }
    };
    let now = chrono::Utc::now().naive_utc();
    let columns = feed.demographics.columns();
    for id in &unknown {
        store::insert_patient_identifier(
            conn,
            &PatientIdentifierRow {
                authority_oid: id.authority_oid.clone(),
                id_value: id.id.clone(),
                person_key: person_key.clone(),
                feeding_facility: Some(caller.facility_oid.clone()),
                status: IDENTIFIER_ACTIVE.to_string(),
                merged_into: None,
                family: columns.family.clone(),
                given: columns.given.clone(),
                birth_date: columns.birth_date.clone(),
                sex: columns.sex.clone(),
                address: columns.address.clone(),
                created_at: now,
                updated_at: now,
            },
        )?;
    }
    for row in &known {
        if row.authority_oid != affinity && !feed.demographics.is_empty() {
            store::update_demographics(
                conn,
                &row.authority_oid,
                &row.id_value,
                &columns,
                Some(&caller.facility_oid),
            )?;
        }
    }
    if !unknown.is_empty() || regional_created {
        crate::notify::enqueue(conn, config, &person_key)?;
    }
    outcome(conn, affinity, person_key, regional_created)
}

fn update(
    conn: &mut AnyConnection,
    config: &PixConfig,
    caller: &Caller,
    feed: &Feed,
) -> Result<FeedOutcome, FeedError> {
    let affinity = config.affinity_domain.as_str();
    let mut person = None;
    let columns = feed.demographics.columns();
    for id in &feed.identifiers {
        let row = active_row(conn, id)?.ok_or_else(|| FeedError::UnknownIdentifier(id.to_cx()))?;
        if person.as_ref().is_some_and(|p| *p != row.person_key) {
            return Err(FeedError::Conflict(format!(
                "an update does not link ids; {id} belongs to another patient at the hub"
            )));
        }
        if row.authority_oid != affinity {
            store::update_demographics(
                conn,
                &row.authority_oid,
                &row.id_value,
                &columns,
                Some(&caller.facility_oid),
            )?;
        }
        person = Some(row.person_key);
    }
    let person_key = person.ok_or(FeedError::NoIdentifier)?;
    outcome(conn, affinity, person_key, false)
}

fn apply_merge(
    conn: &mut AnyConnection,
    config: &PixConfig,
    caller: &Caller,
    merge: &Merge,
) -> Result<FeedOutcome, FeedError> {
    let affinity = config.affinity_domain.as_str();
    let subsumed = active_row(conn, &merge.subsumed)?
        .ok_or_else(|| FeedError::UnknownIdentifier(merge.subsumed.to_cx()))?;
    let surviving = match active_row(conn, &merge.surviving)? {
        Some(row) => row,
        None if merge.surviving.authority_oid == affinity => {
            return Err(FeedError::UnknownRegionalId(merge.surviving.to_cx()));
        }
        None => {
            // The surviving id is new: it takes the subsumed id's place.
            let now = chrono::Utc::now().naive_utc();
            let columns = merge.demographics.columns();
            let row = PatientIdentifierRow {
                authority_oid: merge.surviving.authority_oid.clone(),
                id_value: merge.surviving.id.clone(),
                person_key: subsumed.person_key.clone(),
                feeding_facility: Some(caller.facility_oid.clone()),
                status: IDENTIFIER_ACTIVE.to_string(),
                merged_into: None,
                family: columns.family,
                given: columns.given,
                birth_date: columns.birth_date,
                sex: columns.sex,
                address: columns.address,
                created_at: now,
                updated_at: now,
            };
            store::insert_patient_identifier(conn, &row)?;
            row
        }
    };
    if surviving.person_key != subsumed.person_key {
        join_persons(conn, affinity, &surviving.person_key, &subsumed.person_key)?;
    }
    if merge.subsumed.authority_oid != affinity {
        store::retire_identifier(
            conn,
            &subsumed.authority_oid,
            &subsumed.id_value,
            &merge.surviving.to_cx(),
        )?;
    }
    if !merge.demographics.is_empty() && merge.surviving.authority_oid != affinity {
        store::update_demographics(
            conn,
            &surviving.authority_oid,
            &surviving.id_value,
            &merge.demographics.columns(),
            Some(&caller.facility_oid),
        )?;
    }
    crate::notify::enqueue(conn, config, &surviving.person_key)?;
    outcome(conn, affinity, surviving.person_key, false)
}

/// A new person with a regional id (`id_value`, or one generated) that is
/// also a registry patient. Returns the person key and the regional id.
pub(crate) fn new_person(
    conn: &mut AnyConnection,
    affinity: &str,
    id_value: Option<&str>,
    demographics: &Demographics,
    caller: &Caller,
) -> Result<(String, PatientIdentifier), StoreError> {
    let person_key = uuid::Uuid::new_v4().to_string();
    let generated;
    let id_value = match id_value {
        Some(v) => v,
        None => {
            generated = uuid::Uuid::new_v4().simple().to_string();
            &generated
        }
    };
    let regional = PatientIdentifier::new(affinity, id_value);
    let now = chrono::Utc::now().naive_utc();
    let columns = demographics.columns();
    store::insert_patient_identifier(
        conn,
        &PatientIdentifierRow {
            authority_oid: affinity.to_string(),
            id_value: id_value.to_string(),
            person_key: person_key.clone(),
            feeding_facility: Some(caller.facility_oid.clone()).filter(|f| !f.is_empty()),
            status: IDENTIFIER_ACTIVE.to_string(),
            merged_into: None,
            family: columns.family,
            given: columns.given,
            birth_date: columns.birth_date,
            sex: columns.sex,
            address: columns.address,
            created_at: now,
            updated_at: now,
        },
    )?;
    store::add_patient(conn, &regional.to_cx())?;
    Ok((person_key, regional))
}

/// Makes `subsumed_person` part of `surviving_person`. Its regional id is
/// retired and merged into the survivor's at the registry. Returns the
/// (subsumed, surviving) regional ids when that happened.
pub(crate) fn join_persons(
    conn: &mut AnyConnection,
    affinity: &str,
    surviving_person: &str,
    subsumed_person: &str,
) -> Result<Option<(PatientIdentifier, PatientIdentifier)>, StoreError> {
    let kept = regional_of(conn, affinity, surviving_person)?;
    let gone = regional_of(conn, affinity, subsumed_person)?;
    store::move_person(conn, subsumed_person, surviving_person)?;
    match (gone, kept) {
        (Some(gone), Some(kept)) => {
            store::retire_identifier(conn, &gone.authority_oid, &gone.id, &kept.to_cx())?;
            store::mark_merged(conn, &gone.to_cx(), &kept.to_cx())?;
            Ok(Some((gone, kept)))
        }
        _ => Ok(None),
    }
}

/// The active regional id of a person.
pub(crate) fn regional_of(
    conn: &mut AnyConnection,
    affinity: &str,
    person_key: &str,
) -> Result<Option<PatientIdentifier>, StoreError> {
    Ok(store::identifiers_of_person(conn, person_key)?
        .iter()
        .find(|r| r.authority_oid == affinity && r.status == IDENTIFIER_ACTIVE)
        .map(PatientIdentifier::of_row))
}

fn outcome(
    conn: &mut AnyConnection,
    affinity: &str,
    person_key: String,
    regional_id_created: bool,
) -> Result<FeedOutcome, FeedError> {
    let regional_id = regional_of(conn, affinity, &person_key)?.ok_or_else(|| {
        FeedError::Store(StoreError::Serialization(format!(
            "person {person_key} has no regional id"
        )))
    })?;
    Ok(FeedOutcome {
        person_key,
        regional_id,
        regional_id_created,
    })
}
