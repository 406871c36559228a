//! PIX Query (ITI-9 / ITI-45) and the local-id translation the registry uses.

use crate::ids::PatientIdentifier;
use crate::{Caller, Pix, Via};
use audit::{AuditEvent, QueryRef, Transaction};
use store::{AnyConnection, IDENTIFIER_ACTIVE, StoreError};

/// The other ids of the queried patient in the requested domains; empty when
/// the patient is known but has none there (QAK-2 `NF`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixQueryResult {
    pub identifiers: Vec<PatientIdentifier>,
}

/// The spec's error cases of a PIX query (ITI TF-2 3.9.4.2.2.6).
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// QPD-3's assigning authority is not one the PIX Manager knows.
    #[error("assigning authority {0} is not known to the PIX Manager")]
    UnknownAuthority(String),
    /// QPD-3's id is not known in its (known) authority.
    #[error("patient id {0} is not known to the PIX Manager")]
    UnknownId(String),
    /// A domain in QPD-4 (0-based repetition `index`) is not known.
    #[error("requested domain {authority} is not known to the PIX Manager")]
    UnknownDomain { index: usize, authority: String },
    #[error("the PIX Manager could not run the query; try again later")]
    Store(#[from] StoreError),
}

impl Pix {
    /// ITI-9 / ITI-45. `domains` empty = every domain. `request` is the query
    /// message as received (kept in the audit record).
    pub async fn query(
        &self,
        caller: &Caller,
        id: PatientIdentifier,
        domains: Vec<String>,
        message_id: &str,
        request: Vec<u8>,
    ) -> Result<PixQueryResult, QueryError> {
        let affinity = self.config.affinity_domain.clone();
        let queried = id.clone();
        let result = self
            .store
            .read(move |conn| run(conn, &affinity, &queried, &domains))
            .await;
        let transaction = match caller.via {
            Via::Hl7v2 => Transaction::Iti9,
            Via::Hl7v3 => Transaction::Iti45,
        };
        let mut event = AuditEvent::new(transaction, caller.requestor())
            .with_patient(Some(id.to_cx()))
            .with_query(QueryRef {
                query_id: message_id.to_string(),
                request,
                home_community_id: None,
            });
        if let Err(e) = &result {
            let outcome = match e {
                QueryError::Store(_) => audit::Outcome::SeriousFailure,
                _ => audit::Outcome::MinorFailure,
            };
            event = event.failed(outcome, e.to_string());
        }
        // The answer leaves only once its audit record is stored.
        audit::record(&self.store, &self.audit, vec![event]).await?;
        result
    }

    /// The active regional id linked to `local` (the hub translates a
    /// consumer's local patient id in ITI-18 with it). `None` when the id is
    /// unknown or retired.
    pub async fn regional_id_of(
        &self,
        local: PatientIdentifier,
    ) -> Result<Option<PatientIdentifier>, StoreError> {
        let affinity = self.config.affinity_domain.clone();
        self.store
            .read(move |conn| regional_id_in(conn, &affinity, &local))
            .await
    }
}

/// See [`Pix::regional_id_of`]; for callers already in a transaction.
pub fn regional_id_in(
    conn: &mut AnyConnection,
    affinity: &str,
    local: &PatientIdentifier,
) -> Result<Option<PatientIdentifier>, StoreError> {
    let Some(row) = store::patient_identifier(conn, &local.authority_oid, &local.id)? else {
        return Ok(None);
    };
    if row.status != IDENTIFIER_ACTIVE {
        return Ok(None);
    }
    crate::feed::regional_of(conn, affinity, &row.person_key)
}

fn known_authority(
    conn: &mut AnyConnection,
    affinity: &str,
    authority: &str,
) -> Result<bool, StoreError> {
    Ok(authority == affinity || store::authority_known(conn, authority)?)
}

fn run(
    conn: &mut AnyConnection,
    affinity: &str,
    id: &PatientIdentifier,
    domains: &[String],
) -> Result<PixQueryResult, QueryError> {
    if !known_authority(conn, affinity, &id.authority_oid)? {
        return Err(QueryError::UnknownAuthority(id.authority_oid.clone()));
    }
    for (index, authority) in domains.iter().enumerate() {
        if !known_authority(conn, affinity, authority)? {
            return Err(QueryError::UnknownDomain {
                index,
                authority: authority.clone(),
            });
        }
    }
    let row = store::patient_identifier(conn, &id.authority_oid, &id.id)?
        .filter(|r| r.status == IDENTIFIER_ACTIVE)
        .ok_or_else(|| QueryError::UnknownId(id.to_cx()))?;
    let identifiers = store::identifiers_of_person(conn, &row.person_key)?
        .iter()
        .filter(|r| r.status == IDENTIFIER_ACTIVE)
        .map(PatientIdentifier::of_row)
        .filter(|other| other != id)
        .filter(|other| domains.is_empty() || domains.contains(&other.authority_oid))
        .collect();
    Ok(PixQueryResult { identifiers })
}
