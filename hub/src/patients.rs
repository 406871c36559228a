//! Registering regional patient ids by the operator (`renkei patient add`),
//! audited (`patient-add`) in the same transaction as the insert.

use anyhow::{Result, bail};
use audit::{AuditEvent, AuditSource, Requestor, Transaction};
use store::Store;

/// Adds the affinity-domain patient id `cx`. Returns the normalised id and
/// whether it was new; only a new id is a change, and only a change is audited.
pub async fn add_regional_patient(
    store: &Store,
    source: &AuditSource,
    affinity_domain: &str,
    cx: &str,
    requestor: Requestor,
) -> Result<(String, bool)> {
    let pid = ebrim::datatypes::PatientId::parse(cx).map_err(|e| anyhow::anyhow!("{cx}: {e}"))?;
    if pid.assigning_authority() != affinity_domain {
        bail!(
            "{cx} is not in the affinity domain {affinity_domain}; regional ids look like ID^^^&{affinity_domain}&ISO"
        );
    }
    let id = pid.as_str().to_string();
    let event = AuditEvent::new(Transaction::PatientAdd, requestor).with_patient(Some(id.clone()));
    let source = source.clone();
    let key = id.clone();
    let added = store
        .write(move |conn| {
            let added = store::add_patient(conn, &key)?;
            if added {
                audit::append(conn, &source, &event)?;
            }
            Ok::<_, store::StoreError>(added)
        })
        .await?;
    Ok((id, added))
}
