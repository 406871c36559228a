//! ITI-10 / ITI-46 update notifications: written to the outbox in the same
//! transaction as the change, delivered in order per subscriber by the hub.

use crate::feed::FeedError;
use crate::ids::{Demographics, PatientIdentifier};
use crate::{Pix, PixConfig};
use audit::{AuditEvent, Requestor, Side, Transaction};
use serde::{Deserialize, Serialize};
use store::{AnyConnection, IDENTIFIER_ACTIVE, StoreError};

/// What one ADT^A31 / PRPA_IN201302UV02 tells a consumer: the person's
/// complete list of linked ids (in the consumer's domains) after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub identifiers: Vec<PatientIdentifier>,
    pub demographics: Demographics,
}

/// A queued notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingNotification {
    pub seq: i64,
    pub attempts: i32,
    pub notification: Notification,
}

/// Queues the person's current ids for every subscriber that wants any of them.
pub(crate) fn enqueue(
    conn: &mut AnyConnection,
    config: &PixConfig,
    person_key: &str,
) -> Result<(), FeedError> {
    if config.subscribers.is_empty() {
        return Ok(());
    }
    let rows = store::identifiers_of_person(conn, person_key)?;
    let active: Vec<_> = rows
        .iter()
        .filter(|r| r.status == IDENTIFIER_ACTIVE)
        .collect();
    // Demographics of the most recently fed id.
    let demographics = active
        .iter()
        .filter(|r| r.authority_oid != config.affinity_domain)
        .max_by_key(|r| r.updated_at)
        .or(active.first())
        .map(|r| Demographics::of_row(r))
        .unwrap_or_default();
    for subscriber in &config.subscribers {
        let identifiers: Vec<PatientIdentifier> = active
            .iter()
            .filter(|r| {
                subscriber.domains.is_empty() || subscriber.domains.contains(&r.authority_oid)
            })
            .map(|r| PatientIdentifier::of_row(r))
            .collect();
        if identifiers.is_empty() {
            continue;
        }
        let payload = serde_json::to_string(&Notification {
            identifiers,
            demographics: demographics.clone(),
        })
        .map_err(|e| StoreError::Serialization(e.to_string()))?;
        store::enqueue_notification(conn, &subscriber.name, person_key, &payload)?;
    }
    Ok(())
}

impl Pix {
    /// The oldest undelivered notifications for `subscriber`, in order.
    pub async fn pending_notifications(
        &self,
        subscriber: &str,
        limit: i64,
    ) -> Result<Vec<PendingNotification>, StoreError> {
        let subscriber = subscriber.to_string();
        let rows = self
            .store
            .read(move |conn| store::pending_notifications(conn, &subscriber, limit))
            .await?;
        rows.into_iter()
            .map(|row| {
                let notification = serde_json::from_str(&row.payload)
                    .map_err(|e| StoreError::Serialization(e.to_string()))?;
                Ok(PendingNotification {
                    seq: row.seq,
                    attempts: row.attempts,
                    notification,
                })
            })
            .collect()
    }

    /// The consumer acknowledged notification `seq`: mark it and audit the
    /// ITI-10 (or ITI-46) in one transaction.
    pub async fn notification_delivered(
        &self,
        subscriber: &str,
        seq: i64,
        transaction: Transaction,
        patient: Option<String>,
    ) -> Result<(), StoreError> {
        let source = self.audit.clone();
        let requestor = Requestor::facility(subscriber.to_string());
        self.store
            .write(move |conn| {
                store::mark_notification_delivered(conn, seq)?;
                let event = AuditEvent::new(transaction, requestor)
                    .on_side(Side::Initiator)
                    .with_patient(patient);
                audit::append(conn, &source, &event)?;
                Ok(())
            })
            .await
    }

    /// A delivery attempt failed; counted for the operator.
    pub async fn notification_failed(&self, seq: i64) -> Result<(), StoreError> {
        self.store
            .write(move |conn| store::note_notification_attempt(conn, seq))
            .await
    }
}
