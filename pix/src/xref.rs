//! The operator's cross-reference tools: add a regional id, link and unlink
//! ids explicitly, show a person, and the possible-duplicates report (a
//! report only: renkei never links by demographics).

use crate::feed::{FeedError, active_row, join_persons, new_person, regional_of};
use crate::ids::{Demographics, PatientIdentifier};
use crate::{Caller, Pix, Via};
use audit::{AuditEvent, Requestor, Transaction};
use chrono::{DateTime, Utc};
use serde::Serialize;
use store::{PatientIdentifierRow, StoreError};

/// Why an operator request was refused. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("patient id {0} is not known to the hub")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OperatorError {
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            OperatorError::NotFound(_)
                | OperatorError::Feed(FeedError::UnknownIdentifier(_))
                | OperatorError::Feed(FeedError::UnknownRegionalId(_))
        )
    }
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            OperatorError::Store(_) | OperatorError::Feed(FeedError::Store(_))
        )
    }
}

/// One id of a person as the operator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentifierView {
    pub cx: String,
    pub authority_oid: String,
    pub id: String,
    /// `active` or `merged`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feeding_facility: Option<String>,
    pub demographics: Demographics,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&PatientIdentifierRow> for IdentifierView {
    fn from(r: &PatientIdentifierRow) -> Self {
        IdentifierView {
            cx: PatientIdentifier::of_row(r).to_cx(),
            authority_oid: r.authority_oid.clone(),
            id: r.id_value.clone(),
            status: r.status.clone(),
            merged_into: r.merged_into.clone(),
            feeding_facility: r.feeding_facility.clone(),
            demographics: Demographics::of_row(r),
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        }
    }
}

/// A person: their regional id and every id linked to it (retired ids too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonView {
    pub regional_id: Option<String>,
    pub identifiers: Vec<IdentifierView>,
    /// Regional ids merged into this person's (registry merges).
    pub merged_regional_ids: Vec<String>,
}

/// Ids of different persons with the same family, given name and birth date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateGroup {
    pub family: Option<String>,
    pub given: Option<String>,
    pub birth_date: Option<String>,
    pub identifiers: Vec<IdentifierView>,
}

fn operator(requestor: &Requestor) -> Caller {
    Caller {
        facility_oid: requestor.facility_oid.clone().unwrap_or_default(),
        acts_for: Vec::new(),
        address: requestor.address.clone(),
        via: Via::Hl7v2,
    }
}

impl Pix {
    /// `renkei patient add CX`: a person with this regional id. Returns
    /// `false` if the id was already known.
    pub async fn add_regional_id(
        &self,
        requestor: Requestor,
        regional: PatientIdentifier,
    ) -> Result<bool, OperatorError> {
        if regional.authority_oid != self.config.affinity_domain {
            return Err(OperatorError::Invalid(format!(
                "{regional} is not in the affinity domain {}; regional ids use ID^^^&{}&ISO",
                self.config.affinity_domain, self.config.affinity_domain
            )));
        }
        let (affinity, source) = (self.config.affinity_domain.clone(), self.audit.clone());
        self.store
            .write(move |conn| {
                store::lock_pix(conn)?;
                if store::patient_identifier(conn, &regional.authority_oid, &regional.id)?.is_some()
                {
                    return Ok(false);
                }
                new_person(
                    conn,
                    &affinity,
                    Some(&regional.id),
                    &Demographics::default(),
                    &operator(&requestor),
                )?;
                let event = AuditEvent::new(Transaction::PatientAdd, requestor)
                    .with_patient(Some(regional.to_cx()));
                audit::append(conn, &source, &event)?;
                Ok::<_, OperatorError>(true)
            })
            .await
    }

    /// Links two known ids as one person. When both persons had a regional
    /// id, `b`'s person's regional id is merged into `a`'s at the registry.
    pub async fn link(
        &self,
        requestor: Requestor,
        a: PatientIdentifier,
        b: PatientIdentifier,
    ) -> Result<PersonView, OperatorError> {
        let (config, source) = (self.config.clone(), self.audit.clone());
        self.store
            .write(move |conn| {
                store::lock_pix(conn)?;
                let ra = active_row(conn, &a)?.ok_or_else(|| OperatorError::NotFound(a.to_cx()))?;
                let rb = active_row(conn, &b)?.ok_or_else(|| OperatorError::NotFound(b.to_cx()))?;
                if ra.person_key != rb.person_key {
                    join_persons(
                        conn,
                        &config.affinity_domain,
                        &ra.person_key,
                        &rb.person_key,
                    )?;
                    crate::notify::enqueue(conn, &config, &ra.person_key)?;
                }
                for id in [&a, &b] {
                    let event = AuditEvent::new(Transaction::PatientLink, requestor.clone())
                        .with_patient(Some(id.to_cx()));
                    audit::append(conn, &source, &event)?;
                }
                Ok(person_view(conn, &config.affinity_domain, &ra.person_key)?)
            })
            .await
    }

    /// Takes `b` (a facility-local id) out of `a`'s person into a person of
    /// its own with a new regional id. Documents already registered stay
    /// with the regional id they were registered under.
    pub async fn unlink(
        &self,
        requestor: Requestor,
        a: PatientIdentifier,
        b: PatientIdentifier,
    ) -> Result<PersonView, OperatorError> {
        let (config, source) = (self.config.clone(), self.audit.clone());
        self.store
            .write(move |conn| {
                store::lock_pix(conn)?;
                let affinity = config.affinity_domain.as_str();
                if b.authority_oid == affinity {
                    return Err(OperatorError::Invalid(format!(
                        "{b} is a regional id; unlink the facility-local id from it instead"
                    )));
                }
                let ra = active_row(conn, &a)?.ok_or_else(|| OperatorError::NotFound(a.to_cx()))?;
                let rb = active_row(conn, &b)?.ok_or_else(|| OperatorError::NotFound(b.to_cx()))?;
                if ra.person_key != rb.person_key {
                    return Err(OperatorError::Invalid(format!(
                        "{a} and {b} are not linked"
                    )));
                }
                let (person, _) = new_person(
                    conn,
                    affinity,
                    None,
                    &Demographics::of_row(&rb),
                    &operator(&requestor),
                )?;
                store::set_person(conn, &rb.authority_oid, &rb.id_value, &person)?;
                crate::notify::enqueue(conn, &config, &ra.person_key)?;
                crate::notify::enqueue(conn, &config, &person)?;
                for id in [&a, &b] {
                    let event = AuditEvent::new(Transaction::PatientUnlink, requestor.clone())
                        .with_patient(Some(id.to_cx()));
                    audit::append(conn, &source, &event)?;
                }
                Ok(person_view(conn, affinity, &person)?)
            })
            .await
    }

    /// The person `id` belongs to (also for a retired id).
    pub async fn show(&self, id: PatientIdentifier) -> Result<PersonView, OperatorError> {
        let affinity = self.config.affinity_domain.clone();
        self.store
            .read(move |conn| {
                let row = store::patient_identifier(conn, &id.authority_oid, &id.id)?
                    .ok_or_else(|| OperatorError::NotFound(id.to_cx()))?;
                Ok(person_view(conn, &affinity, &row.person_key)?)
            })
            .await
    }

    /// Possible duplicates for the operator to review (never linked automatically).
    pub async fn possible_duplicates(&self) -> Result<Vec<DuplicateGroup>, StoreError> {
        let rows = self.store.read(store::possible_duplicates).await?;
        let mut groups: Vec<DuplicateGroup> = Vec::new();
        for row in &rows {
            let same = groups.last_mut().filter(|g| {
                g.family == row.family && g.given == row.given && g.birth_date == row.birth_date
            });
            match same {
                Some(g) => g.identifiers.push(row.into()),
                None => groups.push(DuplicateGroup {
                    family: row.family.clone(),
                    given: row.given.clone(),
                    birth_date: row.birth_date.clone(),
                    identifiers: vec![row.into()],
                }),
            }
        }
        Ok(groups)
    }
}

fn person_view(
    conn: &mut store::AnyConnection,
    affinity: &str,
    person_key: &str,
) -> Result<PersonView, StoreError> {
    let rows = store::identifiers_of_person(conn, person_key)?;
    let regional = regional_of(conn, affinity, person_key)?;
    let merged_regional_ids = match &regional {
        Some(r) => store::ids_merged_into(conn, &r.to_cx())?,
        None => Vec::new(),
    };
    Ok(PersonView {
        regional_id: regional.map(|r| r.to_cx()),
        identifiers: rows.iter().map(IdentifierView::from).collect(),
        merged_regional_ids,
    })
}
